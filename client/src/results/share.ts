/**
 * The numbers a results chart draws: each option's share of all votes (the bar's length), a
 * whole-percent label that adds up to 100 across options, and who leads or has won.
 */

import type { Results } from "../api/types";

export interface ResultRow {
  option: string;
  votes: number;
  /** votes / total, 0..1 (0 when nobody voted): the bar's length. */
  share: number;
  /** Whole percent, rounded so the rows add up to exactly 100 (largest remainder). */
  percent: number;
  /** Position in the poll's options, which picks the option's colour. */
  index: number;
  /** The single option with the most votes (none on a tie or with no votes). */
  leading: boolean;
}

/** Whole percentages of `votes` that add up to 100 (Hamilton's largest-remainder method);
 *  all 0 when there are no votes. Ties in the remainder go to the earlier option. */
export function wholePercents(votes: number[]): number[] {
  const total = votes.reduce((a, b) => a + b, 0);
  if (total === 0) return votes.map(() => 0);
  const exact = votes.map((v) => (v * 100) / total);
  const floors = exact.map(Math.floor);
  let left = 100 - floors.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, rest: x - floors[i] })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    floors[i] += 1;
    left -= 1;
  }
  return floors;
}

export function resultRows(results: Results): ResultRow[] {
  const votes = results.counts.map((c) => c.votes);
  const total = votes.reduce((a, b) => a + b, 0);
  const percents = wholePercents(votes);
  const top = Math.max(0, ...votes);
  const single = top > 0 && votes.filter((v) => v === top).length === 1;
  return results.counts.map((c, index) => ({
    option: c.option,
    votes: c.votes,
    share: total > 0 ? c.votes / total : 0,
    percent: percents[index],
    index,
    leading: single && c.votes === top,
  }));
}

export const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
export const votesText = (n: number) => plural(n, "vote", "votes");
