/**
 * The Cognito user pool calls the app makes, over Cognito's own JSON protocol (a POST per
 * action, `X-Amz-Target: AWSCognitoIdentityProviderService.<Action>`, JSON in and out). The
 * same calls reach Cognito on AWS and the local IdP of `votes serve` (`config.cognitoEndpoint`).
 *
 * Only what a public app client with USER_PASSWORD_AUTH needs: SignUp, ConfirmSignUp, and
 * InitiateAuth with USER_PASSWORD_AUTH or REFRESH_TOKEN_AUTH. No secret, no SRP, no AWS
 * signature: these actions are unauthenticated by design.
 */

export class CognitoError extends Error {
  override name = "CognitoError";
  constructor(
    /** Cognito's exception name (NotAuthorizedException, ...) or NetworkError. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Tokens {
  accessToken: string;
  idToken: string;
  /** Only sign-in returns one; a refresh keeps the one it was given. */
  refreshToken: string | null;
}

/** The endpoint of a pool's region (or the local IdP's URL when the config names one). */
export function cognitoUrl(region: string, endpoint: string | null): string {
  return endpoint ?? `https://cognito-idp.${region}.amazonaws.com/`;
}

/** Cognito's error name from a response: the `__type` field or the x-amzn-ErrorType header,
 *  either possibly namespaced ("com.amazonaws...#NotAuthorizedException", "Name:http://..."). */
function errorCode(body: Record<string, unknown>, headers: Headers): string {
  const raw = (typeof body.__type === "string" && body.__type) || headers.get("x-amzn-ErrorType") || "UnknownError";
  return raw.split("#").pop()!.split(":")[0];
}

export class CognitoClient {
  constructor(
    private readonly url: string,
    private readonly clientId: string,
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
  ) {}

  private async call(action: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.url, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-amz-json-1.1",
          "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
        },
        body: JSON.stringify({ ClientId: this.clientId, ...body }),
        cache: "no-store",
      });
    } catch {
      throw new CognitoError("NetworkError", "Cannot reach the sign-in service.");
    }
    let json: Record<string, unknown> = {};
    try {
      const parsed: unknown = await response.json();
      if (typeof parsed === "object" && parsed !== null) json = parsed as Record<string, unknown>;
    } catch {
      // an empty or non-JSON body: the status says what happened
    }
    if (!response.ok) {
      const message = typeof json.message === "string" ? json.message : typeof json.Message === "string" ? json.Message : "";
      throw new CognitoError(errorCode(json, response.headers), message || `HTTP ${response.status}`);
    }
    return json;
  }

  /** Create an account; `attributes` are standard attributes such as `name`. */
  async signUp(username: string, password: string, attributes: Record<string, string>): Promise<{ confirmed: boolean }> {
    const out = await this.call("SignUp", {
      Username: username,
      Password: password,
      UserAttributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
    });
    return { confirmed: out.UserConfirmed === true };
  }

  async confirmSignUp(username: string, code: string): Promise<void> {
    await this.call("ConfirmSignUp", { Username: username, ConfirmationCode: code });
  }

  async signIn(username: string, password: string): Promise<Tokens> {
    return this.tokens(
      await this.call("InitiateAuth", {
        AuthFlow: "USER_PASSWORD_AUTH",
        AuthParameters: { USERNAME: username, PASSWORD: password },
      }),
    );
  }

  async refresh(refreshToken: string): Promise<Tokens> {
    const tokens = this.tokens(
      await this.call("InitiateAuth", { AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: refreshToken } }),
    );
    return { ...tokens, refreshToken: tokens.refreshToken ?? refreshToken };
  }

  private tokens(out: Record<string, unknown>): Tokens {
    const result = out.AuthenticationResult as Record<string, unknown> | undefined;
    if (!result || typeof result.AccessToken !== "string" || typeof result.IdToken !== "string") {
      // A challenge (e.g. NEW_PASSWORD_REQUIRED for an admin-created user) instead of tokens.
      const challenge = typeof out.ChallengeName === "string" ? out.ChallengeName : "no tokens";
      throw new CognitoError("ChallengeRequired", `Sign-in needs a step this app does not support (${challenge}).`);
    }
    return {
      accessToken: result.AccessToken,
      idToken: result.IdToken,
      refreshToken: typeof result.RefreshToken === "string" ? result.RefreshToken : null,
    };
  }
}
