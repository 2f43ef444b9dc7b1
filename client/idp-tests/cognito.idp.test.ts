// @vitest-environment node
/**
 * The client's own Cognito module (src/auth) against a real identity provider: run by
 * tests/handlers/test_local_idp.py against the local IdP over HTTP (it sets the endpoint and
 * reads the JSON this writes). Not part of the client's unit tests: it needs a server.
 */
import { writeFileSync } from "node:fs";
import { expect, it } from "vitest";
import { CognitoAuth } from "../src/auth/session";

const { VOTES_IDP_ENDPOINT, VOTES_IDP_CLIENT, VOTES_IDP_OUT, VOTES_IDP_EMAIL, VOTES_IDP_PASSWORD } = process.env;

class MemoryStorage implements Storage {
  private items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  clear() {
    this.items.clear();
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  key(i: number) {
    return [...this.items.keys()][i] ?? null;
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

it("signs up, signs in and refreshes with the app's own Cognito client", async () => {
  expect(VOTES_IDP_ENDPOINT && VOTES_IDP_CLIENT && VOTES_IDP_OUT && VOTES_IDP_EMAIL && VOTES_IDP_PASSWORD).toBeTruthy();
  let clock = Date.now() / 1000;
  const auth = new CognitoAuth(
    { region: "us-east-1", cognitoEndpoint: VOTES_IDP_ENDPOINT!, userPoolClientId: VOTES_IDP_CLIENT! },
    new MemoryStorage(),
    undefined,
    () => clock,
  );
  const email = VOTES_IDP_EMAIL!;
  const password = VOTES_IDP_PASSWORD!;
  const out: Record<string, unknown> = {};
  out.signUp = await auth.signUp(email, "Peggy Carter", password);
  out.duplicate = await auth.signUp(email.toUpperCase(), "Peggy", password).catch((e: { code: string }) => e.code);
  out.wrongPassword = await auth.signIn(email, `${password}x`).catch((e: { code: string; message: string }) => ({ code: e.code, message: e.message }));
  const session = await auth.signIn(email, password);
  out.session = { name: session.name, email: session.email, sub: session.sub, isAdmin: session.isAdmin };
  out.accessToken = session.accessToken;
  clock = session.expiresAt; // expired now: current() must refresh with the refresh token
  const fresh = await auth.current();
  out.refreshedAccessToken = fresh?.accessToken;
  out.refreshedName = fresh?.name;
  writeFileSync(VOTES_IDP_OUT!, JSON.stringify(out));
});
