import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "../src/api/client";
import { toResults } from "../src/api/types";
import { STALE_AFTER_MS } from "../src/results/liveState";
import { POLL_INTERVAL_MS, pollingTransport } from "../src/results/pollingTransport";
import { RECONNECT_MS, sseTransport } from "../src/results/sseTransport";
import type { LiveTransport, TransportEvent } from "../src/results/transport";
import { useLiveResults } from "../src/results/useLiveResults";

const tallyJson = (a: number, b: number, position: number, final = false) =>
  JSON.stringify({ poll_id: "p1", counts: { A: a, B: b }, total: a + b, position, final });
const tally = (a: number, b: number, position: number, final = false) => toResults(JSON.parse(tallyJson(a, b, position, final)), ["A", "B"]);

function apiWith(fetchImpl: (url: string, init: RequestInit) => Promise<Response>) {
  return new ApiClient("http://api.test", async () => "tok", fetchImpl as unknown as typeof fetch);
}

/** A transport the test drives by hand: the hook must work with any LiveTransport. */
class HandTransport implements LiveTransport {
  emit: ((e: TransportEvent) => void) | null = null;
  subscribed: { pollId: string; options: string[] }[] = [];
  closed = 0;
  refreshed = 0;
  subscribe(poll: { pollId: string; options: string[] }, emit: (e: TransportEvent) => void) {
    this.subscribed.push(poll);
    this.emit = emit;
    return {
      close: () => {
        this.closed += 1;
        this.emit = null;
      },
      refresh: () => {
        this.refreshed += 1;
      },
    };
  }
  send(e: TransportEvent) {
    act(() => this.emit?.(e));
  }
}

const hook = (transport: LiveTransport, over: Partial<Parameters<typeof useLiveResults>[0]> = {}) => {
  const api = apiWith(async () => new Response(tallyJson(0, 0, 0))); // stable, as the app's is
  const token = async () => "tok";
  return renderHook((props: Partial<Parameters<typeof useLiveResults>[0]>) =>
    useLiveResults({
      api,
      token,
      pollId: "p1",
      options: ["A", "B"],
      mode: "sse",
      closed: false,
      transport,
      ...over,
      ...props,
    }),
  );
};

describe("useLiveResults over the transport interface", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] }));
  afterEach(() => vi.useRealTimers());

  it("shows tallies in log order and the link state the transport reports", () => {
    const t = new HandTransport();
    const { result, unmount } = hook(t);
    expect(t.subscribed).toEqual([{ pollId: "p1", options: ["A", "B"] }]);
    expect(result.current.state.status).toBe("connecting");
    t.send({ type: "up" });
    expect(result.current.state.status).toBe("live");
    t.send({ type: "tally", results: tally(1, 0, 5) });
    t.send({ type: "tally", results: tally(1, 2, 7) });
    t.send({ type: "tally", results: tally(1, 1, 6) }); // late, older: dropped
    expect(result.current.state.results?.counts.map((c) => c.votes)).toEqual([1, 2]);
    act(() => result.current.refresh());
    expect(t.refreshed).toBe(1);
    unmount();
    expect(t.closed).toBe(1);
  });

  it("says 'reconnecting' at once and 'may be stale' only if the link stays down", async () => {
    const t = new HandTransport();
    const { result } = hook(t);
    t.send({ type: "up" });
    t.send({ type: "down" });
    expect(result.current.state.status).toBe("reconnecting");
    await act(async () => vi.advanceTimersByTimeAsync(STALE_AFTER_MS - 1));
    expect(result.current.state.status).toBe("reconnecting");
    await act(async () => vi.advanceTimersByTimeAsync(1));
    expect(result.current.state.status).toBe("stale");
    t.send({ type: "up" });
    expect(result.current.state.status).toBe("live");
    // a short blip never shows the stale warning
    t.send({ type: "down" });
    t.send({ type: "up" });
    await act(async () => vi.advanceTimersByTimeAsync(STALE_AFTER_MS * 2));
    expect(result.current.state.status).toBe("live");
  });

  it("subscribes to nothing while results are hidden, and reads a closed poll once", async () => {
    const t = new HandTransport();
    const { rerender } = hook(t, { enabled: false });
    expect(t.subscribed).toHaveLength(0);
    rerender({ enabled: true });
    expect(t.subscribed).toHaveLength(1);
    const fetchImpl = vi.fn(async () => new Response(tallyJson(2, 1, 9, true)));
    const closed = hook(new HandTransport(), { closed: true, api: apiWith(fetchImpl) });
    await vi.waitFor(() => expect(closed.result.current.state.results?.final).toBe(true));
    expect(closed.result.current.state.status).toBe("final");
    expect(fetchImpl).toHaveBeenCalledTimes(1);
  });
});

