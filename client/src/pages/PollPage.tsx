/** One poll: the viewer's ballot, live results, and (for admins) closing it. */

import { useEffect, useRef, useState } from "react";
import { ApiError, messageOf } from "../api/errors";
import type { Ballot } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { AdminClose } from "../components/AdminClose";
import { type BallotAction, BallotForm } from "../components/BallotForm";
import { ResultsPanel } from "../components/ResultsPanel";
import { Alert, PageHeading, PollStatus, Spinner, formatDate } from "../components/ui";
import { useLiveResults } from "../results/useLiveResults";
import { hrefFor } from "../router";
import { useAsync } from "../state/useAsync";

const DONE: Record<BallotAction["kind"], (option?: string) => string> = {
  cast: (o) => `Your vote for “${o}” is in.`,
  change: (o) => `Your vote is now “${o}”.`,
  retract: () => "Your vote was retracted.",
};

export function PollPage({ pollId }: { pollId: string }) {
  const { api, token, config, session } = useAuth();
  const poll = useAsync((signal) => api.getPoll(pollId, signal), [api, pollId]);
  const ballot = useAsync<Ballot | null>((signal) => api.myBallot(pollId, signal), [api, pollId]);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ kind: "success" | "error"; text: string } | null>(null);
  const noticeRef = useRef<HTMLDivElement>(null);

  const p = poll.data;
  const final = p !== null && !p.isOpen;
  const { state: live, refresh } = useLiveResults({
    api,
    token,
    pollId,
    options: p?.options ?? [],
    mode: config.liveResults,
    closed: final,
  });

  // The tally says the poll is final before our copy of the poll does: fetch the poll again.
  const reloadPoll = poll.reload;
  useEffect(() => {
    if (live.results?.final && p?.isOpen) void reloadPoll();
  }, [live.results?.final, p?.isOpen, reloadPoll]);

  useEffect(() => {
    if (notice?.kind === "error") noticeRef.current?.focus();
  }, [notice]);

  // Once the poll is final, an earlier "your vote is in" is old news.
  useEffect(() => {
    if (final) setNotice((n) => (n?.kind === "success" ? null : n));
  }, [final]);

  const run = async (what: () => Promise<void>, success: string | null) => {
    setBusy(true);
    setNotice(null);
    try {
      try {
        await what();
      } catch (e) {
        if (!(e instanceof ApiError && e.code === "not_registered") || !session) throw e;
        await api.registerVoter(session.username); // registration raced the first vote: redo both
        await what();
      }
      setNotice(success ? { kind: "success", text: success } : null);
    } catch (e) {
      setNotice({ kind: "error", text: messageOf(e) });
      if (e instanceof ApiError && e.code === "poll_closed") void poll.reload();
      if (e instanceof ApiError && e.code === "already_voted") void ballot.reload();
    } finally {
      setBusy(false);
      if (config.liveResults === "poll") refresh();
    }
  };

  const onBallot = (action: BallotAction) => {
    if (action.kind === "retract") {
      void run(async () => {
        await api.retractVote(pollId);
        ballot.set(null);
      }, DONE.retract());
    } else {
      const write = action.kind === "cast" ? api.castVote : api.changeVote;
      void run(async () => {
        const b = await write.call(api, pollId, action.option);
        ballot.set(b.option ? b : { option: action.option, updatedAt: null });
      }, DONE[action.kind](action.option));
    }
  };

  const onClose = () =>
    void run(async () => {
      poll.set(await api.closePoll(pollId));
    }, null); // the "closed" banner says it

  if (p === null) {
    return (
      <main id="main" className="page">
        <a className="back" href={hrefFor.polls()}>
          ← All polls
        </a>
        {poll.error ? (
          <>
            <PageHeading title="Poll">{poll.errorCode === "poll_not_found" ? "Poll not found" : "Could not load the poll"}</PageHeading>
            <Alert>{poll.error}</Alert>
          </>
        ) : (
          <Spinner label="Loading the poll…" />
        )}
      </main>
    );
  }

  return (
    <main id="main" className="page">
      <a className="back" href={hrefFor.polls()}>
        ← All polls
      </a>
      <header className="poll-head">
        <PollStatus poll={p} />
        <PageHeading title={p.question}>{p.question}</PageHeading>
        <p className="muted poll-meta">
          {p.createdAt && <>Opened {formatDate(p.createdAt)}</>}
          {p.isOpen && p.closesAt && <> · closes {formatDate(p.closesAt)}</>}
          {!p.isOpen && (p.closedAt || p.closesAt) && <> · closed {formatDate(p.closedAt ?? p.closesAt)}</>}
        </p>
      </header>
      {final && (
        <div className="final-banner" role="status">
          <strong>This poll is closed.</strong> The results are final.
        </div>
      )}
      <div className="poll-grid">
        <div className="poll-main">
          {ballot.error && !ballot.data && ballot.errorCode !== "ballot_not_found" ? (
            <Alert>{ballot.error}</Alert>
          ) : ballot.loading && ballot.data === null ? (
            <Spinner label="Loading your ballot…" />
          ) : (
            <BallotForm poll={p} ballot={ballot.data} busy={busy} onAction={onBallot}>
              {notice && (
                <div ref={noticeRef} tabIndex={-1} className="notice">
                  <Alert kind={notice.kind}>{notice.text}</Alert>
                </div>
              )}
            </BallotForm>
          )}
          {session?.isAdmin && p.isOpen && <AdminClose busy={busy} onClose={onClose} />}
        </div>
        <ResultsPanel live={live} final={final} myOption={ballot.data?.option ?? null} />
      </div>
    </main>
  );
}
