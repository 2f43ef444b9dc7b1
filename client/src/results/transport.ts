/**
 * How live tallies reach the page: one small interface, so the view does not care how they
 * travel. The app's one transport speaks AWS AppSync Events' WebSocket protocol, to AppSync on
 * AWS and to `votes serve` locally (./websocketTransport.ts); tests drive the interface by hand.
 * A transport reports tallies and whether its link is up; what the page shows about the link
 * ("Live", "Reconnecting…", "Results may be stale") is decided by the transport-free state in
 * ./liveState.ts.
 */

import type { Results } from "../api/types";

export type TransportEvent =
  /** A tally (possibly older than one already seen: the state drops those by position). */
  | { type: "tally"; results: Results }
  /** The link works: tallies will arrive as they change. */
  | { type: "up" }
  /** The link is broken; the transport keeps trying to restore it. */
  | { type: "down" }
  /** A read was refused for a reason a retry will not cure (e.g. results_hidden). */
  | { type: "error"; error: unknown };

export interface Subscription {
  /** Stop: no event is emitted after this. */
  close(): void;
  /** Get the current tally now if this transport pulls (after the viewer voted). */
  refresh(): void;
}

export interface LiveTransport {
  /** Follow one poll's tally; `options` orders the counts. */
  subscribe(poll: { pollId: string; options: string[] }, emit: (event: TransportEvent) => void): Subscription;
}
