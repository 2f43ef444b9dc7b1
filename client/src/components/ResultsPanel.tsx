/** The live results card: connection state, the chart, and a polite screen-reader summary. */

import { useEffect, useState } from "react";
import type { Results } from "../api/types";
import type { LiveResultsState } from "../results/reducer";
import { ResultsChart } from "./ResultsChart";

const CONNECTION_LABEL = {
  connecting: "Connecting…",
  live: "Live",
  polling: "Auto-updating",
  reconnecting: "Reconnecting…",
  final: "Final",
} as const;

/** A one-sentence summary of a tally, for aria-live announcements. */
export function summarize(results: Results, final: boolean): string {
  const parts = results.counts.map((c) => `${c.option}: ${c.votes}`);
  return `${final ? "Final results" : "Results updated"}. ${parts.join(", ")}. ${results.total} ${
    results.total === 1 ? "vote" : "votes"
  } in total.`;
}

interface Props {
  live: LiveResultsState;
  final: boolean;
  myOption: string | null;
}

export function ResultsPanel({ live, final, myOption }: Props) {
  const [announcement, setAnnouncement] = useState("");
  const { results, revision } = live;
  const connection = final ? "final" : live.connection;

  useEffect(() => {
    // The first tally is shown, not announced; later changes are announced politely.
    if (results && revision > 1) setAnnouncement(summarize(results, final));
  }, [results, revision, final]);

  return (
    <section className="card results" aria-labelledby="results-title">
      <div className="results-head">
        <h2 id="results-title">{final ? "Final results" : "Live results"}</h2>
        <span className={`live-dot live-${connection}`} data-connection={connection}>
          {CONNECTION_LABEL[connection]}
        </span>
      </div>
      <ResultsChart results={results} myOption={myOption} final={final} />
      {live.error && !results && (
        <p className="alert alert-error" role="alert">
          {live.error}
        </p>
      )}
      <p className="sr-only" aria-live="polite" aria-atomic="true">
        {announcement}
      </p>
    </section>
  );
}