describe("pollingTransport", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] }));
  afterEach(() => vi.useRealTimers());

  it("polls with If-None-Match, emits only new tallies, and reports the link", async () => {
    const seen: (string | undefined)[] = [];
    const answers: (string | null | Error)[] = [tallyJson(1, 0, 1), null, new TypeError("offline"), tallyJson(1, 1, 2)];
    const api = apiWith(async (_url, init) => {
      seen.push((init.headers as Record<string, string>)["If-None-Match"]);
      const next = answers.shift();
      if (next instanceof Error) throw next;
      return next === null ? new Response(null, { status: 304 }) : new Response(next, { headers: { ETag: `"e${seen.length}"` } });
    });
    const events: string[] = [];
    const sub = pollingTransport(api).subscribe({ pollId: "p1", options: ["A", "B"] }, (e) =>
      events.push(e.type === "tally" ? `tally:${e.results.total}` : e.type),
    );
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 3; i++) await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
    expect(events).toEqual(["up", "tally:1", "up", "down", "up", "tally:2"]);
    expect(seen).toEqual([undefined, '"e1"', '"e1"', '"e1"']);
    sub.close();
    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 3);
    expect(seen).toHaveLength(4);
  });

  it("reports a refusal (e.g. results_hidden) as an error, not a broken link", async () => {
    const api = apiWith(async () => new Response(JSON.stringify({ error: { code: "results_hidden", message: "x" } }), { status: 403 }));
    const events: TransportEvent[] = [];
    const sub = pollingTransport(api).subscribe({ pollId: "p1", options: [] }, (e) => events.push(e));
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "error", error: { code: "results_hidden" } });
    sub.close();
  });
});

/** A stand-in for the browser's EventSource that the test drives by hand. */
class FakeEventSource {
  static CLOSED = 2;
  static instances: FakeEventSource[] = [];
  readyState = 0;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  listeners = new Map<string, ((e: MessageEvent) => void)[]>();
  closed = false;
  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(name: string, fn: (e: MessageEvent) => void) {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), fn]);
  }
  emit(name: string, data: string) {
    for (const fn of this.listeners.get(name) ?? []) fn(new MessageEvent(name, { data }));
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
}

describe("sseTransport", () => {
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.stubGlobal("EventSource", FakeEventSource);
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it("opens the stream with the token and emits its tallies; closes on close", async () => {
    const events: string[] = [];
    const sub = sseTransport(apiWith(async () => new Response("")), async () => "tok").subscribe(
      { pollId: "p1", options: ["A", "B"] },
      (e) => events.push(e.type === "tally" ? `tally:${e.results.counts.map((c) => c.votes)}` : e.type),
    );
    await vi.advanceTimersByTimeAsync(0);
    const es = FakeEventSource.instances[0];
    expect(es.url).toBe("http://api.test/polls/p1/results/stream?access_token=tok");
    es.onopen?.();
    es.emit("message", tallyJson(1, 0, 5));
    es.emit("TallyUpdated", tallyJson(1, 2, 7));
    es.emit("message", "keep-alive");
    expect(events).toEqual(["up", "tally:1,0", "tally:1,2"]);
    sub.close();
    expect(es.closed).toBe(true);
  });

  it("reports the link down, and reopens with a fresh token once the browser gives up", async () => {
    let n = 0;
    const events: string[] = [];
    sseTransport(apiWith(async () => new Response("")), async () => `tok${++n}`).subscribe({ pollId: "p1", options: [] }, (e) =>
      events.push(e.type),
    );
    await vi.advanceTimersByTimeAsync(0);
    const first = FakeEventSource.instances[0];
    first.onerror?.(); // the browser retries by itself: no new stream
    expect(FakeEventSource.instances).toHaveLength(1);
    first.readyState = FakeEventSource.CLOSED;
    first.onerror?.();
    expect(events).toEqual(["down", "down"]);
    await vi.advanceTimersByTimeAsync(RECONNECT_MS[0]);
    expect(FakeEventSource.instances).toHaveLength(2);
    expect(FakeEventSource.instances[1].url).toMatch(/access_token=tok2$/);
  });
});
