/** API failures as one typed error, with a clear message for people for each known code. */

export interface ApiErrorInit {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** A failed API call: HTTP status, the API's stable error code, and the server's message. */
export class ApiError extends Error {
  override name = "ApiError";
  readonly status: number;
  readonly code: string;
  readonly serverMessage: string;
  /** The API's `details` (e.g. `option`, the one held, with already_voted). */
  readonly details: Record<string, unknown>;

  constructor({ status, code, message, details = {} }: ApiErrorInit) {
    super(friendlyMessage(code, status, message));
    this.status = status;
    this.code = code;
    this.serverMessage = message;
    this.details = details;
  }
}

const BY_CODE: Record<string, string> = {
  already_voted: "You have already voted for another option. Use “Change my vote” to switch.",
  poll_closed: "This poll is closed: votes can no longer be cast, changed or retracted.",
  invalid_option: "That option is not part of this poll. Reload the page and pick again.",
  not_registered: "Your voter registration has not gone through yet. Please try again.",
  poll_not_found: "This poll does not exist. It may have been mistyped in the address.",
  ballot_not_found: "You have not voted in this poll.",
  conflict: "Many people are voting at this very moment. Please try again.",
  unavailable: "The vote service is briefly unavailable. Please try again in a moment.",
  network_error: "Cannot reach the server. Check your connection and try again.",
  unauthenticated: "Your session has expired. Please sign in again.",
  forbidden: "Only administrators can do that.",
  payload_too_large: "That request is too large. Shorten the question or the options.",
  results_hidden: "This poll shows its results once you have voted.",
};

const BY_STATUS: Record<number, string> = {
  401: BY_CODE.unauthenticated,
  403: BY_CODE.forbidden,
  404: "Not found.",
  413: BY_CODE.payload_too_large,
  429: "Too many requests. Please wait a moment and try again.",
};

/** The message to show a person for an API error code (falling back on the HTTP status). */
export function friendlyMessage(code: string, status: number, serverMessage: string): string {
  if (code === "validation_failed" || code === "malformed_json" || (status === 400 && !(code in BY_CODE))) {
    return serverMessage ? `Please check your input: ${serverMessage}` : "Please check your input.";
  }
  if (code in BY_CODE) return BY_CODE[code];
  if (status in BY_STATUS) return BY_STATUS[status];
  if (status === 422 && serverMessage) return serverMessage;
  if (status >= 500) return `Something went wrong on our side (HTTP ${status}). Please try again.`;
  return serverMessage || `The request failed (HTTP ${status}).`;
}

/** Build an ApiError from a response's status and (possibly absent or non-JSON) body. */
export function errorFromBody(status: number, body: unknown): ApiError {
  const err =
    typeof body === "object" && body !== null && "error" in body
      ? (body as { error: unknown }).error
      : null;
  if (typeof err === "object" && err !== null) {
    const { code, message, details } = err as { code?: unknown; message?: unknown; details?: unknown };
    return new ApiError({
      status,
      code: typeof code === "string" ? code : `http_${status}`,
      message: typeof message === "string" ? message : "",
      details: typeof details === "object" && details !== null ? (details as Record<string, unknown>) : {},
    });
  }
  return new ApiError({ status, code: `http_${status}`, message: "" });
}

/** The ApiError for a request that never got an HTTP answer. */
export function networkError(): ApiError {
  return new ApiError({ status: 0, code: "network_error", message: "" });
}

/** A message for any thrown value. */
export function messageOf(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return "Something unexpected went wrong. Please try again.";
}
