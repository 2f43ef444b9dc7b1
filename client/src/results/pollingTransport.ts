/** Live tallies by polling `GET /polls/{id}/results` with If-None-Match (AWS today). */

import type { ApiClient } from "../api/client";
import { ApiError } from "../api/errors";
import type { LiveTransport } from "./transport";

export const POLL_INTERVAL_MS = 3000;

/** A failure a later read may not repeat: no answer, or the server's 5xx / 429. */
function transient(e: unknown): boolean {
  return !(e instanceof ApiError) || e.status === 0 || e.status === 429 || e.status >= 500;
}

/** Reads every `intervalMs` while the tab is visible; a 304 costs no body. */
export function pollingTransport(api: ApiClient, intervalMs: number = POLL_INTERVAL_MS): LiveTransport {
  return {
    subscribe({ pollId, options }, emit) {
      const abort = new AbortController();
      let timer: ReturnType<typeof setTimeout> | undefined;
      let etag: string | null = null;

      const read = async () => {
        try {
          const answer = await api.getResults(pollId, options, etag, abort.signal);
          if (abort.signal.aborted) return;
          emit({ type: "up" });
          if (!answer.notModified) {
            etag = answer.etag;
            emit({ type: "tally", results: answer.results });
          }
        } catch (e) {
          if (abort.signal.aborted) return;
          emit(transient(e) ? { type: "down" } : { type: "error", error: e });
        }
      };

      const loop = async () => {
        if (typeof document === "undefined" || !document.hidden) await read();
        if (!abort.signal.aborted) timer = setTimeout(() => void loop(), intervalMs);
      };

      void loop();
      return {
        close() {
          abort.abort();
          clearTimeout(timer);
        },
        refresh() {
          void read();
        },
      };
    },
  };
}
