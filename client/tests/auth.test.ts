import { describe, expect, it, vi } from "vitest";
import { CognitoClient, CognitoError, cognitoUrl } from "../src/auth/cognitoClient";
import { authErrorMessage } from "../src/auth/messages";
import { CognitoAuth, claimsOf, sessionOf } from "../src/auth/session";

const b64 = (o: object) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(o))))
    .replace(/=+$/, "")
    .replace(/\+/g, "-")
    .replace(/\//g, "_");
const jwt = (claims: object) => `${b64({ alg: "RS256", kid: "k" })}.${b64(claims)}.sig`;
const UUID_USERNAME = "7c1b6a2e-4d3f-4e8a-9b0c-1d2e3f4a5b6c";

function cognito(responses: Response[]) {
  const calls: { url: string; target: string; body: Record<string, unknown> }[] = [];
  const impl = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    const headers = init?.headers as Record<string, string>;
    calls.push({ url: String(url), target: headers["X-Amz-Target"], body: JSON.parse(String(init?.body)) });
    const next = responses.shift();
    if (!next) throw new TypeError("Failed to fetch");
    return next;
  });
  return { calls, impl: impl as unknown as typeof fetch };
}
const ok = (body: object) => new Response(JSON.stringify(body), { status: 200 });
const fail = (type: string, message: string) => new Response(JSON.stringify({ __type: type, message }), { status: 400 });
const tokens = (access: object, id: object, refresh = "r1") => ({
  AuthenticationResult: { AccessToken: jwt(access), IdToken: jwt(id), RefreshToken: refresh, ExpiresIn: 3600 },
});

describe("CognitoClient (Cognito's JSON protocol)", () => {
  it("posts each action with its X-Amz-Target, the client id and Cognito's field names", async () => {
    const { calls, impl } = cognito([ok({ UserConfirmed: true, UserSub: "s" }), ok(tokens({ sub: "s" }, { sub: "s" }))]);
    const c = new CognitoClient("http://localhost:8000/cognito", "client-1", impl);
    expect(await c.signUp("ada@example.com", "Pw-12345", { email: "ada@example.com", name: "Ada" })).toEqual({ confirmed: true });
    await c.signIn("ada@example.com", "Pw-12345");
    expect(calls[0]).toEqual({
      url: "http://localhost:8000/cognito",
      target: "AWSCognitoIdentityProviderService.SignUp",
      body: {
        ClientId: "client-1",
        Username: "ada@example.com",
        Password: "Pw-12345",
        UserAttributes: [
          { Name: "email", Value: "ada@example.com" },
          { Name: "name", Value: "Ada" },
        ],
      },
    });
    expect(calls[1].target).toBe("AWSCognitoIdentityProviderService.InitiateAuth");
    expect(calls[1].body).toMatchObject({ AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "ada@example.com", PASSWORD: "Pw-12345" } });
  });

  it("refreshes with REFRESH_TOKEN_AUTH and keeps the refresh token Cognito does not resend", async () => {
    const result = tokens({ sub: "s" }, { sub: "s" });
    delete (result.AuthenticationResult as Partial<typeof result.AuthenticationResult>).RefreshToken;
    const { calls, impl } = cognito([ok(result)]);
    const fresh = await new CognitoClient("u", "c", impl).refresh("r-old");
    expect(calls[0].body).toMatchObject({ AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: "r-old" } });
    expect(fresh.refreshToken).toBe("r-old");
  });

  it("turns Cognito's errors, namespaced or not, and network failures into CognitoError codes", async () => {
    const namespaced = new Response(JSON.stringify({ __type: "com.amazonaws.cognito#NotAuthorizedException", message: "Incorrect username or password." }), { status: 400 });
    const byHeader = new Response("", { status: 400, headers: { "x-amzn-ErrorType": "TooManyRequestsException:http://internal" } });
    const { impl } = cognito([namespaced, byHeader, ok({ ChallengeName: "NEW_PASSWORD_REQUIRED" })]);
    const c = new CognitoClient("u", "c", impl);
    await expect(c.signIn("a", "b")).rejects.toMatchObject({ code: "NotAuthorizedException", message: "Incorrect username or password." });
    await expect(c.signIn("a", "b")).rejects.toMatchObject({ code: "TooManyRequestsException" });
    await expect(c.signIn("a", "b")).rejects.toMatchObject({ code: "ChallengeRequired" });
    await expect(c.signIn("a", "b")).rejects.toEqual(new CognitoError("NetworkError", "Cannot reach the sign-in service."));
  });

  it("goes to the region's Cognito unless the config names a local endpoint", () => {
    expect(cognitoUrl("eu-west-1", null)).toBe("https://cognito-idp.eu-west-1.amazonaws.com/");
    expect(cognitoUrl("us-east-1", "http://127.0.0.1:8000/cognito")).toBe("http://127.0.0.1:8000/cognito");
  });
});

