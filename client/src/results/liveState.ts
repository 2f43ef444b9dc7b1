/**
 * What a live results view shows, whatever the transport: the newest tally (older ones that
 * arrive late are dropped by log position) and the state of the link, for the badge and the
 * "results may be stale" warning.
 *
 *   connecting ──up──▶ live ──down──▶ reconnecting ──(STALE_AFTER_MS)──▶ stale
 *        ▲                 ◀──────────────up───────────────────────────────┘
 *   any ──tally with final: true──▶ final (stays)
 */

import type { Results } from "../api/types";

export type LinkStatus = "connecting" | "live" | "reconnecting" | "stale" | "final";

/** A link down this long makes the shown tally "possibly stale" (a blip is not worth a banner). */
export const STALE_AFTER_MS = 4000;

export interface LiveState {
  results: Results | null;
  status: LinkStatus;
  error: string | null;
  /** Count of accepted tallies that changed something, so views can tell new from repeat. */
  revision: number;
  /** When the shown tally was last confirmed current (ms since the epoch), for "as of". */
  confirmedAt: number | null;
}

export type LiveAction =
  | { type: "results"; results: Results; at: number }
  | { type: "up"; at: number }
  | { type: "down" }
  | { type: "stale" }
  | { type: "error"; message: string }
  | { type: "reset"; status: LinkStatus };

export const initialLiveState = (status: LinkStatus = "connecting"): LiveState => ({
  results: null,
  status,
  error: null,
  revision: 0,
  confirmedAt: null,
});

function isOlder(current: Results | null, next: Results): boolean {
  if (!current || current.position === null || next.position === null) return false;
  return next.position < current.position;
}

function sameTally(a: Results | null, b: Results): boolean {
  return (
    a !== null &&
    a.total === b.total &&
    a.final === b.final &&
    a.counts.length === b.counts.length &&
    a.counts.every((c, i) => c.option === b.counts[i].option && c.votes === b.counts[i].votes)
  );
}

export function liveReducer(state: LiveState, action: LiveAction): LiveState {
  const final = state.status === "final";
  switch (action.type) {
    case "results": {
      if (isOlder(state.results, action.results)) return state;
      const status: LinkStatus = action.results.final ? "final" : state.status === "connecting" ? "live" : state.status;
      if (sameTally(state.results, action.results)) {
        return { ...state, error: null, status, confirmedAt: action.at };
      }
      return { ...state, results: action.results, error: null, revision: state.revision + 1, status, confirmedAt: action.at };
    }
    case "up":
      return final ? state : { ...state, status: "live", confirmedAt: state.status === "live" ? state.confirmedAt : action.at };
    case "down":
      return final || state.status === "stale" || state.status === "reconnecting" ? state : { ...state, status: "reconnecting" };
    case "stale":
      return state.status === "reconnecting" ? { ...state, status: "stale" } : state;
    case "error":
      return { ...state, error: action.message };
    case "reset":
      return initialLiveState(action.status);
  }
}
