/**
 * A poll's results as the page shows them: read once for a closed poll, followed through the
 * configured transport while it is open, not read at all while they are hidden from the viewer.
 */

import { useCallback, useEffect, useMemo, useReducer, useRef } from "react";
import type { ApiClient, TokenSource } from "../api/client";
import { messageOf } from "../api/errors";
import type { RealtimeConfig } from "../config";
import { initialLiveState, liveReducer, type LiveState, STALE_AFTER_MS } from "./liveState";
import type { LiveTransport, Subscription } from "./transport";
import { websocketTransport } from "./websocketTransport";

interface Options {
  api: ApiClient;
  token: TokenSource;
  pollId: string;
  options: string[];
  /** config.json's `realtime`: where the WebSocket transport connects. */
  realtime: RealtimeConfig;
  /** A closed poll's results are final: read once, no transport. */
  closed: boolean;
  /** False while the results are hidden from this viewer: nothing is read. */
  enabled?: boolean;
  /** Injected in tests; by default the WebSocket transport to `realtime`. */
  transport?: LiveTransport;
}

export function useLiveResults({ api, token, pollId, options, realtime, closed, enabled = true, transport }: Options): {
  state: LiveState;
  refresh: () => void;
} {
  const [state, dispatch] = useReducer(liveReducer, undefined, () => initialLiveState());
  const subscription = useRef<Subscription | null>(null);
  // Callers may pass fresh arrays and closures on every render: key the effects on values.
  const optionKey = options.join("\u0000");
  const latest = useRef({ options, token });
  latest.current = { options, token };
  const live = useMemo(
    () => transport ?? websocketTransport(api, () => latest.current.token(), realtime),
    [transport, realtime, api],
  );

  useEffect(() => {
    dispatch({ type: "reset", status: closed ? "final" : "connecting" });
    if (!enabled) return;
    const opts = latest.current.options;
    if (closed) {
      const abort = new AbortController();
      api.getResults(pollId, opts, null, abort.signal).then(
        (read) => {
          if (!read.notModified) dispatch({ type: "results", results: read.results, at: Date.now() });
        },
        (e) => {
          if (!abort.signal.aborted) dispatch({ type: "error", message: messageOf(e) });
        },
      );
      return () => abort.abort();
    }
    let staleTimer: ReturnType<typeof setTimeout> | undefined;
    const sub = live.subscribe({ pollId, options: opts }, (event) => {
      switch (event.type) {
        case "tally":
          dispatch({ type: "results", results: event.results, at: Date.now() });
          break;
        case "up":
          clearTimeout(staleTimer);
          staleTimer = undefined;
          dispatch({ type: "up", at: Date.now() });
          break;
        case "down":
          dispatch({ type: "down" });
          staleTimer ??= setTimeout(() => dispatch({ type: "stale" }), STALE_AFTER_MS);
          break;
        case "error":
          dispatch({ type: "error", message: messageOf(event.error) });
          break;
      }
    });
    subscription.current = sub;
    return () => {
      clearTimeout(staleTimer);
      sub.close();
      subscription.current = null;
    };
  }, [api, live, pollId, optionKey, closed, enabled]);

  const refresh = useCallback(() => subscription.current?.refresh(), []);
  return { state, refresh };
}
