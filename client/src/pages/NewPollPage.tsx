/** Admins: create a poll (question, 2-20 options, optional closing time). */

import { type FormEvent, useEffect, useId, useReducer, useRef, useState } from "react";
import { messageOf } from "../api/errors";
import { useAuth } from "../auth/AuthContext";
import { Alert, PageHeading } from "../components/ui";
import { hrefFor, Link, navigate } from "../router";
import {
  MAX_OPTION,
  MAX_OPTIONS,
  MAX_QUESTION,
  MIN_OPTIONS,
  emptyPollForm,
  pollFormReducer,
  validatePollForm,
} from "../state/pollForm";

export function NewPollPage() {
  const { api, session } = useAuth();
  const [form, dispatch] = useReducer(pollFormReducer, undefined, emptyPollForm);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const optionRefs = useRef<(HTMLInputElement | null)[]>([]);
  const focusIndex = useRef<number | null>(null);
  const ids = { q: useId(), closes: useId(), closesHint: useId(), option: useId(), hide: useId(), hideHint: useId() };

  useEffect(() => {
    if (focusIndex.current !== null) {
      optionRefs.current[focusIndex.current]?.focus();
      focusIndex.current = null;
    }
  }, [form.options.length]);

  if (!session?.isAdmin) {
    return (
      <main id="main" className="page" tabIndex={-1}>
        <PageHeading title="New poll">New poll</PageHeading>
        <Alert>Only administrators can create polls.</Alert>
        <Link href={hrefFor.polls()}>Back to polls</Link>
      </main>
    );
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const valid = validatePollForm(form);
    if (typeof valid === "string") {
      setError(valid);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const poll = await api.createPoll(valid);
      navigate(hrefFor.poll(poll.id));
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };

  return (
    <main id="main" className="page page-narrow" tabIndex={-1}>
      <Link className="back" href={hrefFor.polls()}>
        ← All polls
      </Link>
      <PageHeading title="New poll">New poll</PageHeading>
      <form className="card form" onSubmit={submit}>
        <div className="field">
          <label htmlFor={ids.q}>Question</label>
          <textarea
            id={ids.q}
            rows={2}
            required
            maxLength={MAX_QUESTION}
            value={form.question}
            placeholder="What should we have for the team lunch?"
            onChange={(e) => dispatch({ type: "question", value: e.target.value })}
          />
        </div>
        <fieldset className="field options-field">
          <legend>
            Options <span className="muted">({MIN_OPTIONS} to {MAX_OPTIONS})</span>
          </legend>
          <ol className="option-inputs">
            {form.options.map((value, i) => (
              <li key={i}>
                <label className="option-label" htmlFor={`${ids.option}-${i}`}>
                  Option {i + 1}
                </label>
                <input
                  id={`${ids.option}-${i}`}
                  ref={(el) => {
                    optionRefs.current[i] = el;
                  }}
                  maxLength={MAX_OPTION}
                  value={value}
                  onChange={(e) => dispatch({ type: "option", index: i, value: e.target.value })}
                />
                <button
                  type="button"
                  className="btn btn-icon"
                  aria-label={`Remove option ${i + 1}`}
                  disabled={form.options.length <= MIN_OPTIONS}
                  onClick={() => {
                    focusIndex.current = Math.max(0, i - 1);
                    dispatch({ type: "remove-option", index: i });
                  }}
                >
                  ×
                </button>
              </li>
            ))}
          </ol>
          <button
            type="button"
            className="btn btn-ghost"
            disabled={form.options.length >= MAX_OPTIONS}
            onClick={() => {
              focusIndex.current = form.options.length;
              dispatch({ type: "add-option" });
            }}
          >
            + Add option
          </button>
        </fieldset>
        <div className="field">
          <label htmlFor={ids.closes}>
            Closes at <span className="muted">(optional)</span>
          </label>
          <input
            id={ids.closes}
            type="datetime-local"
            aria-describedby={ids.closesHint}
            value={form.closesAt}
            onChange={(e) => dispatch({ type: "closes-at", value: e.target.value })}
          />
          <p id={ids.closesHint} className="hint">
            Your local time. Leave empty to close the poll by hand.
          </p>
        </div>
        <div className="field field-check">
          <input
            id={ids.hide}
            type="checkbox"
            aria-describedby={ids.hideHint}
            checked={form.resultsVisibility === "after_vote"}
            onChange={(e) => dispatch({ type: "results-visibility", value: e.target.checked ? "after_vote" : "always" })}
          />
          <label htmlFor={ids.hide}>Hide the results from each voter until they have voted</label>
          <p id={ids.hideHint} className="hint">
            So the running tally cannot sway anyone’s choice. Admins always see them, and everyone does once the poll closes.
          </p>
        </div>
        {error && <Alert>{error}</Alert>}
        <div className="form-actions">
          <Link className="btn btn-ghost" href={hrefFor.polls()}>
            Cancel
          </Link>
          <button type="submit" className="btn btn-primary" disabled={busy} aria-busy={busy}>
            {busy ? "Creating…" : "Create poll"}
          </button>
        </div>
      </form>
    </main>
  );
}
