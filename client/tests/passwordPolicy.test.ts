import { describe, expect, it } from "vitest";
import { checkPassword, COGNITO_DEFAULT_POLICY, parsePasswordPolicy } from "../src/auth/passwordPolicy";

const POOL = { minimumLength: 8, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: false };
const met = (policy = POOL, password = "") => Object.fromEntries(checkPassword(policy, password).map((r) => [r.id, r.met]));

describe("checkPassword", () => {
  it("lists exactly the pool's rules, each ticked as it is met", () => {
    expect(checkPassword(POOL, "").map((r) => r.label)).toEqual([
      "At least 8 characters",
      "A lower-case letter",
      "An upper-case letter",
      "A number",
    ]);
    expect(met(POOL, "abc")).toEqual({ length: false, lowercase: true, uppercase: false, number: false });
    expect(met(POOL, "abcDEF12")).toEqual({ length: true, lowercase: true, uppercase: true, number: true });
  });

  it("counts Cognito's symbols, characters rather than UTF-16 units, and non-Latin letters", () => {
    expect(met(COGNITO_DEFAULT_POLICY, "Abcdefg1-").symbol).toBe(true);
    expect(met(COGNITO_DEFAULT_POLICY, "Abcdefg1 ").symbol).toBe(true);
    expect(met(COGNITO_DEFAULT_POLICY, "Abcdefg1§").symbol).toBe(false);
    expect(met({ ...POOL, minimumLength: 4 }, "😀😀😀").length).toBe(false);
    expect(met(POOL, "ÉCOLEéte").uppercase).toBe(true);
  });
});

describe("parsePasswordPolicy", () => {
  it("reads config.json's passwordPolicy, refusing other shapes", () => {
    expect(parsePasswordPolicy(POOL)).toEqual(POOL);
    expect(parsePasswordPolicy({ ...POOL, minimumLength: "8" })).toBeNull();
    expect(parsePasswordPolicy({ ...POOL, requireSymbols: undefined })).toBeNull();
    expect(parsePasswordPolicy(null)).toBeNull();
  });
});
