import { describe, expect, it, vi } from "vitest";
import { ApiClient } from "../src/api/client";
import { ApiError, errorFromBody, friendlyMessage } from "../src/api/errors";

type Call = { url: string; init: RequestInit };

function fakeFetch(responses: (Response | Error)[]) {
  const calls: Call[] = [];
  const impl = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    const next = responses.shift();
    if (!next) throw new Error("no more responses");
    if (next instanceof Error) throw next;
    return next;
  });
  return { calls, impl: impl as unknown as typeof fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

const client = (responses: (Response | Error)[], onUnauth = () => {}) => {
  const f = fakeFetch(responses);
  return { api: new ApiClient("http://api.test/", async () => "tok-123", f.impl, onUnauth), calls: f.calls };
};

describe("error mapping", () => {
  it.each([
    ["already_voted", 409, /already voted/i],
    ["poll_closed", 422, /poll is closed/i],
    ["invalid_option", 422, /not part of this poll/i],
    ["not_registered", 422, /registration/i],
    ["poll_not_found", 404, /does not exist/i],
    ["forbidden", 403, /only administrators/i],
    ["unauthenticated", 401, /sign in again/i],
    ["payload_too_large", 413, /too large/i],
    ["unavailable", 503, /unavailable/i],
    ["conflict", 409, /try again/i],
    ["results_hidden", 403, /once you have voted/i],
  ])("%s -> a clear message", (code, status, pattern) => {
    const err = errorFromBody(status, { error: { code, message: "raw server text" } });
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe(code);
    expect(err.status).toBe(status);
    expect(err.message).toMatch(pattern);
  });

  it("shows the server's wording for validation errors", () => {
    const err = errorFromBody(400, { error: { code: "validation_failed", message: "options: too few" } });
    expect(err.message).toBe("Please check your input: options: too few");
  });

  it("falls back on the status when the body is not the API's error shape", () => {
    expect(errorFromBody(502, "<html>").message).toMatch(/our side \(HTTP 502\)/);
    expect(errorFromBody(403, null).code).toBe("http_403");
    expect(errorFromBody(403, null).message).toMatch(/only administrators/i);
  });

  it("passes an unknown 422 rule's message through", () => {
    expect(friendlyMessage("rule_violation", 422, "polls need a question")).toBe("polls need a question");
  });
});

describe("ApiClient", () => {
  it("sends the bearer token and JSON, and reads JSON", async () => {
    const { api, calls } = client([json(201, { id: "p1", question: "Q?", options: ["a", "b"], closed: false, is_open: true })]);
    const poll = await api.createPoll({ question: "Q?", options: ["a", "b"], closesAt: null, resultsVisibility: "always" });
    expect(poll).toMatchObject({ id: "p1", question: "Q?", options: ["a", "b"], isOpen: true });
    const { url, init } = calls[0];
    expect(url).toBe("http://api.test/polls");
    expect(init.method).toBe("POST");
    const headers = init.headers as Record<string, string>;
    expect(headers.Authorization).toBe("Bearer tok-123");
    expect(headers["Content-Type"]).toBe("application/json");
    expect(JSON.parse(String(init.body))).toEqual({ question: "Q?", options: ["a", "b"] });
  });

  it("sends closes_at only when set", async () => {
    const { api, calls } = client([json(201, { id: "p1" })]);
    await api.createPoll({ question: "Q", options: ["a", "b"], closesAt: "2030-01-01T00:00:00.000Z", resultsVisibility: "always" });
    expect(JSON.parse(String(calls[0].init.body)).closes_at).toBe("2030-01-01T00:00:00.000Z");
    expect(JSON.parse(String(calls[0].init.body))).not.toHaveProperty("results_visibility");
  });

  it("sends results_visibility when results wait for a vote", async () => {
    const { api, calls } = client([json(201, { id: "p1", results_visibility: "after_vote" })]);
    const poll = await api.createPoll({ question: "Q", options: ["a", "b"], closesAt: null, resultsVisibility: "after_vote" });
    expect(JSON.parse(String(calls[0].init.body)).results_visibility).toBe("after_vote");
    expect(poll.resultsVisibility).toBe("after_vote");
  });

  it("throws ApiError with the API's code", async () => {
    const { api } = client([json(409, { error: { code: "already_voted", message: "x" } })]);
    await expect(api.castVote("p1", "a")).rejects.toMatchObject({ code: "already_voted", status: 409 });
  });

  it("reports a network failure as network_error", async () => {
    const { api } = client([new TypeError("Failed to fetch")]);
    await expect(api.listPolls()).rejects.toMatchObject({ code: "network_error", status: 0 });
  });

  it("tells the session owner about a 401", async () => {
    const onUnauth = vi.fn();
    const { api } = client([json(401, { error: { code: "unauthenticated", message: "bad token" } })], onUnauth);
    await expect(api.listPolls()).rejects.toMatchObject({ status: 401 });
    expect(onUnauth).toHaveBeenCalledOnce();
  });

  it("reads the poll list wrapped in {polls}, with each poll's total", async () => {
    const { api } = client([json(200, { polls: [{ id: "a", closed: true, is_open: false, total_votes: 3 }, { id: "b" }] })]);
    const polls = await api.listPolls();
    expect(polls.map((p) => [p.id, p.isOpen, p.totalVotes, p.resultsVisibility])).toEqual([
      ["a", false, 3, "always"],
      ["b", true, null, "always"],
    ]);
  });

  it("registers with display_name and tells whether it was created", async () => {
    const { api, calls } = client([json(201, {}), json(200, {})]);
    expect(await api.registerVoter("alice")).toEqual({ created: true });
    expect(await api.registerVoter("alice")).toEqual({ created: false });
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ display_name: "alice" });
  });

  it("reads the caller's ballots in one request per 100 polls, never a 404", async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `p${i}`);
    const { api, calls } = client([
      json(200, { ballots: [{ poll_id: "p1", option: "a", updated_at: "2026-01-01T00:00:00Z" }, { poll_id: "p2", option: null }] }),
      json(200, { ballots: [] }),
    ]);
    const ballots = await api.myBallots(ids);
    expect(calls.map((c) => new URL(c.url).pathname)).toEqual(["/voters/me/ballots", "/voters/me/ballots"]);
    expect(new URL(calls[0].url).searchParams.get("poll_ids")!.split(",")).toHaveLength(100);
    expect(new URL(calls[1].url).searchParams.get("poll_ids")!.split(",")).toEqual(ids.slice(100));
    expect(ballots.get("p1")).toEqual({ pollId: "p1", option: "a", updatedAt: "2026-01-01T00:00:00Z" });
    expect(ballots.get("p2")?.option).toBeNull(); // voted, then retracted
    expect(ballots.has("p3")).toBe(false); // never voted
    expect(await client([]).api.myBallots([])).toEqual(new Map());
  });

  it("reads one poll's ballot: null when never voted", async () => {
    const { api } = client([json(200, { ballots: [] }), json(200, { ballots: [{ poll_id: "p1", option: "b" }] })]);
    expect(await api.myBallot("p1")).toBeNull();
    expect((await api.myBallot("p1"))?.option).toBe("b");
  });

  it("keeps the API's details on an error (already_voted names the option held)", async () => {
    const { api } = client([json(409, { error: { code: "already_voted", message: "x", details: { option: "a" } } })]);
    await expect(api.castVote("p1", "b")).rejects.toMatchObject({ code: "already_voted", details: { option: "a" } });
  });

  it("reads a cast result's ballot", async () => {
    const { api } = client([json(201, { ballot: { option: "b", updated_at: null }, outcome: "cast" })]);
    expect(await api.castVote("p1", "b")).toEqual({ pollId: null, option: "b", updatedAt: null });
  });

  it("uses If-None-Match and turns 304 into notModified", async () => {
    const tally = { poll_id: "p1", counts: { a: 1, b: 0 }, total: 1, position: 7, final: false };
    const { api, calls } = client([json(200, tally, { ETag: '"v7"' }), new Response(null, { status: 304 })]);
    const first = await api.getResults("p1", ["a", "b"]);
    expect(first).toMatchObject({ notModified: false, etag: '"v7"' });
    const second = await api.getResults("p1", ["a", "b"], '"v7"');
    expect(second).toEqual({ notModified: true });
    expect((calls[1].init.headers as Record<string, string>)["If-None-Match"]).toBe('"v7"');
  });

});
