/** Runtime configuration, fetched from `/config.json` at start-up (never baked into the build). */

import { COGNITO_DEFAULT_POLICY, type PasswordPolicy, parsePasswordPolicy } from "./auth/passwordPolicy";

/** Where live tallies come from: an AWS AppSync Events API (on AWS), or `votes serve`'s
 *  implementation of its WebSocket protocol (locally). */
export interface RealtimeConfig {
  /** The WebSocket endpoint: `wss://<realtime domain>/event/realtime`. */
  url: string;
  /** The HTTP endpoint, `https://<http domain>/event`: its host goes in the auth header. */
  httpUrl: string;
  /** The channel namespace of the tallies: channels `/<namespace>/<pollId>`. */
  namespace: string;
}

export interface AppConfig {
  /** Base URL of the HTTP API; "" or "/" means the same origin as the page. */
  apiUrl: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  /** The local Cognito-compatible IdP (`votes serve` at /cognito); null on AWS. */
  cognitoEndpoint: string | null;
  realtime: RealtimeConfig;
  /** The user pool's password rules (Cognito's default policy when config.json has none). */
  passwordPolicy: PasswordPolicy;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

function requireString(raw: Record<string, unknown>, key: string): string {
  const value = raw[key];
  if (typeof value !== "string" || value.trim() === "") {
    throw new ConfigError(`config.json: "${key}" must be a non-empty string`);
  }
  return value.trim();
}

/** Resolve a possibly relative URL against the page's origin; drop a trailing slash. */
export function absoluteUrl(url: string, base: string): string {
  return new URL(url, base).toString().replace(/\/+$/, "");
}

/** config.json's `realtime`: absolute ws(s):// and http(s):// URLs and a namespace name. */
function parseRealtime(raw: unknown, base: string): RealtimeConfig {
  const problem = 'config.json: "realtime" must be {url: "ws(s)://...", httpUrl: "http(s)://...", namespace}';
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ConfigError(problem);
  const o = raw as Record<string, unknown>;
  const { url, httpUrl, namespace } = o;
  if (typeof url !== "string" || typeof httpUrl !== "string" || typeof namespace !== "string") {
    throw new ConfigError(problem);
  }
  let socket: URL;
  let http: URL;
  try {
    socket = new URL(url, base);
    http = new URL(httpUrl, base);
  } catch {
    throw new ConfigError(problem);
  }
  if (!/^wss?:$/.test(socket.protocol) || !/^https?:$/.test(http.protocol) || !/^[A-Za-z0-9-]+$/.test(namespace)) {
    throw new ConfigError(problem);
  }
  return { url: socket.toString(), httpUrl: http.toString(), namespace };
}

/** Validate the JSON of config.json into an AppConfig. */
export function parseConfig(raw: unknown, base: string): AppConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError("config.json must hold a JSON object");
  }
  const obj = raw as Record<string, unknown>;
  const apiUrl = typeof obj.apiUrl === "string" ? obj.apiUrl.trim() : "";
  const endpoint = obj.cognitoEndpoint;
  if (endpoint != null && (typeof endpoint !== "string" || endpoint.trim() === "")) {
    throw new ConfigError('config.json: "cognitoEndpoint" must be a URL string or null');
  }
  const policy = obj.passwordPolicy == null ? COGNITO_DEFAULT_POLICY : parsePasswordPolicy(obj.passwordPolicy);
  if (!policy) {
    throw new ConfigError('config.json: "passwordPolicy" must be {minimumLength, requireLowercase, requireUppercase, requireNumbers, requireSymbols}');
  }
  const realtime = parseRealtime(obj.realtime, base);
  return {
    apiUrl: absoluteUrl(apiUrl || "/", base),
    region: requireString(obj, "region"),
    userPoolId: requireString(obj, "userPoolId"),
    userPoolClientId: requireString(obj, "userPoolClientId"),
    // The Cognito SDK posts to this URL verbatim, so keep the path exactly as given.
    cognitoEndpoint: typeof endpoint === "string" ? new URL(endpoint.trim(), base).toString() : null,
    realtime,
    passwordPolicy: policy,
  };
}

/** Fetch and validate `/config.json` at the root of the page's origin (the app is served at
 *  `/`, and its routes are paths such as `/polls/<id>`). */
export async function loadConfig(
  fetchImpl: typeof fetch = fetch,
  base: string = window.location.href,
): Promise<AppConfig> {
  const url = new URL("/config.json", base).toString();
  let response: Response;
  try {
    response = await fetchImpl(url, { cache: "no-store" });
  } catch {
    throw new ConfigError("Could not reach the server to load the app's configuration.");
  }
  if (!response.ok) {
    throw new ConfigError(`Could not load the app's configuration (HTTP ${response.status}).`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ConfigError("config.json is not valid JSON");
  }
  return parseConfig(body, base);
}
