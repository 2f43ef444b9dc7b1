import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { formatRemaining, nextChangeIn, useNow } from "../src/time/countdown";

const S = 1000;
const M = 60 * S;
const H = 60 * M;

describe("formatRemaining", () => {
  it.each([
    [3 * 24 * H + 5 * H + 10 * M, "3 days 5 h"],
    [24 * H, "1 day"],
    [2 * H + 5 * M + 59 * S, "2 h 05 min"],
    [59 * M + 59 * S + 999, "60 min 00 s"],
    [4 * M + 7 * S, "4 min 07 s"],
    [60 * S, "1 min 00 s"],
    [9 * S + 1, "10 s"],
    [1, "1 s"],
    [0, "0 s"],
    [-5 * S, "0 s"],
  ])("%d ms -> %s", (ms, text) => {
    expect(formatRemaining(ms)).toBe(text);
  });
});

describe("nextChangeIn", () => {
  it("waits only as long as the text stays the same, and never past the deadline", () => {
    expect(nextChangeIn(9 * S + 300)).toBe(300);
    expect(nextChangeIn(9 * S)).toBe(S);
    expect(nextChangeIn(2 * H + 30 * S)).toBe(30 * S);
    expect(nextChangeIn(200)).toBe(200);
    expect(nextChangeIn(0)).toBe(Infinity);
  });
});

describe("useNow", () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date("2026-11-27T12:00:00Z") }));
  afterEach(() => vi.useRealTimers());

  it("re-renders at the deadline, so the page can flip to closed without a reload", async () => {
    const deadline = "2026-11-27T12:00:03.500Z";
    const { result } = renderHook(() => useNow([deadline, null]));
    const passed = () => result.current >= Date.parse(deadline);
    const renders: number[] = [];
    for (let t = 0; t < 4000; t += 50) {
      await act(async () => vi.advanceTimersByTimeAsync(50));
      if (renders.at(-1) !== result.current) renders.push(result.current);
      if (t + 50 <= 3500) expect(passed()).toBe(false);
    }
    expect(passed()).toBe(true);
    // one render per second shown (the text changes), the last just past the deadline
    expect(renders.length).toBeLessThanOrEqual(5);
    expect(renders.at(-1)! - Date.parse(deadline)).toBeLessThan(50);
    await act(async () => vi.advanceTimersByTimeAsync(60 * M));
    expect(vi.getTimerCount()).toBe(0); // nothing left to wait for: no busy timer
  });
});
