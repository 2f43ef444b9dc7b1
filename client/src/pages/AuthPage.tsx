/** Sign in, or create an account (then sign in at once). */

import { type FormEvent, useId, useState } from "react";
import { useAuth } from "../auth/AuthContext";
import { Alert, PageHeading } from "../components/ui";
import { messageOf } from "../api/errors";

type Mode = "sign-in" | "sign-up" | "confirm";

export function AuthPage() {
  const { signIn, signUp, confirm, error: sessionError } = useAuth();
  const [mode, setMode] = useState<Mode>("sign-in");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = { user: useId(), pass: useId(), hint: useId(), code: useId() };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === "sign-up") {
        const { confirmed } = await signUp(username.trim(), password);
        if (!confirmed) {
          setMode("confirm");
          return;
        }
      } else if (mode === "confirm") {
        await confirm(username.trim(), code.trim());
      }
      await signIn(username.trim(), password);
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

  const title = mode === "sign-in" ? "Sign in" : mode === "sign-up" ? "Create your account" : "Confirm your account";
  const action =
    mode === "sign-in" ? "Sign in to vote" : mode === "sign-up" ? "Create account and sign in" : "Confirm and sign in";

  return (
    <main className="auth" id="main">
      <section className="card auth-card" aria-labelledby="auth-title">
        <div className="auth-brand" aria-hidden="true">
          <span className="logo-mark">✓</span>
        </div>
        <div id="auth-title">
          <PageHeading title={title}>{title}</PageHeading>
        </div>
        <p className="muted">
          {mode === "confirm"
            ? "We sent a confirmation code. Enter it to finish creating your account."
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
        <form onSubmit={submit} className="form" noValidate={false}>
          <div className="field">
            <label htmlFor={ids.user}>Username</label>
            <input
              id={ids.user}
              name="username"
              autoComplete="username"
              required
              minLength={1}
              maxLength={128}
              pattern="[^\s]+"
              title="No spaces"
              value={username}
              readOnly={mode === "confirm"}
              onChange={(e) => setUsername(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={ids.pass}>Password</label>
            <input
              id={ids.pass}
              name="password"
              type="password"
              autoComplete={mode === "sign-in" ? "current-password" : "new-password"}
              required
              minLength={mode === "sign-in" ? 1 : 8}
              aria-describedby={mode === "sign-up" ? ids.hint : undefined}
              value={password}
              readOnly={mode === "confirm"}
              onChange={(e) => setPassword(e.target.value)}
            />
            {mode === "sign-up" && (
              <p id={ids.hint} className="hint">
                At least 8 characters with upper- and lower-case letters, a number and a symbol.
              </p>
            )}
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
            {busy ? "Please wait…" : action}
          </button>
        </form>
      </section>
    </main>
  );
}
