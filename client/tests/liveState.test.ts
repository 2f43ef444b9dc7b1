import { describe, expect, it } from "vitest";
import { toResults } from "../src/api/types";
import { initialLiveState, liveReducer, type LiveState } from "../src/results/liveState";

const r = (counts: Record<string, number>, position: number | null, final = false) => toResults({ counts, position, final });
const at = 1000;

describe("liveReducer: tallies", () => {
  it("accepts newer tallies and drops older ones (by log position)", () => {
    let s = initialLiveState();
    s = liveReducer(s, { type: "results", results: r({ a: 2 }, 10), at });
    s = liveReducer(s, { type: "results", results: r({ a: 1 }, 9), at });
    expect(s.results?.counts).toEqual([{ option: "a", votes: 2 }]);
    expect(s.revision).toBe(1);
    s = liveReducer(s, { type: "results", results: r({ a: 3 }, 11), at });
    expect(s.results?.total).toBe(3);
    expect(s.revision).toBe(2);
  });

  it("does not count a repeat of the same tally as an update, but it confirms it", () => {
    let s = liveReducer(initialLiveState(), { type: "results", results: r({ a: 1 }, 5), at });
    const again = liveReducer(s, { type: "results", results: r({ a: 1 }, 5), at: 2000 });
    expect(again.revision).toBe(s.revision);
    expect(again.confirmedAt).toBe(2000);
    s = liveReducer(s, { type: "error", message: "down" });
    expect(liveReducer(s, { type: "results", results: r({ a: 1 }, 5), at }).error).toBeNull();
  });

  it("accepts tallies without positions", () => {
    let s = liveReducer(initialLiveState(), { type: "results", results: r({ a: 1 }, null), at });
    s = liveReducer(s, { type: "results", results: r({ a: 0 }, null), at });
    expect(s.results?.total).toBe(0);
  });
});

describe("liveReducer: the link, whatever the transport", () => {
  const run = (...actions: Parameters<typeof liveReducer>[1][]): LiveState => actions.reduce(liveReducer, initialLiveState());

  it("connecting -> live on the link or on a first tally", () => {
    expect(run({ type: "up", at }).status).toBe("live");
    expect(run({ type: "results", results: r({ a: 1 }, 1), at }).status).toBe("live");
  });

  it("live -> reconnecting -> stale -> live", () => {
    const down = run({ type: "up", at }, { type: "down" });
    expect(down.status).toBe("reconnecting");
    expect(liveReducer(down, { type: "down" })).toBe(down);
    const stale = liveReducer(down, { type: "stale" });
    expect(stale.status).toBe("stale");
    expect(liveReducer(stale, { type: "down" }).status).toBe("stale");
    expect(liveReducer(stale, { type: "up", at: 5000 })).toMatchObject({ status: "live", confirmedAt: 5000 });
  });

  it("a stale timer that fires after the link came back changes nothing", () => {
    const back = run({ type: "up", at }, { type: "down" }, { type: "up", at });
    expect(liveReducer(back, { type: "stale" })).toBe(back);
  });

  it("a final tally is final for good", () => {
    let s = run({ type: "results", results: r({ a: 1 }, 3, true), at });
    expect(s.status).toBe("final");
    for (const action of [{ type: "down" }, { type: "up", at }, { type: "stale" }] as const) s = liveReducer(s, action);
    expect(s.status).toBe("final");
    expect(liveReducer(s, { type: "reset", status: "connecting" }).status).toBe("connecting");
  });
});

describe("toResults", () => {
  it("reads the projector's tally in the poll's option order, filling missing options with 0", () => {
    const res = toResults({ poll_id: "p", counts: { No: 1, Yes: 3 }, total: 4, position: 12, final: false }, ["Yes", "No", "Maybe"]);
    expect(res).toEqual({
      pollId: "p",
      counts: [
        { option: "Yes", votes: 3 },
        { option: "No", votes: 1 },
        { option: "Maybe", votes: 0 },
      ],
      total: 4,
      position: 12,
      final: false,
    });
  });

  it("reads list-shaped counts and sums a missing total", () => {
    const res = toResults({ results: [{ option: "x", count: 2 }, { option: "y", votes: 1 }] });
    expect(res.total).toBe(3);
    expect(res.final).toBeNull();
  });
});
