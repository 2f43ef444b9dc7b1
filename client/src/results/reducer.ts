/** The state of a live results view, and the reducer that keeps it (stale updates dropped). */

import type { Results } from "../api/types";

export type Connection = "connecting" | "live" | "polling" | "reconnecting" | "final";

export interface LiveResultsState {
  results: Results | null;
  connection: Connection;
  error: string | null;
  /** Count of accepted updates, so views can tell a new tally from a repeat. */
  revision: number;
}

export type LiveResultsAction =
  | { type: "results"; results: Results }
  | { type: "connection"; connection: Connection }
  | { type: "error"; message: string }
  | { type: "reset"; connection: Connection };

export const initialLiveResults = (connection: Connection = "connecting"): LiveResultsState => ({
  results: null,
  connection,
  error: null,
  revision: 0,
});

function isStale(current: Results | null, next: Results): boolean {
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

export function liveResultsReducer(
  state: LiveResultsState,
  action: LiveResultsAction,
): LiveResultsState {
  switch (action.type) {
    case "results":
      if (isStale(state.results, action.results)) return state;
      if (sameTally(state.results, action.results)) {
        return state.error ? { ...state, error: null } : state;
      }
      return {
        ...state,
        results: action.results,
        error: null,
        revision: state.revision + 1,
        connection: action.results.final ? "final" : state.connection,
      };
    case "connection":
      return state.connection === action.connection || state.connection === "final"
        ? state
        : { ...state, connection: action.connection };
    case "error":
      return { ...state, error: action.message };
    case "reset":
      return initialLiveResults(action.connection);
  }
}
