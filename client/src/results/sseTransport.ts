/** Live tallies by Server-Sent Events (`GET /polls/{id}/results/stream`, `votes serve`). */

import type { ApiClient, TokenSource } from "../api/client";
import { toResults } from "../api/types";
import type { LiveTransport } from "./transport";

/** Waits before reopening a stream the browser gave up on (e.g. after the token expired). */
export const RECONNECT_MS = [1000, 2000, 5000, 10000];
/** Event names the stream may use; unnamed events arrive as "message". */
export const STREAM_EVENTS = ["message", "results", "tally", "TallyUpdated"];

/** EventSource cannot send headers: the access token rides in `?access_token=`, so each
 *  (re)connection takes a fresh one. The stream's first message is the current tally. */
export function sseTransport(api: ApiClient, token: TokenSource): LiveTransport {
  return {
    subscribe({ pollId, options }, emit) {
      let closed = false;
      let source: EventSource | null = null;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let attempt = 0;

      const onData = (event: MessageEvent) => {
        try {
          emit({ type: "tally", results: toResults(JSON.parse(event.data as string), options) });
        } catch {
          // a keep-alive or non-JSON event carries no tally
        }
      };

      const open = async () => {
        const accessToken = await token();
        if (closed || !accessToken) return;
        const es = new EventSource(api.resultsStreamUrl(pollId, accessToken));
        source = es;
        es.onopen = () => {
          attempt = 0;
          emit({ type: "up" });
        };
        for (const name of STREAM_EVENTS) es.addEventListener(name, onData as EventListener);
        es.onerror = () => {
          if (closed) return;
          emit({ type: "down" });
          if (es.readyState === EventSource.CLOSED) {
            // The browser gave up (a refused token, a server restart): reopen, fresh token.
            source = null;
            const delay = RECONNECT_MS[Math.min(attempt++, RECONNECT_MS.length - 1)];
            timer = setTimeout(() => void open(), delay);
          } // else the browser retries by itself
        };
      };

      void open();
      return {
        close() {
          closed = true;
          clearTimeout(timer);
          source?.close();
        },
        refresh() {
          // pushed: nothing to pull
        },
      };
    },
  };
}