describe("sessionOf", () => {
  it("shows the name attribute, never the username claim (a UUID on an e-mail pool)", () => {
    const s = sessionOf({
      accessToken: jwt({ sub: "u-1", username: UUID_USERNAME, "cognito:groups": ["admins"], exp: 4102444800 }),
      idToken: jwt({ sub: "u-1", "cognito:username": UUID_USERNAME, email: "ada@example.com", name: "Ada Lovelace" }),
    });
    expect(s).toMatchObject({ sub: "u-1", name: "Ada Lovelace", email: "ada@example.com", isAdmin: true, expiresAt: 4102444800 });
    expect(JSON.stringify({ ...s, accessToken: "" })).not.toContain(UUID_USERNAME);
  });

  it("falls back on the e-mail address, then on 'Voter', and reads non-ASCII names", () => {
    const access = jwt({ sub: "u-2", username: UUID_USERNAME });
    expect(sessionOf({ accessToken: access, idToken: jwt({ email: "bo@example.com", name: " " }) }).name).toBe("bo@example.com");
    expect(sessionOf({ accessToken: access, idToken: jwt({}) }).name).toBe("Voter");
    expect(sessionOf({ accessToken: access, idToken: jwt({ name: "Zoë Ωmega" }) })).toMatchObject({ name: "Zoë Ωmega", isAdmin: false });
    expect(claimsOf(jwt({ name: "Zoë" })).name).toBe("Zoë");
  });
});

describe("CognitoAuth (the stored session)", () => {
  const config = { region: "us-east-1", cognitoEndpoint: "http://idp.test/cognito", userPoolClientId: "c1" };

  it("signs in, keeps the tokens, refreshes before expiry, and signs out", async () => {
    let now = 1000;
    const first = tokens({ sub: "u", exp: 1000 + 3600 }, { name: "Ada" });
    const second = tokens({ sub: "u", exp: 1000 + 7200 }, { name: "Ada" }, "r2");
    const { calls, impl } = cognito([ok(first), ok(second)]);
    const auth = new CognitoAuth(config, window.localStorage, impl, () => now);
    const s = await auth.signIn("ada@example.com", "pw");
    expect(s.name).toBe("Ada");
    expect(await auth.current()).toMatchObject({ expiresAt: 4600 }); // stored, no call
    now = 4600 - 60; // within the refresh margin
    const [a, b] = await Promise.all([auth.current(), auth.current()]);
    expect(a?.expiresAt).toBe(8200);
    expect(b?.expiresAt).toBe(8200);
    expect(calls).toHaveLength(2); // one refresh for both callers
    expect(calls[1].body.AuthParameters).toEqual({ REFRESH_TOKEN: "r1" });
    auth.signOut();
    expect(await auth.current()).toBeNull();
  });

  it("is signed out when the refresh token is refused, and keeps a valid session while offline", async () => {
    let now = 0;
    const { impl } = cognito([ok(tokens({ sub: "u", exp: 100 }, {})), fail("NotAuthorizedException", "Refresh Token has expired")]);
    const auth = new CognitoAuth(config, window.localStorage, impl, () => now);
    await auth.signIn("a@example.com", "pw");
    now = 50; // expiring soon; the network is down (no response left): the session stays
    const { impl: offline } = cognito([]);
    expect((await new CognitoAuth(config, window.localStorage, offline, () => now).current())?.sub).toBe("u");
    expect(await auth.current()).toBeNull(); // refused: signed out
    expect(window.localStorage.length).toBe(0);
  });

  it("words sign-up failures for people", async () => {
    const { impl } = cognito([fail("UsernameExistsException", "User already exists")]);
    const auth = new CognitoAuth(config, window.localStorage, impl);
    await expect(auth.signUp("ada@example.com", "Ada", "pw")).rejects.toMatchObject({
      code: "UsernameExistsException",
      message: "An account with this e-mail address already exists. Sign in instead.",
    });
  });
});

describe("authErrorMessage", () => {
  it("words Cognito's errors for people", () => {
    expect(authErrorMessage("NotAuthorizedException", "Incorrect username or password.")).toBe("Wrong e-mail address or password.");
    expect(authErrorMessage("UserNotFoundException", "User does not exist.")).toBe("Wrong e-mail address or password.");
    expect(authErrorMessage("NetworkError", "")).toMatch(/Cannot reach/);
  });

  it("keeps the rule Cognito names for a weak password", () => {
    expect(
      authErrorMessage("InvalidPasswordException", "Password did not conform with policy: Password must have uppercase characters"),
    ).toBe("Password did not conform with policy: Password must have uppercase characters");
    expect(
      authErrorMessage("InvalidParameterException", "1 validation error detected: Value at 'password' failed to satisfy constraint"),
    ).toBe("Value at 'password' failed to satisfy constraint");
  });
});
