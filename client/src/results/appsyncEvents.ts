/**
 * The part of AWS AppSync Events' WebSocket protocol live results use, as AWS documents it
 * (https://docs.aws.amazon.com/appsync/latest/eventapi/event-api-websocket-protocol.html).
 * The same messages go to AppSync's real-time endpoint on AWS and to `votes serve`'s
 * `/event/realtime` (votes/local/realtime.py):
 *
 *   connect with subprotocols ["aws-appsync-event-ws", "header-<base64url({host, Authorization})>"]
 *   → {type: "connection_init"}          ← {type: "connection_ack", connectionTimeoutMs}
 *                                        ← {type: "ka"} now and then
 *   → {type: "subscribe", id, channel, authorization}
 *                                        ← {type: "subscribe_success", id} | {type: "subscribe_error", id, errors}
 *                                        ← {type: "data", id, event: "<JSON text>"} per published event
 *   → {type: "unsubscribe", id}          ← {type: "unsubscribe_success", id}
 *                                        ← {type: "connection_error", errors} (then the server closes)
 */

export const PROTOCOL = "aws-appsync-event-ws";

/** The authorization headers AppSync reads: the API's HTTP host and the Cognito access token. */
export interface AuthHeaders {
  host: string;
  Authorization: string;
}

/** base64url of the JSON, without padding (the `header-` subprotocol). */
export function headerSubprotocol(headers: AuthHeaders): string {
  const bytes = new TextEncoder().encode(JSON.stringify(headers));
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return `header-${btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

/** The channel of a poll's tally in `namespace`: `/<namespace>/<pollId>`. */
export const channelOf = (namespace: string, pollId: string) => `/${namespace}/${pollId.toLowerCase()}`;

export interface ProtocolError {
  errorType?: string;
  message?: string;
}

/** A message from the server (unknown fields are ignored). */
export type ServerMessage =
  | { type: "connection_ack"; connectionTimeoutMs?: number }
  | { type: "ka" }
  | { type: "subscribe_success"; id: string }
  | { type: "subscribe_error"; id: string; errors?: ProtocolError[] }
  | { type: "data"; id: string; event: string }
  | { type: "connection_error"; errors?: ProtocolError[] }
  | { type: "other" };

const KNOWN = new Set(["connection_ack", "ka", "subscribe_success", "subscribe_error", "data", "connection_error"]);

/** Parse a text frame; anything unexpected is `{type: "other"}`. */
export function parseServerMessage(text: unknown): ServerMessage {
  if (typeof text !== "string") return { type: "other" };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { type: "other" };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { type: "other" };
  const type = (raw as { type?: unknown }).type;
  return typeof type === "string" && KNOWN.has(type) ? (raw as ServerMessage) : { type: "other" };
}
