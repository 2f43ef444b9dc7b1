/** Sign in with e-mail and password, or create an account (e-mail, display name, a password
 *  checked live against the pool's rules), then sign in at once. */

import { type FormEvent, useId, useState } from "react";
import { messageOf } from "../api/errors";
import { useAuth } from "../auth/AuthContext";
import { checkPassword } from "../auth/passwordPolicy";
import { PasswordChecklist } from "../components/PasswordChecklist";
import { Alert, PageHeading } from "../components/ui";

type Mode = "sign-in" | "sign-up" | "confirm";

const TITLE: Record<Mode, string> = { "sign-in": "Sign in", "sign-up": "Create your account", confirm: "Confirm your account" };
const ACTION: Record<Mode, string> = {
  "sign-in": "Sign in to vote",
  "sign-up": "Create account and sign in",
  confirm: "Confirm and sign in",
};

export function AuthPage() {
  const { config, signIn, signUp, confirm, error: sessionError } = useAuth();
  const [mode, setMode] = useState<Mode>("sign-in");
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = { email: useId(), name: useId(), nameHint: useId(), pass: useId(), rules: useId(), code: useId() };
  const rules = checkPassword(config.passwordPolicy, password);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (mode === "sign-up") {
      const missing = rules.filter((r) => !r.met).map((r) => r.label.toLowerCase());
      if (missing.length) {
        setError(`The password needs: ${missing.join(", ")}.`);
        return;
      }
    }
    setBusy(true);
    setError(null);
    try {
      if (mode === "sign-up") {
        const { confirmed } = await signUp(email.trim(), name.trim(), password);
        if (!confirmed) {
          setMode("confirm");
          return;
        }
      } else if (mode === "confirm") {
        await confirm(email.trim(), code.trim());
      }
      await signIn(email.trim(), password);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const switchTo = (next: Mode) => {
    setMode(next);
    setError(null);
  };

  return (
    <main className="auth" id="main" tabIndex={-1}>
      <section className="card auth-card" aria-labelledby="auth-title">
        <div className="auth-brand" aria-hidden="true">
          <span className="logo-mark">✓</span>
        </div>
        <div id="auth-title">
          <PageHeading title={TITLE[mode]}>{TITLE[mode]}</PageHeading>
        </div>
        <p className="muted">
          {mode === "confirm"
            ? "We sent a confirmation code to your e-mail address. Enter it to finish creating your account."
            : "Vote in polls and watch the results change live."}
        </p>
        {mode !== "confirm" && (
          <div className="segmented" role="group" aria-label="Account">
            <button type="button" aria-pressed={mode === "sign-in"} onClick={() => switchTo("sign-in")}>
              Sign in
            </button>
            <button type="button" aria-pressed={mode === "sign-up"} onClick={() => switchTo("sign-up")}>
              Create account
            </button>
          </div>
        )}
        <form onSubmit={submit} className="form">
          <div className="field">
            <label htmlFor={ids.email}>E-mail address</label>
            <input
              id={ids.email}
              name="email"
              type="email"
              autoComplete={mode === "sign-in" ? "username" : "email"}
              inputMode="email"
              required
              maxLength={128}
              value={email}
              readOnly={mode === "confirm"}
              onChange={(e) => setEmail(e.target.value)}
            />
          </div>
          {mode === "sign-up" && (
            <div className="field">
              <label htmlFor={ids.name}>Your name</label>
              <input
                id={ids.name}
                name="name"
                autoComplete="name"
                required
                maxLength={100}
                aria-describedby={ids.nameHint}
                value={name}
                onChange={(e) => setName(e.target.value)}
              />
              <p id={ids.nameHint} className="hint">
                Shown beside your account; your e-mail address is not.
              </p>
            </div>
          )}
          <div className="field">
            <label htmlFor={ids.pass}>Password</label>
            <input
              id={ids.pass}
              name="password"
              type="password"
              autoComplete={mode === "sign-in" ? "current-password" : "new-password"}
              required
              aria-describedby={mode === "sign-up" ? ids.rules : undefined}
              value={password}
              readOnly={mode === "confirm"}
              onChange={(e) => setPassword(e.target.value)}
            />
            {mode === "sign-up" && <PasswordChecklist id={ids.rules} rules={rules} />}
          </div>
          {mode === "confirm" && (
            <div className="field">
              <label htmlFor={ids.code}>Confirmation code</label>
              <input
                id={ids.code}
                name="code"
                inputMode="numeric"
                autoComplete="one-time-code"
                required
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
            </div>
          )}
          {error && <Alert>{error}</Alert>}
          {!error && sessionError && <Alert kind="info">{sessionError}</Alert>}
          <button type="submit" className="btn btn-primary btn-block" disabled={busy} aria-busy={busy}>
            {busy ? "Please wait…" : ACTION[mode]}
          </button>
        </form>
      </section>
    </main>
  );
}
