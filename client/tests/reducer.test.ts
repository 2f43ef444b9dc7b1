import { describe, expect, it } from "vitest";
import { toResults } from "../src/api/types";
import { initialLiveResults, liveResultsReducer } from "../src/results/reducer";

const r = (counts: Record<string, number>, position: number | null, final = false) =>
  toResults({ counts, position, final });

describe("liveResultsReducer", () => {
  it("accepts newer tallies and drops older ones (by log position)", () => {
    let s = initialLiveResults();
    s = liveResultsReducer(s, { type: "results", results: r({ a: 2 }, 10) });
    s = liveResultsReducer(s, { type: "results", results: r({ a: 1 }, 9) });
    expect(s.results?.counts).toEqual([{ option: "a", votes: 2 }]);
    expect(s.revision).toBe(1);
    s = liveResultsReducer(s, { type: "results", results: r({ a: 3 }, 11) });
    expect(s.results?.total).toBe(3);
    expect(s.revision).toBe(2);
  });

  it("does not count a repeat of the same tally as an update", () => {
    let s = liveResultsReducer(initialLiveResults(), { type: "results", results: r({ a: 1 }, 5) });
    const again = liveResultsReducer(s, { type: "results", results: r({ a: 1 }, 5) });
    expect(again).toBe(s);
    s = liveResultsReducer(s, { type: "error", message: "down" });
    expect(liveResultsReducer(s, { type: "results", results: r({ a: 1 }, 5) }).error).toBeNull();
  });

  it("accepts tallies without positions", () => {
    let s = liveResultsReducer(initialLiveResults(), { type: "results", results: r({ a: 1 }, null) });
    s = liveResultsReducer(s, { type: "results", results: r({ a: 0 }, null) });
    expect(s.results?.total).toBe(0);
  });

  it("marks a final tally and stays final", () => {
    let s = liveResultsReducer(initialLiveResults(), { type: "results", results: r({ a: 1 }, 3, true) });
    expect(s.connection).toBe("final");
    s = liveResultsReducer(s, { type: "connection", connection: "reconnecting" });
    expect(s.connection).toBe("final");
    expect(liveResultsReducer(s, { type: "reset", connection: "polling" }).connection).toBe("polling");
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
