/**
 * Live results of one poll: Server-Sent Events (`/results/stream`) when the config says "sse",
 * else polling `GET /results` with If-None-Match; either way the same state for the chart.
 */

import { useCallback, useEffect, useReducer, useRef } from "react";
import type { ApiClient, TokenSource } from "../api/client";
import { messageOf } from "../api/errors";
import { toResults } from "../api/types";
import type { LiveResultsMode } from "../config";
import { initialLiveResults, liveResultsReducer, type LiveResultsState } from "./reducer";

export const POLL_INTERVAL_MS = 3000;
const RECONNECT_MS = [1000, 2000, 5000, 10000];
/** Event names the stream may use; unnamed events arrive as "message". */
export const STREAM_EVENTS = ["message", "results", "tally", "TallyUpdated"];

interface Options {
  api: ApiClient;
  token: TokenSource;
  pollId: string;
  options: string[];
  mode: LiveResultsMode;
  /** A closed poll's results are final: read once, no stream. */
  closed: boolean;
}

export function useLiveResults({ api, token, pollId, options, mode, closed }: Options): {
  state: LiveResultsState;
  refresh: () => void;
} {
  const [state, dispatch] = useReducer(liveResultsReducer, mode, (m) =>
    initialLiveResults(m === "sse" ? "connecting" : "polling"),
  );
  const etag = useRef<string | null>(null);
  // Callers may pass fresh arrays and closures on every render: key the effects on values.
  const optionKey = options.join("\u0000");
  const latest = useRef({ options, token });
  latest.current = { options, token };

  const fetchNow = useCallback(
    async (signal?: AbortSignal) => {
      try {
        const read = await api.getResults(pollId, latest.current.options, etag.current, signal);
        if (read.notModified) return;
        etag.current = read.etag;
        dispatch({ type: "results", results: read.results });
      } catch (e) {
        if (signal?.aborted) return;
        dispatch({ type: "error", message: messageOf(e) });
      }
    },
    [api, pollId, optionKey],
  );

  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let source: EventSource | null = null;
    let attempt = 0;
    etag.current = null;
    dispatch({ type: "reset", connection: closed ? "final" : mode === "sse" ? "connecting" : "polling" });

    const pollLoop = async () => {
      if (abort.signal.aborted) return;
      if (typeof document === "undefined" || !document.hidden) await fetchNow(abort.signal);
      if (!abort.signal.aborted) timer = setTimeout(pollLoop, POLL_INTERVAL_MS);
    };

    const onData = (event: MessageEvent) => {
      try {
        const results = toResults(JSON.parse(event.data), latest.current.options);
        dispatch({ type: "results", results });
      } catch {
        // A keep-alive or non-JSON event carries no tally.
      }
    };

    const openStream = async () => {
      if (abort.signal.aborted) return;
      const accessToken = await latest.current.token();
      if (abort.signal.aborted || !accessToken) return;
      source = new EventSource(api.resultsStreamUrl(pollId, accessToken));
      source.onopen = () => {
        attempt = 0;
        dispatch({ type: "connection", connection: "live" });
      };
      for (const name of STREAM_EVENTS) source.addEventListener(name, onData as EventListener);
      source.onerror = () => {
        dispatch({ type: "connection", connection: "reconnecting" });
        if (source && source.readyState === EventSource.CLOSED) {
          // The browser gave up (e.g. an expired token): reopen with a fresh token.
          source = null;
          const delay = RECONNECT_MS[Math.min(attempt++, RECONNECT_MS.length - 1)];
          timer = setTimeout(() => {
            void fetchNow(abort.signal);
            void openStream();
          }, delay);
        }
      };
    };

    void fetchNow(abort.signal);
    if (!closed) {
      if (mode === "sse") void openStream();
      else timer = setTimeout(pollLoop, POLL_INTERVAL_MS);
    }
    return () => {
      abort.abort();
      clearTimeout(timer);
      source?.close();
    };
  }, [api, pollId, optionKey, mode, closed, fetchNow]);

  const refresh = useCallback(() => {
    void fetchNow();
  }, [fetchNow]);
  return { state, refresh };
}
