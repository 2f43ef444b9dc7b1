/** The results card: link state, the chart, a stale-results warning, and a polite
 *  screen-reader summary of each new tally. */

import { forwardRef, type ReactNode, useEffect, useState } from "react";
import type { Results } from "../api/types";
import type { LinkStatus, LiveState } from "../results/liveState";
import { votesText } from "../results/share";
import { ResultsChart } from "./ResultsChart";
import { formatTime } from "./ui";

const STATUS_LABEL: Record<Exclude<LinkStatus, "final">, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  stale: "Offline",
};

/** A one-sentence summary of a tally, for aria-live announcements. */
export function summarize(results: Results, final: boolean): string {
  const parts = results.counts.map((c) => `${c.option}: ${c.votes}`);
  return `${final ? "Final results" : "Results updated"}. ${parts.join(", ")}. ${votesText(results.total)} in total.`;
}

export function LiveBadge({ status }: { status: LinkStatus }) {
  if (status === "final") return null;
  return (
    <span className={`live-dot live-${status}`} data-connection={status}>
      {STATUS_LABEL[status]}
    </span>
  );
}

interface Props {
  live: LiveState;
  final: boolean;
  myOption: string | null;
  /** Shown instead of the chart while the results are hidden from this viewer. */
  hidden?: ReactNode;
  /** Extra controls in the card's head (e.g. "Present"). */
  actions?: ReactNode;
  large?: boolean;
}

export const ResultsPanel = forwardRef<HTMLElement, Props>(function ResultsPanel(
  { live, final, myOption, hidden, actions, large = false },
  ref,
) {
  const [announcement, setAnnouncement] = useState("");
  const { results, revision } = live;
  const status: LinkStatus = final ? "final" : live.status;

  useEffect(() => {
    // The first tally is shown, not announced; later changes are announced politely.
    if (results && revision > 1) setAnnouncement(summarize(results, final));
  }, [results, revision, final]);

  return (
    <section ref={ref} className={`card results status-${status}`} aria-labelledby="results-title" data-status={status}>
      <div className="results-head">
        <h2 id="results-title">{final ? "Final results" : "Live results"}</h2>
        <div className="results-actions">
          {!hidden && <LiveBadge status={status} />}
          {actions}
        </div>
      </div>
      {status === "stale" && !hidden && (
        <div className="stale-banner" role="status">
          <strong>Connection lost.</strong> These results may be out of date
          {live.confirmedAt ? ` (last confirmed at ${formatTime(live.confirmedAt)})` : ""}. Reconnecting…
        </div>
      )}
      {hidden ? (
        <div className="results-hidden">{hidden}</div>
      ) : results ? (
        <>
          <ResultsChart results={results} myOption={myOption} final={final} large={large} />
          <p className="chart-total">{results.total === 0 ? "No votes yet." : `${votesText(results.total)} in total`}</p>
        </>
      ) : live.error ? (
        <p className="alert alert-error" role="alert">
          {live.error}
        </p>
      ) : (
        <p className="chart-empty" role="status">
          Loading results…
        </p>
      )}
      {results && live.error && !hidden && <p className="hint">{live.error}</p>}
      <p className="sr-only" aria-live="polite" aria-atomic="true">
        {announcement}
      </p>
    </section>
  );
});
