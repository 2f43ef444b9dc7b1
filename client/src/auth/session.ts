/**
 * The signed-in person: their tokens (kept in localStorage), what the tokens say about them,
 * and refreshing the access token with the refresh token before it expires.
 *
 * The pool signs people in with their e-mail address and keeps a display name (the standard
 * attribute `name`, given at sign-up). The app shows that name, never the token's `username`
 * claim: on a pool with e-mail as the username that claim is a generated UUID.
 */

import type { AppConfig } from "../config";
import { CognitoClient, CognitoError, cognitoUrl, type Tokens } from "./cognitoClient";
import { authErrorMessage } from "./messages";

/** What the app knows about the signed-in person. */
export interface Session {
  sub: string;
  /** The name to show and to register as the voter's display name. */
  name: string;
  email: string | null;
  groups: string[];
  isAdmin: boolean;
  accessToken: string;
  /** Seconds since the epoch. */
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

/** Refresh this many seconds before the access token expires (clock skew, slow links). */
const REFRESH_MARGIN_S = 120;

/** The claims of a JWT (its payload, base64url JSON); the signature is the API's to check. */
export function claimsOf(jwt: string): Record<string, unknown> {
  const part = jwt.split(".")[1];
  if (!part) throw new AuthError("InvalidToken", "The sign-in service sent an unreadable token.");
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

/** The Session the tokens describe: groups from the access token, name and e-mail from the ID
 *  token (falling back on the e-mail when the account has no name). */
export function sessionOf(tokens: Pick<Tokens, "accessToken" | "idToken">): Session {
  const access = claimsOf(tokens.accessToken);
  const id = claimsOf(tokens.idToken);
  const rawGroups = access["cognito:groups"] ?? id["cognito:groups"];
  const groups = Array.isArray(rawGroups) ? rawGroups.map(String) : [];
  const email = typeof id.email === "string" && id.email ? id.email : null;
  const named = typeof id.name === "string" ? id.name.trim() : "";
  return {
    sub: String(access.sub ?? ""),
    name: named || email || "Voter",
    email,
    groups,
    isAdmin: groups.includes("admins"),
    accessToken: tokens.accessToken,
    expiresAt: Number(access.exp ?? 0),
  };
}

function toAuthError(err: unknown): AuthError {
  if (err instanceof AuthError) return err;
  const code = err instanceof CognitoError ? err.code : "UnknownError";
  const raw = err instanceof Error ? err.message : "";
  return new AuthError(code, authErrorMessage(code, raw));
}

/** Sign-up, sign-in and the stored session for one app client of one pool. */
export class CognitoAuth {
  private readonly client: CognitoClient;
  private readonly key: string;
  private refreshing: Promise<Session | null> | null = null;

  constructor(
    config: Pick<AppConfig, "region" | "cognitoEndpoint" | "userPoolClientId">,
    private readonly storage: Storage = window.localStorage,
    fetchImpl?: typeof fetch,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {
    this.client = new CognitoClient(cognitoUrl(config.region, config.cognitoEndpoint), config.userPoolClientId, fetchImpl);
    this.key = `votes.tokens.${config.userPoolClientId}`;
  }

  /** Create an account named `name`; resolves with whether it is already confirmed. */
  async signUp(email: string, name: string, password: string): Promise<{ confirmed: boolean }> {
    try {
      return await this.client.signUp(email, password, { email, name });
    } catch (e) {
      throw toAuthError(e);
    }
  }

  /** Confirm an account with the code Cognito sent (only where the pool does not auto-confirm). */
  async confirm(email: string, code: string): Promise<void> {
    try {
      await this.client.confirmSignUp(email, code);
    } catch (e) {
      throw toAuthError(e);
    }
  }

  async signIn(email: string, password: string): Promise<Session> {
    try {
      const tokens = await this.client.signIn(email, password);
      const session = sessionOf(tokens);
      this.store(tokens);
      return session;
    } catch (e) {
      throw toAuthError(e);
    }
  }

  /** The stored session, refreshed when its access token is (nearly) expired; null when signed
   *  out or the refresh token is no longer accepted. Concurrent callers share one refresh. */
  current(): Promise<Session | null> {
    const tokens = this.load();
    if (!tokens) return Promise.resolve(null);
    let session: Session;
    try {
      session = sessionOf(tokens);
    } catch {
      this.signOut();
      return Promise.resolve(null);
    }
    if (session.expiresAt - REFRESH_MARGIN_S > this.now()) return Promise.resolve(session);
    if (!tokens.refreshToken) {
      this.signOut();
      return Promise.resolve(null);
    }
    this.refreshing ??= this.refresh(tokens.refreshToken, session).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async refresh(refreshToken: string, stale: Session): Promise<Session | null> {
    try {
      const fresh = await this.client.refresh(refreshToken);
      this.store(fresh);
      return sessionOf(fresh);
    } catch (e) {
      if (e instanceof CognitoError && e.code === "NetworkError") {
        // Offline for a moment: keep the session; the API call will say what it can.
        return stale.expiresAt > this.now() ? stale : null;
      }
      this.signOut();
      return null;
    }
  }

  /** Forget the tokens on this device. */
  signOut(): void {
    this.storage.removeItem(this.key);
  }

  private store(tokens: Tokens): void {
    this.storage.setItem(this.key, JSON.stringify(tokens));
  }

  private load(): Tokens | null {
    try {
      const raw = JSON.parse(this.storage.getItem(this.key) ?? "null") as Partial<Tokens> | null;
      if (raw && typeof raw.accessToken === "string" && typeof raw.idToken === "string") {
        return { accessToken: raw.accessToken, idToken: raw.idToken, refreshToken: raw.refreshToken ?? null };
      }
    } catch {
      // unreadable: treat as signed out
    }
    return null;
  }
}
