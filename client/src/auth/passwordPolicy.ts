/**
 * A user pool's password policy (from config.json) and the live checklist of its rules.
 * The checks are Cognito's: at least N characters, and where required one lower-case letter,
 * one upper-case letter, one digit and one of Cognito's symbols.
 */

export interface PasswordPolicy {
  minimumLength: number;
  requireLowercase: boolean;
  requireUppercase: boolean;
  requireNumbers: boolean;
  requireSymbols: boolean;
}

/** Cognito's default policy, used when config.json gives none. */
export const COGNITO_DEFAULT_POLICY: PasswordPolicy = {
  minimumLength: 8,
  requireLowercase: true,
  requireUppercase: true,
  requireNumbers: true,
  requireSymbols: true,
};

/** The characters Cognito counts as symbols (its documentation lists them; space included). */
export const SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`+=- ";

export interface PasswordRule {
  id: "length" | "lowercase" | "uppercase" | "number" | "symbol";
  label: string;
  met: boolean;
}

/** Every rule of `policy`, each with whether `password` meets it, in the order shown. */
export function checkPassword(policy: PasswordPolicy, password: string): PasswordRule[] {
  const rules: PasswordRule[] = [
    {
      id: "length",
      label: `At least ${policy.minimumLength} characters`,
      met: [...password].length >= policy.minimumLength,
    },
  ];
  if (policy.requireLowercase) rules.push({ id: "lowercase", label: "A lower-case letter", met: /\p{Ll}/u.test(password) });
  if (policy.requireUppercase) rules.push({ id: "uppercase", label: "An upper-case letter", met: /\p{Lu}/u.test(password) });
  if (policy.requireNumbers) rules.push({ id: "number", label: "A number", met: /\p{Nd}/u.test(password) });
  if (policy.requireSymbols) {
    rules.push({ id: "symbol", label: "A symbol, such as ! ? # or -", met: [...password].some((c) => SYMBOLS.includes(c)) });
  }
  return rules;
}

/** Read config.json's `passwordPolicy`; null when absent or not the expected shape. */
export function parsePasswordPolicy(raw: unknown): PasswordPolicy | null {
  if (typeof raw !== "object" || raw === null) return null;
  const o = raw as Record<string, unknown>;
  const length = o.minimumLength;
  if (typeof length !== "number" || !Number.isInteger(length) || length < 1) return null;
  const flags = ["requireLowercase", "requireUppercase", "requireNumbers", "requireSymbols"] as const;
  if (!flags.every((f) => typeof o[f] === "boolean")) return null;
  return {
    minimumLength: length,
    requireLowercase: o.requireLowercase as boolean,
    requireUppercase: o.requireUppercase as boolean,
    requireNumbers: o.requireNumbers as boolean,
    requireSymbols: o.requireSymbols as boolean,
  };
}
