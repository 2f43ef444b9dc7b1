/**
 * Sign-up and sign-in with amazon-cognito-identity-js: one code path for Cognito on AWS and the
 * Cognito-compatible IdP of `votes serve` (picked by config.cognitoEndpoint at run time).
 */

import {
  AuthenticationDetails,
  CognitoUser,
  type CognitoUserSession,
  CognitoUserPool,
  type ICognitoStorage,
} from "amazon-cognito-identity-js";
import type { AppConfig } from "../config";
import { authErrorMessage } from "./messages";

/** What the app knows about the signed-in person. */
export interface Session {
  username: string;
  sub: string;
  groups: string[];
  isAdmin: boolean;
  accessToken: string;
  expiresAt: number;
}

export class AuthError extends Error {
  override name = "AuthError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function toAuthError(err: unknown): AuthError {
  const e = err as { code?: string; name?: string; message?: string } | null;
  const code = e?.code ?? e?.name ?? "UnknownError";
  return new AuthError(code, authErrorMessage(code, e?.message ?? ""));
}

/** Read the session's access-token claims into a Session. */
export function sessionOf(s: CognitoUserSession): Session {
  const access = s.getAccessToken();
  const claims = access.decodePayload() as Record<string, unknown>;
  const idClaims = s.getIdToken().decodePayload() as Record<string, unknown>;
  const rawGroups = claims["cognito:groups"] ?? idClaims["cognito:groups"];
  const groups = Array.isArray(rawGroups) ? rawGroups.map(String) : [];
  const username = String(
    claims.username ?? claims["cognito:username"] ?? idClaims["cognito:username"] ?? claims.sub,
  );
  return {
    username,
    sub: String(claims.sub ?? ""),
    groups,
    isAdmin: groups.includes("admins"),
    accessToken: access.getJwtToken(),
    expiresAt: access.getExpiration(),
  };
}

export class CognitoAuth {
  private readonly pool: CognitoUserPool;

  constructor(config: AppConfig, storage?: ICognitoStorage) {
    this.pool = new CognitoUserPool({
      UserPoolId: config.userPoolId,
      ClientId: config.userPoolClientId,
      endpoint: config.cognitoEndpoint ?? undefined,
      Storage: storage,
    });
  }

  private user(username: string): CognitoUser {
    const user = new CognitoUser({ Username: username, Pool: this.pool });
    // One round trip, no SRP: the local IdP then needs only SignUp + InitiateAuth.
    user.setAuthenticationFlowType("USER_PASSWORD_AUTH");
    return user;
  }

  /** Create an account; resolves with whether it is already confirmed (true locally). */
  signUp(username: string, password: string): Promise<{ confirmed: boolean }> {
    return new Promise((resolve, reject) => {
      this.pool.signUp(username, password, [], [], (err, result) => {
        if (err || !result) reject(toAuthError(err));
        else resolve({ confirmed: result.userConfirmed });
      });
    });
  }

  /** Confirm an account with the code Cognito sent (only when the pool does not auto-confirm). */
  confirm(username: string, code: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.user(username).confirmRegistration(code, true, (err) =>
        err ? reject(toAuthError(err)) : resolve(),
      );
    });
  }

  signIn(username: string, password: string): Promise<Session> {
    const details = new AuthenticationDetails({ Username: username, Password: password });
    return new Promise((resolve, reject) => {
      this.user(username).authenticateUser(details, {
        onSuccess: (s) => resolve(sessionOf(s)),
        onFailure: (err) => reject(toAuthError(err)),
        newPasswordRequired: () =>
          reject(new AuthError("NewPasswordRequired", "This account needs a new password.")),
      });
    });
  }

  /** The stored session, refreshed with the refresh token when expired; null if signed out. */
  current(): Promise<Session | null> {
    const user = this.pool.getCurrentUser();
    if (!user) return Promise.resolve(null);
    return new Promise((resolve) => {
      user.getSession((err: Error | null, s: CognitoUserSession | null) => {
        resolve(err || !s || !s.isValid() ? null : sessionOf(s));
      });
    });
  }

  /** Forget the tokens on this device. */
  signOut(): void {
    this.pool.getCurrentUser()?.signOut();
  }
}
