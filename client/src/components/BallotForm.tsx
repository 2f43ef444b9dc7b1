/** The viewer's ballot in one poll: cast, change or retract while open; read-only once closed. */

import { type FormEvent, type ReactNode, useId, useState } from "react";
import type { Ballot, Poll } from "../api/types";

export type BallotAction = { kind: "cast" | "change"; option: string } | { kind: "retract" };

interface Props {
  poll: Poll;
  /** Whether the poll takes votes now (its closing time may have passed since it loaded). */
  open: boolean;
  ballot: Ballot | null;
  busy: boolean;
  onAction: (action: BallotAction) => void;
  /** The outcome of the last action, shown under the buttons. */
  children?: ReactNode;
}

export function BallotForm({ poll, open, ballot, busy, onAction, children }: Props) {
  const held = ballot?.option ?? null;
  const [choice, setChoice] = useState<string | null>(held);
  const [shownHeld, setShownHeld] = useState<string | null>(held);
  const legendId = useId();
  if (held !== shownHeld) {
    // The vote held changed (a vote went through, or we learnt of one cast elsewhere). Follow
    // it unless the viewer had picked something else: after "already voted" their pick stays,
    // so "Change my vote" is one click away.
    setShownHeld(held);
    if (choice === null || choice === shownHeld) setChoice(held);
  }

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!choice || !open) return;
    onAction({ kind: held ? "change" : "cast", option: choice });
  };

  return (
    <form className="card ballot" onSubmit={submit} aria-labelledby={legendId}>
      <fieldset disabled={!open || busy}>
        <legend id={legendId}>
          <span className="legend-title">{open ? (held ? "Your vote" : "Cast your vote") : "Your ballot"}</span>
          <span className="legend-sub">
            {held ? (
              <>
                You voted for <strong>{held}</strong>.
              </>
            ) : open ? (
              "Pick one option."
            ) : (
              "You did not vote in this poll."
            )}
          </span>
        </legend>
        <div className="choices">
          {poll.options.map((option) => (
            <label key={option} className={`choice${choice === option ? " is-selected" : ""}${held === option ? " is-held" : ""}`}>
              <input
                type="radio"
                name="option"
                value={option}
                checked={choice === option}
                onChange={() => setChoice(option)}
              />
              <span className="choice-text">{option}</span>
              {held === option && <span className="choice-tag">Your vote</span>}
            </label>
          ))}
        </div>
      </fieldset>
      {open && (
        <div className="ballot-actions">
          {held ? (
            <>
              <button type="submit" className="btn btn-primary" disabled={busy || !choice || choice === held}>
                Change my vote
              </button>
              <button type="button" className="btn btn-danger-ghost" disabled={busy} onClick={() => onAction({ kind: "retract" })}>
                Retract my vote
              </button>
            </>
          ) : (
            <button type="submit" className="btn btn-primary" disabled={busy || !choice}>
              Vote
            </button>
          )}
        </div>
      )}
      {children}
    </form>
  );
}
