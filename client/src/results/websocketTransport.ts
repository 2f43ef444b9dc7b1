/**
 * Live tallies over AWS AppSync Events' WebSocket protocol (./appsyncEvents.ts): one socket per
 * followed poll, to AppSync on AWS and to `votes serve` locally, the same code either way.
 *
 * - On `subscribe_success` the link is up, and the current tally is read once (`GET /results`):
 *   AppSync sends only what is published after subscribing. Each `data` message is a
 *   `TallyUpdated`; the state keeps the newest by log position, so order does not matter.
 * - A `subscribe_error` is checked against `GET /results`: if the API too refuses with a code a
 *   retry will not cure (`results_hidden`), that is reported as an error and the transport stops;
 *   otherwise (a token that just expired, a busy subscribe check) it is a broken link.
 * - A closed socket, a `connection_error` (the server ends a connection when its token expires)
 *   or no keep-alive within `connectionTimeoutMs` is a broken link: "down", then a new socket
 *   with a fresh token after a jittered, growing delay (AWS asks clients for jittered backoff).
 */

import type { ApiClient, TokenSource } from "../api/client";
import { ApiError } from "../api/errors";
import { toResults } from "../api/types";
import type { RealtimeConfig } from "../config";
import { channelOf, headerSubprotocol, parseServerMessage, PROTOCOL } from "./appsyncEvents";
import type { LiveTransport } from "./transport";

/** Waits before reconnecting, by attempt (each multiplied by 0.5-1.5 at random). */
export const RECONNECT_MS = [500, 1000, 2000, 5000, 10000];
/** AppSync's `connectionTimeoutMs` when an ack leaves it out (five minutes). */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 300_000;

export type SocketFactory = (url: string, protocols: string[]) => WebSocket;

/** A failure a later read may cure: no answer, or the server's 5xx / 429 / 401 (a token the
 *  next read refreshes). */
function transient(e: unknown): boolean {
  return !(e instanceof ApiError) || e.status === 0 || e.status === 401 || e.status === 429 || e.status >= 500;
}

let subscriptions = 0;
const subscriptionId = () => `tally-${Date.now().toString(36)}-${(subscriptions += 1)}-${Math.random().toString(36).slice(2, 8)}`;

export function websocketTransport(
  api: ApiClient,
  token: TokenSource,
  realtime: RealtimeConfig,
  createSocket: SocketFactory = (url, protocols) => new WebSocket(url, protocols),
  random: () => number = Math.random,
): LiveTransport {
  const host = new URL(realtime.httpUrl).host;
  return {
    subscribe({ pollId, options }, emit) {
      const channel = channelOf(realtime.namespace, pollId);
      let stopped = false;
      let socket: WebSocket | null = null;
      let attempt = 0;
      let retry: ReturnType<typeof setTimeout> | undefined;
      let watchdog: ReturnType<typeof setTimeout> | undefined;

      /** Read the current tally; true unless the API refused for good (then reported). */
      const read = async (): Promise<boolean> => {
        try {
          const answer = await api.getResults(pollId, options);
          if (!stopped && !answer.notModified) emit({ type: "tally", results: answer.results });
          return true;
        } catch (e) {
          if (stopped || transient(e)) return true;
          stopped = true;
          emit({ type: "error", error: e });
          return false;
        }
      };

      const reconnect = () => {
        if (stopped || retry !== undefined) return;
        const base = RECONNECT_MS[Math.min(attempt, RECONNECT_MS.length - 1)];
        attempt += 1;
        retry = setTimeout(() => {
          retry = undefined;
          void open();
        }, base * (0.5 + random()));
      };

      const drop = (ws: WebSocket) => {
        if (socket !== ws) return;
        socket = null;
        clearTimeout(watchdog);
        ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
        if (ws.readyState === ws.CONNECTING || ws.readyState === ws.OPEN) ws.close();
        if (!stopped) {
          emit({ type: "down" });
          reconnect();
        }
      };

      const open = async () => {
        const accessToken = await token().catch(() => null);
        if (stopped) return;
        if (!accessToken) {
          emit({ type: "down" });
          reconnect();
          return;
        }
        const authorization = { host, Authorization: accessToken };
        let ws: WebSocket;
        try {
          ws = createSocket(realtime.url, [PROTOCOL, headerSubprotocol(authorization)]);
        } catch {
          emit({ type: "down" });
          reconnect();
          return;
        }
        socket = ws;
        const id = subscriptionId();
        let timeoutMs = DEFAULT_CONNECTION_TIMEOUT_MS;
        const alive = () => {
          clearTimeout(watchdog);
          watchdog = setTimeout(() => drop(ws), timeoutMs);
        };
        ws.onopen = () => ws.send(JSON.stringify({ type: "connection_init" }));
        ws.onclose = () => drop(ws);
        ws.onerror = () => drop(ws);
        ws.onmessage = (frame: MessageEvent) => {
          const message = parseServerMessage(frame.data);
          switch (message.type) {
            case "connection_ack":
              timeoutMs = message.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS;
              alive();
              ws.send(JSON.stringify({ type: "subscribe", id, channel, authorization }));
              break;
            case "ka":
              alive();
              break;
            case "subscribe_success":
              if (message.id !== id) break;
              attempt = 0;
              emit({ type: "up" });
              void read();
              break;
            case "data":
              if (message.id !== id) break;
              alive();
              try {
                emit({ type: "tally", results: toResults(JSON.parse(message.event), options) });
              } catch {
                // not a tally: nothing to show
              }
              break;
            case "subscribe_error":
              if (message.id !== id) break;
              void read().then((cured) => {
                if (cured) drop(ws);
                else if (socket === ws) {
                  socket = null;
                  clearTimeout(watchdog);
                  ws.close();
                }
              });
              break;
            case "connection_error":
              drop(ws);
              break;
          }
        };
      };

      void open();
      return {
        close() {
          stopped = true;
          clearTimeout(retry);
          clearTimeout(watchdog);
          const ws = socket;
          socket = null;
          if (ws) {
            ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
            ws.close();
          }
        },
        refresh() {
          void read();
        },
      };
    },
  };
}
