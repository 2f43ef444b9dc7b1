import {
  CognitoAccessToken,
  CognitoIdToken,
  CognitoRefreshToken,
  CognitoUserSession,
} from "amazon-cognito-identity-js";
import { describe, expect, it } from "vitest";
import { sessionOf } from "../src/auth/cognito";
import { authErrorMessage } from "../src/auth/messages";

const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
const jwt = (claims: object) => `${b64({ alg: "RS256", typ: "JWT" })}.${b64(claims)}.sig`;

function session(access: object, id: object = {}) {
  return new CognitoUserSession({
    AccessToken: new CognitoAccessToken({ AccessToken: jwt({ exp: 4102444800, iat: 1, ...access }) }),
    IdToken: new CognitoIdToken({ IdToken: jwt({ exp: 4102444800, iat: 1, ...id }) }),
    RefreshToken: new CognitoRefreshToken({ RefreshToken: "r" }),
  });
}

describe("sessionOf", () => {
  it("reads the username, sub and admins group from the access token", () => {
    const s = sessionOf(session({ sub: "u-1", username: "ada", "cognito:groups": ["admins"], token_use: "access" }));
    expect(s).toMatchObject({ username: "ada", sub: "u-1", groups: ["admins"], isAdmin: true, expiresAt: 4102444800 });
    expect(s.accessToken.split(".")).toHaveLength(3);
  });

  it("is no admin without the group, and falls back on the ID token's claims", () => {
    const s = sessionOf(session({ sub: "u-2" }, { "cognito:username": "bob", "cognito:groups": ["voters"] }));
    expect(s).toMatchObject({ username: "bob", groups: ["voters"], isAdmin: false });
  });
});

describe("authErrorMessage", () => {
  it("words Cognito's errors for people", () => {
    expect(authErrorMessage("NotAuthorizedException", "Incorrect username or password.")).toBe("Wrong username or password.");
    expect(authErrorMessage("UserNotFoundException", "User does not exist.")).toBe("Wrong username or password.");
    expect(authErrorMessage("UsernameExistsException", "")).toMatch(/already taken/);
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
