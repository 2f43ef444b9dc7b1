/** The HTTP API client: bearer-token requests, JSON in and out, errors as ApiError. */

import { errorFromBody, networkError } from "./errors";
import {
  type Ballot,
  type NewPoll,
  type Poll,
  type Results,
  toBallot,
  toBallots,
  toPoll,
  toPolls,
  toResults,
} from "./types";

/** Gives the current access token (refreshing it if needed), or null when signed out. */
export type TokenSource = () => Promise<string | null>;

interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

interface RawResponse {
  status: number;
  body: unknown;
  headers: Headers;
}

/** A conditional results read: either fresh results with their ETag, or "not modified". */
export type ResultsRead =
  | { notModified: true }
  | { notModified: false; results: Results; etag: string | null };

export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: TokenSource,
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
    /** Called when the API rejects the token (401): the session is over. */
    private readonly onUnauthenticated: () => void = () => {},
  ) {}

  url(path: string): string {
    return `${this.baseUrl.replace(/\/+$/, "")}${path}`;
  }

  /** Send one request; resolve with status, parsed body and headers for 2xx and 304. */
  async send(method: string, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    const headers: Record<string, string> = { Accept: "application/json", ...opts.headers };
    const token = await this.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(path), {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: opts.signal,
        cache: "no-store",
      });
    } catch (e) {
      if (e instanceof DOMException && e.name === "AbortError") throw e;
      throw networkError();
    }
    const text = response.status === 304 ? "" : await response.text();
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    if (!response.ok && response.status !== 304) {
      if (response.status === 401) this.onUnauthenticated();
      throw errorFromBody(response.status, body);
    }
    return { status: response.status, body, headers: response.headers };
  }

  /** Register the signed-in person as a voter (idempotent: 201 first time, 200 after). */
  async registerVoter(displayName: string): Promise<{ created: boolean }> {
    const res = await this.send("POST", "/voters", { body: { display_name: displayName } });
    return { created: res.status === 201 };
  }

  async listPolls(signal?: AbortSignal): Promise<Poll[]> {
    return toPolls((await this.send("GET", "/polls", { signal })).body);
  }

  async getPoll(pollId: string, signal?: AbortSignal): Promise<Poll> {
    return toPoll((await this.send("GET", `/polls/${encodeURIComponent(pollId)}`, { signal })).body);
  }

  async createPoll(poll: NewPoll): Promise<Poll> {
    const body: Record<string, unknown> = { question: poll.question, options: poll.options };
    if (poll.closesAt) body.closes_at = poll.closesAt;
    if (poll.resultsVisibility !== "always") body.results_visibility = poll.resultsVisibility;
    return toPoll((await this.send("POST", "/polls", { body })).body);
  }

  async closePoll(pollId: string): Promise<Poll> {
    return toPoll((await this.send("POST", `/polls/${encodeURIComponent(pollId)}/close`)).body);
  }

  async castVote(pollId: string, option: string): Promise<Ballot> {
    const path = `/polls/${encodeURIComponent(pollId)}/votes`;
    return toBallot((await this.send("POST", path, { body: { option } })).body);
  }

  async changeVote(pollId: string, option: string): Promise<Ballot> {
    const path = `/polls/${encodeURIComponent(pollId)}/votes/me`;
    return toBallot((await this.send("PUT", path, { body: { option } })).body);
  }

  /** Withdraw the caller's vote; resolves with the emptied ballot (`option` null). */
  async retractVote(pollId: string): Promise<Ballot> {
    return toBallot((await this.send("DELETE", `/polls/${encodeURIComponent(pollId)}/votes/me`)).body);
  }

  /** The caller's ballots in `pollIds`, by poll id: absent where they never voted, `option`
   *  null where they retracted. One request per 100 polls, and never a 404. */
  async myBallots(pollIds: string[], signal?: AbortSignal): Promise<Map<string, Ballot>> {
    const found = new Map<string, Ballot>();
    for (let i = 0; i < pollIds.length; i += 100) {
      const q = new URLSearchParams({ poll_ids: pollIds.slice(i, i + 100).join(",") });
      for (const b of toBallots((await this.send("GET", `/voters/me/ballots?${q}`, { signal })).body)) {
        if (b.pollId) found.set(b.pollId, b);
      }
    }
    return found;
  }

  /** The caller's ballot in one poll: null if they never voted in it. */
  async myBallot(pollId: string, signal?: AbortSignal): Promise<Ballot | null> {
    return (await this.myBallots([pollId], signal)).get(pollId) ?? null;
  }

  /** Current results; with `etag`, a 304 comes back as `{notModified: true}`. */
  async getResults(
    pollId: string,
    options: string[],
    etag: string | null = null,
    signal?: AbortSignal,
  ): Promise<ResultsRead> {
    const headers: Record<string, string> = etag ? { "If-None-Match": etag } : {};
    const res = await this.send("GET", `/polls/${encodeURIComponent(pollId)}/results`, {
      headers,
      signal,
    });
    if (res.status === 304) return { notModified: true };
    return {
      notModified: false,
      results: toResults(res.body, options),
      etag: res.headers.get("ETag"),
    };
  }
}
