import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "../src/api/client";
import { toResults } from "../src/api/types";
import { STALE_AFTER_MS } from "../src/results/liveState";
import { headerSubprotocol, PROTOCOL } from "../src/results/appsyncEvents";
import type { LiveTransport, TransportEvent } from "../src/results/transport";
import { useLiveResults } from "../src/results/useLiveResults";
import { RECONNECT_MS, websocketTransport } from "../src/results/websocketTransport";

const tallyJson = (a: number, b: number, position: number, final = false) =>
  JSON.stringify({ poll_id: "p1", counts: { A: a, B: b }, total: a + b, position, final });
const REALTIME = { url: "ws://api.test/event/realtime", httpUrl: "http://api.test/event", namespace: "tallies" };
const POLL = "2B1E6F1A-1C4B-4C51-9F0E-8F3D0A4F5B6C";
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
      realtime: REALTIME,
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

/** A stand-in for the browser's WebSocket that the test drives by hand. */
class FakeSocket {
  static instances: FakeSocket[] = [];
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  closed = false;
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.instances.push(this);
  }
  send(text: string) {
    this.sent.push(JSON.parse(text));
  }
  close() {
    this.closed = true;
    this.readyState = 3;
  }
  /** The server side: open, then messages. */
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(message: Record<string, unknown>) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  /** Open, ack, accept the subscription; its id. */
  accept(timeoutMs = 300_000): string {
    this.open();
    this.receive({ type: "connection_ack", connectionTimeoutMs: timeoutMs });
    const id = this.sent.find((m) => m.type === "subscribe")?.id as string;
    this.receive({ type: "subscribe_success", id });
    return id;
  }
  drop() {
    this.readyState = 3;
    this.onclose?.();
  }
}

describe("websocketTransport (AppSync Events' protocol)", () => {
  const factory = (url: string, protocols: string[]) => new FakeSocket(url, protocols) as unknown as WebSocket;
  const half = () => 0.5; // no jitter: waits are exactly RECONNECT_MS
  beforeEach(() => {
    FakeSocket.instances = [];
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => vi.useRealTimers());

  function follow(fetchImpl: (url: string, init: RequestInit) => Promise<Response>, tokens = ["tok"]) {
    const events: string[] = [];
    let n = 0;
    const token = async () => tokens[Math.min(n++, tokens.length - 1)];
    const sub = websocketTransport(apiWith(fetchImpl), token, REALTIME, factory, half).subscribe(
      { pollId: POLL, options: ["A", "B"] },
      (e) =>
        events.push(e.type === "tally" ? `tally:${e.results.counts.map((c) => c.votes)}` : e.type === "error" ? `error:${(e.error as { code?: string }).code}` : e.type),
    );
    return { events, sub };
  }

  it("connects with the protocol and the auth header, subscribes, then reads the tally once", async () => {
    const { events, sub } = follow(async () => new Response(tallyJson(1, 0, 4)));
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.instances[0];
    expect(ws.url).toBe(REALTIME.url);
    expect(ws.protocols).toEqual([PROTOCOL, headerSubprotocol({ host: "api.test", Authorization: "tok" })]);
    ws.open();
    expect(ws.sent).toEqual([{ type: "connection_init" }]);
    ws.receive({ type: "connection_ack", connectionTimeoutMs: 300000 });
    const subscribe = ws.sent[1];
    expect(subscribe).toMatchObject({
      type: "subscribe",
      channel: `/tallies/${POLL.toLowerCase()}`,
      authorization: { host: "api.test", Authorization: "tok" },
    });
    ws.receive({ type: "subscribe_success", id: subscribe.id });
    await vi.advanceTimersByTimeAsync(0);
    ws.receive({ type: "data", id: subscribe.id, event: tallyJson(1, 2, 7) });
    ws.receive({ type: "data", id: "another", event: tallyJson(9, 9, 9) }); // not ours
    ws.receive({ type: "ka" });
    expect(events).toEqual(["up", "tally:1,0", "tally:1,2"]);
    sub.close();
    expect(ws.closed).toBe(true);
  });

  it("reconnects with a fresh token after a drop, waiting longer each time, jittered", async () => {
    const { events } = follow(async () => new Response(tallyJson(0, 0, 0)), ["tok1", "tok2", "tok3"]);
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.instances[0].accept();
    FakeSocket.instances[0].drop(); // a server restart
    expect(events.slice(-1)).toEqual(["down"]);
    await vi.advanceTimersByTimeAsync(RECONNECT_MS[0] - 1);
    expect(FakeSocket.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    const second = FakeSocket.instances[1];
    expect(second.protocols[1]).toBe(headerSubprotocol({ host: "api.test", Authorization: "tok2" }));
    second.drop(); // refused again: the next wait is longer
    await vi.advanceTimersByTimeAsync(RECONNECT_MS[1] - 1);
    expect(FakeSocket.instances).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    FakeSocket.instances[2].accept();
    await vi.advanceTimersByTimeAsync(0);
    expect(events.filter((e) => e === "up")).toHaveLength(2);
  });

  it("treats a connection_error (an expired token) and a silent server as a broken link", async () => {
    const { events } = follow(async () => new Response(tallyJson(0, 0, 0)));
    await vi.advanceTimersByTimeAsync(0);
    const first = FakeSocket.instances[0];
    first.accept(1000);
    first.receive({ type: "connection_error", errors: [{ errorType: "UnauthorizedException" }] });
    expect(first.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(RECONNECT_MS[0]);
    const second = FakeSocket.instances[1];
    second.accept(1000);
    await vi.advanceTimersByTimeAsync(999);
    second.receive({ type: "ka" }); // the keep-alive restarts the watch
    await vi.advanceTimersByTimeAsync(999);
    expect(second.closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1); // no keep-alive within connectionTimeoutMs
    expect(second.closed).toBe(true);
    expect(events.filter((e) => e === "down")).toHaveLength(2);
  });

  it("stops with the API's error when the subscription is refused for hidden results", async () => {
    const hidden = () => new Response(JSON.stringify({ error: { code: "results_hidden", message: "x" } }), { status: 403 });
    const { events } = follow(async () => hidden());
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.instances[0];
    ws.open();
    ws.receive({ type: "connection_ack" });
    const id = ws.sent[1].id;
    ws.receive({ type: "subscribe_error", id, errors: [{ errorType: "UnauthorizedException" }] });
    await vi.advanceTimersByTimeAsync(RECONNECT_MS[RECONNECT_MS.length - 1] * 2);
    expect(events).toEqual(["error:results_hidden"]);
    expect(ws.closed).toBe(true);
    expect(FakeSocket.instances).toHaveLength(1); // no retry: it would be refused again
  });

  it("retries a subscription refused for a reason a retry may cure", async () => {
    const { events } = follow(async () => new Response(tallyJson(2, 0, 3)));
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.instances[0];
    ws.open();
    ws.receive({ type: "connection_ack" });
    ws.receive({ type: "subscribe_error", id: ws.sent[1].id, errors: [{ errorType: "InternalFailure" }] });
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(["tally:2,0", "down"]); // the tally as of now, and a broken link
    await vi.advanceTimersByTimeAsync(RECONNECT_MS[0]);
    expect(FakeSocket.instances).toHaveLength(2);
  });
});
