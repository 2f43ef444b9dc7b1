/**
 * The presenter view of a poll, for a projector or a shared screen: the question and the live
 * results in large type, and a QR code and short link for the audience to join. Loaded on
 * demand (it brings the QR encoder), so the voting pages do not pay for it.
 */

import { useEffect, useRef, useState } from "react";
import { openAt } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { Countdown } from "../components/Countdown";
import { QrCode } from "../components/QrCode";
import { ResultsPanel } from "../components/ResultsPanel";
import { PageHeading, Spinner } from "../components/ui";
import { useLiveResults } from "../results/useLiveResults";
import { hrefFor, Link } from "../router";
import { useAsync } from "../state/useAsync";
import { useNow } from "../time/countdown";
import { PollMissing, pollIdLooksValid, useMyBallot } from "./pollShared";

export function PresentPage({ pollId }: { pollId: string }) {
  const valid = pollIdLooksValid(pollId);
  const { api, token, config, session } = useAuth();
  const poll = useAsync((signal) => (valid ? api.getPoll(pollId, signal) : Promise.resolve(null)), [api, pollId, valid]);
  const ballot = useMyBallot(pollId, valid);
  const hasVoted = ballot.data !== null;
  const p = poll.data;
  const now = useNow([p?.closesAt ?? null]);
  const open = p ? openAt(p, now) : false;
  const mayHide = !!p && p.resultsVisibility === "after_vote" && open && !session?.isAdmin;
  const hidden = mayHide && !ballot.loading && !hasVoted;
  const { state: live } = useLiveResults({
    api,
    token,
    pollId,
    options: p?.options ?? [],
    realtime: config.realtime,
    closed: !open,
    enabled: !!p && !hidden && (!mayHide || hasVoted || !ballot.loading),
  });
  const stage = useRef<HTMLDivElement>(null);
  const [full, setFull] = useState(false);
  useEffect(() => {
    const onChange = () => setFull(document.fullscreenElement !== null);
    document.addEventListener("fullscreenchange", onChange);
    return () => document.removeEventListener("fullscreenchange", onChange);
  }, []);

  if (!valid || poll.error) return <PollMissing error={valid ? poll.error : null} code={poll.errorCode} />;
  if (!p) {
    return (
      <main id="main" className="page" tabIndex={-1}>
        <Spinner label="Loading the poll…" />
      </main>
    );
  }
  const joinUrl = new URL(hrefFor.poll(p.id), window.location.origin).toString();
  const shortUrl = joinUrl.replace(/^https?:\/\//, "");
  const toggleFull = () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void stage.current?.requestFullscreen?.();
  };

  return (
    <main id="main" className="present" tabIndex={-1}>
      <div className="present-stage" ref={stage}>
        <div className="present-bar">
          <Link className="back" href={hrefFor.poll(p.id)}>
            ← Back to the poll
          </Link>
          <button type="button" className="btn btn-ghost btn-small" onClick={toggleFull} aria-pressed={full}>
            {full ? "Exit full screen" : "Full screen"}
          </button>
        </div>
        <div className="present-grid">
          <div className="present-main">
            <PageHeading title={`Present: ${p.question}`}>{p.question}</PageHeading>
            {open && p.closesAt && (
              <p className="present-meta">
                <Countdown closesAt={p.closesAt} now={now} />
              </p>
            )}
            {!open && <p className="present-meta">Voting has closed.</p>}
            <ResultsPanel
              live={live}
              final={!open}
              myOption={null}
              large
              hidden={hidden ? <p>Vote in this poll to see its results here.</p> : undefined}
            />
          </div>
          <aside className="present-join" aria-labelledby="join-title">
            <h2 id="join-title">{open ? "Vote now" : "See the results"}</h2>
            <QrCode text={joinUrl} label={`QR code for ${shortUrl}`} />
            <p className="present-link">{shortUrl}</p>
          </aside>
        </div>
      </div>
    </main>
  );
}
