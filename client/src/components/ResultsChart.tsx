/** A horizontal bar chart of a poll's tally, readable by screen readers as a list. */

import type { Results } from "../api/types";

interface Props {
  results: Results | null;
  /** The option the viewer voted for, highlighted. */
  myOption?: string | null;
  final?: boolean;
}

const percent = (votes: number, total: number) => (total > 0 ? Math.round((votes / total) * 100) : 0);
const plural = (n: number) => `${n} ${n === 1 ? "vote" : "votes"}`;

export function ResultsChart({ results, myOption = null, final = false }: Props) {
  if (!results) {
    return (
      <p className="chart-empty" role="status">
        Loading results…
      </p>
    );
  }
  const { counts, total } = results;
  const max = Math.max(1, ...counts.map((c) => c.votes));
  const leader = total > 0 ? max : -1;
  const winner = final && counts.filter((c) => c.votes === leader).length === 1 ? leader : -1;
  return (
    <figure className="chart" aria-label={final ? "Final results" : "Live results"}>
      <ol className="chart-rows">
        {counts.map(({ option, votes }) => {
          const pct = percent(votes, total);
          const mine = option === myOption;
          const classes = ["chart-row", mine && "is-mine", votes === leader && "is-leader"]
            .filter(Boolean)
            .join(" ");
          return (
            <li key={option} className={classes} data-option={option} data-votes={votes}>
              <div className="chart-label">
                <span className="chart-option">
                  <span className="chart-option-name">{option}</span>
                  {votes === winner && <span className="tag tag-winner">Winner</span>}
                  {mine && <span className="tag tag-mine">Your vote</span>}
                </span>
                <span className="chart-count">
                  {plural(votes)} <span className="chart-pct">({pct}%)</span>
                </span>
              </div>
              <div className="chart-track" aria-hidden="true">
                <div className="chart-bar" style={{ width: `${(votes / max) * 100}%` }} />
              </div>
            </li>
          );
        })}
      </ol>
      <figcaption className="chart-total">
        {total === 0 ? "No votes yet." : `${plural(total)} in total`}
        {final ? " · final" : ""}
      </figcaption>
    </figure>
  );
}
