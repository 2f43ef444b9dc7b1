/**
 * A poll's tally as horizontal bars, each as long as its option's share of all votes, in the
 * option's own colour, with the count and the percentage beside it; the leader (or, once the
 * poll is over, the winner) stands out. Screen readers read it as a list. A count that changes
 * is re-mounted (keyed on its value), which replays a short "pop"; the bars glide to their
 * new length (both off under prefers-reduced-motion).
 */

import type { Results } from "../api/types";
import { resultRows, votesText } from "../results/share";

interface Props {
  results: Results;
  /** The option the viewer voted for, marked. */
  myOption?: string | null;
  /** The poll takes no more votes: the leader is the winner. */
  final?: boolean;
  /** Presenter view: large type. */
  large?: boolean;
}

/** The number of distinct colours (.opt-c0 ... in chart.css); more options repeat them. */
export const PALETTE_SIZE = 10;

export function ResultsChart({ results, myOption = null, final = false, large = false }: Props) {
  const rows = resultRows(results);
  return (
    <figure className={`chart${large ? " chart-large" : ""}`} aria-label={final ? "Final results" : "Live results"}>
      <ol className="chart-rows">
        {rows.map((row) => {
          const mine = row.option === myOption;
          const won = final && row.leading;
          const classes = [
            "chart-row",
            `opt-c${row.index % PALETTE_SIZE}`,
            mine && "is-mine",
            row.leading && "is-leader",
            won && "is-winner",
          ]
            .filter(Boolean)
            .join(" ");
          return (
            <li
              key={row.option}
              className={classes}
              data-option={row.option}
              data-votes={row.votes}
              data-percent={row.percent}
            >
              <div className="chart-label">
                <span className="chart-option">
                  <span className="chart-option-name">
                    <span className="swatch" aria-hidden="true" />
                    {row.option}
                  </span>
                  {won && <span className="tag tag-winner">★ Winner</span>}
                  {row.leading && !final && <span className="tag tag-leading">Leading</span>}
                  {mine && <span className="tag tag-mine">Your vote</span>}
                </span>
                <span className="chart-figures">
                  <span className="chart-pct" key={`p${row.percent}`}>
                    {row.percent}%
                  </span>
                  <span className="chart-count" key={`v${row.votes}`}>
                    {votesText(row.votes)}
                  </span>
                </span>
              </div>
              <div className="chart-track" aria-hidden="true">
                <div className="chart-bar" style={{ width: `${row.share * 100}%` }} />
              </div>
            </li>
          );
        })}
      </ol>
    </figure>
  );
}
