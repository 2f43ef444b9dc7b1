/** Cognito error codes (as the SDK reports them) turned into messages for people. */

const MESSAGES: Record<string, string> = {
  UsernameExistsException: "That username is already taken. Sign in instead, or pick another.",
  NotAuthorizedException: "Wrong username or password.",
  UserNotFoundException: "Wrong username or password.",
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
    return raw.replace(/^[^:]*validation error[^:]*:\s*/i, "") || "Check the username and password.";
  }
  return raw || "Sign-in failed. Please try again.";
}
