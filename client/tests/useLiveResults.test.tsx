import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "../src/api/client";
import { POLL_INTERVAL_MS, useLiveResults } from "../src/results/useLiveResults";

const tallyJson = (a: number, b: number, position: number, final = false) =>
  JSON.stringify({ poll_id: "p1", counts: { A: a, B: b }, total: a + b, position, final });

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

function apiWith(fetchImpl: (url: string, init: RequestInit) => Promise<Response>) {
  return new ApiClient("http://api.test", async () => "tok", fetchImpl as unknown as typeof fetch);
}

const flush = () => act(async () => {
  await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
});

describe("useLiveResults (polling)", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] }));
  afterEach(() => vi.useRealTimers());

  it("polls with If-None-Match and updates only on a new tally", async () => {
    const seen: (string | undefined)[] = [];
    const bodies = [tallyJson(1, 0, 1), null, tallyJson(1, 1, 2)];
    const api = apiWith(async (_url, init) => {
      seen.push((init.headers as Record<string, string>)["If-None-Match"]);
      const body = bodies.shift();
      return body === null ? new Response(null, { status: 304 }) : new Response(body, { headers: { ETag: `"e${seen.length}"` } });
    });
    const { result } = renderHook(() =>
      useLiveResults({ api, token: async () => "tok", pollId: "p1", options: ["A", "B"], mode: "poll", closed: false }),
    );
    await vi.waitFor(() => expect(result.current.state.results?.total).toBe(1));
    expect(result.current.state.connection).toBe("polling");
    await act(async () => vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS));
    expect(result.current.state.revision).toBe(1);
    await act(async () => vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS));
    expect(result.current.state.results?.counts).toEqual([
      { option: "A", votes: 1 },
      { option: "B", votes: 1 },
    ]);
    expect(seen).toEqual([undefined, '"e1"', '"e1"']);
  });

  it("reads a closed poll once and does not poll", async () => {
    const fetchImpl = vi.fn(async () => new Response(tallyJson(2, 1, 9, true)));
    const api = apiWith(fetchImpl);
    const { result } = renderHook(() =>
      useLiveResults({ api, token: async () => "tok", pollId: "p1", options: ["A", "B"], mode: "poll", closed: true }),
    );
    await vi.waitFor(() => expect(result.current.state.results?.final).toBe(true));
    await act(async () => vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 3));
    expect(fetchImpl).toHaveBeenCalledTimes(1);
    expect(result.current.state.connection).toBe("final");
  });
});

describe("useLiveResults (SSE)", () => {
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.stubGlobal("EventSource", FakeEventSource);
  });
  afterEach(() => vi.unstubAllGlobals());

  it("opens the stream with the token, applies events in log order, closes on unmount", async () => {
    const api = apiWith(async () => new Response(tallyJson(0, 0, 0)));
    const { result, unmount } = renderHook(() =>
      useLiveResults({ api, token: async () => "tok", pollId: "p1", options: ["A", "B"], mode: "sse", closed: false }),
    );
    await flush();
    const es = FakeEventSource.instances[0];
    expect(es.url).toBe("http://api.test/polls/p1/results/stream?access_token=tok");
    act(() => es.onopen?.());
    expect(result.current.state.connection).toBe("live");
    act(() => es.emit("message", tallyJson(1, 0, 5)));
    act(() => es.emit("TallyUpdated", tallyJson(1, 2, 7)));
    act(() => es.emit("message", tallyJson(1, 1, 6))); // late, older: dropped
    act(() => es.emit("message", "keep-alive"));
    expect(result.current.state.results?.counts.map((c) => c.votes)).toEqual([1, 2]);
    expect(result.current.state.results?.position).toBe(7);
    unmount();
    expect(es.closed).toBe(true);
  });

  it("reopens with a fresh token after the browser gives up", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    let n = 0;
    const api = apiWith(async () => new Response(tallyJson(0, 0, 0)));
    const { result } = renderHook(() =>
      useLiveResults({ api, token: async () => `tok${++n}`, pollId: "p1", options: ["A", "B"], mode: "sse", closed: false }),
    );
    await act(async () => vi.advanceTimersByTimeAsync(0));
    const first = FakeEventSource.instances[0];
    first.readyState = FakeEventSource.CLOSED;
    act(() => first.onerror?.());
    expect(result.current.state.connection).toBe("reconnecting");
    await act(async () => vi.advanceTimersByTimeAsync(1000));
    expect(FakeEventSource.instances).toHaveLength(2);
    expect(FakeEventSource.instances[1].url).toMatch(/access_token=tok2$/);
    vi.useRealTimers();
  });
});
