import { describe, expect, it } from "vitest";
import { toResults } from "../src/api/types";
import { resultRows, wholePercents } from "../src/results/share";

describe("wholePercents", () => {
  it.each([
    [[1, 1, 1], [34, 33, 33]],
    [[1, 2], [33, 67]],
    [[2, 2, 2, 1], [29, 29, 28, 14]],
    [[0, 0], [0, 0]],
    [[5], [100]],
    [[1, 0, 0], [100, 0, 0]],
  ])("%j -> %j", (votes, percents) => {
    expect(wholePercents(votes)).toEqual(percents);
  });

  it("always adds up to 100 when anyone voted", () => {
    for (let seed = 1; seed < 300; seed++) {
      const votes = Array.from({ length: (seed % 19) + 2 }, (_, i) => (seed * (i + 7)) % 13);
      const sum = wholePercents(votes).reduce((a, b) => a + b, 0);
      expect(sum).toBe(votes.some((v) => v > 0) ? 100 : 0);
    }
  });
});

describe("resultRows", () => {
  it("gives each option its share of all votes and marks a single leader", () => {
    const rows = resultRows(toResults({ counts: { A: 1, B: 2, C: 0 } }, ["A", "B", "C"]));
    expect(rows.map((r) => [r.option, r.share, r.percent, r.index, r.leading])).toEqual([
      ["A", 1 / 3, 33, 0, false],
      ["B", 2 / 3, 67, 1, true],
      ["C", 0, 0, 2, false],
    ]);
  });

  it("has no leader on a tie or with no votes", () => {
    expect(resultRows(toResults({ counts: { A: 2, B: 2 } })).some((r) => r.leading)).toBe(false);
    expect(resultRows(toResults({ counts: { A: 0, B: 0 } })).map((r) => [r.share, r.leading])).toEqual([
      [0, false],
      [0, false],
    ]);
  });
});
