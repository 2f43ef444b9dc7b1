/** Cognito error codes turned into messages for people. */

const MESSAGES: Record<string, string> = {
  UsernameExistsException: "An account with this e-mail address already exists. Sign in instead.",
  AliasExistsException: "An account with this e-mail address already exists. Sign in instead.",
  NotAuthorizedException: "Wrong e-mail address or password.",
  UserNotFoundException: "Wrong e-mail address or password.",
  UserNotConfirmedException: "This account is not confirmed yet. Enter the code you were sent.",
  CodeMismatchException: "That confirmation code is not right.",
  ExpiredCodeException: "That confirmation code has expired.",
  TooManyRequestsException: "Too many attempts. Please wait a moment and try again.",
  LimitExceededException: "Too many attempts. Please wait a moment and try again.",
  NetworkError: "Cannot reach the sign-in service. Check your connection and try again.",
};

/** The message to show for a Cognito error `code`; `raw` is Cognito's own message. */
export function authErrorMessage(code: string, raw: string): string {
  if (code in MESSAGES) return MESSAGES[code];
  if (code === "InvalidPasswordException" || code === "InvalidParameterException") {
    // Cognito's wording names the exact rule broken ("Password must have uppercase ...").
    return raw.replace(/^[^:]*validation error[^:]*:\s*/i, "") || "Check the e-mail address and password.";
  }
  return raw || "Sign-in failed. Please try again.";
}
