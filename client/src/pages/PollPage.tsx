/** One poll: the viewer's ballot, live results, and (for admins, out of the voter's way)
 *  closing it. The page flips to closed at the closing time, without a reload. */

import { useEffect, useRef, useState } from "react";
import { ApiError, messageOf } from "../api/errors";
import { openAt } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { AdminClose } from "../components/AdminClose";
import { type BallotAction, BallotForm } from "../components/BallotForm";
import { Countdown } from "../components/Countdown";
import { ResultsPanel } from "../components/ResultsPanel";
import { Alert, bringIntoView, formatDate, PageHeading, PollStatus, Spinner } from "../components/ui";
import { useLiveResults } from "../results/useLiveResults";
import { hrefFor, Link } from "../router";
import { useAsync } from "../state/useAsync";
import { useNow } from "../time/countdown";
import { PollMissing, pollIdLooksValid, useMyBallot } from "./pollShared";

const DONE: Record<BallotAction["kind"], (option?: string) => string> = {
  cast: (o) => `Your vote for “${o}” is in.`,
  change: (o) => `Your vote is now “${o}”.`,
  retract: () => "Your vote was retracted.",
};

type Notice = { kind: "success" | "error"; text: string };

export function PollPage({ pollId }: { pollId: string }) {
  const valid = pollIdLooksValid(pollId);
  const { api, token, config, session } = useAuth();
  const poll = useAsync((signal) => (valid ? api.getPoll(pollId, signal) : Promise.resolve(null)), [api, pollId, valid]);
  const ballot = useMyBallot(pollId, valid);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);
  const noticeRef = useRef<HTMLDivElement>(null);
  const resultsRef = useRef<HTMLElement>(null);

  const p = poll.data;
  const now = useNow([p?.closesAt ?? null]);
  const open = p !== null && openAt(p, now);
  const final = p !== null && !open;
  // Having voted once is enough to see an after_vote poll's results (the API's rule too);
  // until the ballot is known, such a poll's results are not asked for.
  const hasVoted = ballot.data !== null;
  const ballotKnown = hasVoted || !ballot.loading;
  const mayHide = p?.resultsVisibility === "after_vote" && open && !session?.isAdmin;
  const hidden = mayHide && ballotKnown && !hasVoted;
  const { state: live, refresh } = useLiveResults({
    api,
    token,
    pollId,
    options: p?.options ?? [],
    realtime: config.realtime,
    closed: final,
    enabled: p !== null && !hidden && (!mayHide || ballotKnown),
  });

  // The closing time passed while the page was open, or the tally says the poll is final
  // before our copy of the poll does: read the poll again (the server's word).
  const reloadPoll = poll.reload;
  const serverOpen = p?.isOpen ?? false;
  useEffect(() => {
    if (serverOpen && (!open || live.results?.final)) void reloadPoll();
  }, [serverOpen, open, live.results?.final, reloadPoll]);

  useEffect(() => {
    if (notice?.kind === "error") noticeRef.current?.focus();
  }, [notice]);

  // Once the poll is over, an earlier "your vote is in" is old news.
  useEffect(() => {
    if (final) setNotice((n) => (n?.kind === "success" ? null : n));
  }, [final]);

  if (!valid || (p === null && poll.error)) return <PollMissing error={valid ? poll.error : null} code={poll.errorCode} />;
  if (p === null) {
    return (
      <main id="main" className="page" tabIndex={-1}>
        <Spinner label="Loading the poll…" />
      </main>
    );
  }

  const run = async (what: () => Promise<void>, success: string | null, then?: () => void) => {
    setBusy(true);
    setNotice(null);
    try {
      try {
        await what();
      } catch (e) {
        if (!(e instanceof ApiError && e.code === "not_registered") || !session) throw e;
        await api.registerVoter(session.name); // registration raced the first vote: redo both
        await what();
      }
      setNotice(success ? { kind: "success", text: success } : null);
      then?.();
    } catch (e) {
      setNotice({ kind: "error", text: failureText(e) });
      if (e instanceof ApiError && e.code === "poll_closed") void poll.reload();
      if (e instanceof ApiError && e.code === "already_voted") void ballot.reload();
    } finally {
      setBusy(false);
      refresh();
    }
  };

  const onBallot = (action: BallotAction) => {
    if (action.kind === "retract") {
      void run(async () => {
        const b = await api.retractVote(pollId);
        ballot.set(b);
      }, DONE.retract());
    } else {
      const write = action.kind === "cast" ? api.castVote : api.changeVote;
      void run(
        async () => {
          const b = await write.call(api, pollId, action.option);
          ballot.set(b.option ? b : { pollId, option: action.option, updatedAt: null });
        },
        DONE[action.kind](action.option),
        // On a phone the results start below a long ballot: bring them into view.
        () => requestAnimationFrame(() => bringIntoView(resultsRef.current)),
      );
    }
  };

  const onClose = () =>
    void run(async () => {
      poll.set(await api.closePoll(pollId));
    }, null); // the "closed" banner says it

  return (
    <main id="main" className="page" tabIndex={-1}>
      <Link className="back" href={hrefFor.polls()}>
        ← All polls
      </Link>
      <header className="poll-head">
        <div className="poll-head-row">
          <PollStatus open={open} closedByAdmin={p.closed} />
          {open && p.closesAt && <Countdown closesAt={p.closesAt} now={now} />}
        </div>
        <PageHeading title={p.question}>{p.question}</PageHeading>
        <p className="muted poll-meta">
          {p.createdAt && <>Opened {formatDate(p.createdAt)}</>}
          {!open && (p.closedAt || p.closesAt) && <> · closed {formatDate(p.closedAt ?? p.closesAt)}</>}
        </p>
      </header>
      {final && (
        <div className="final-banner" role="status">
          <strong>This poll is closed.</strong> Votes can no longer be cast or changed.
        </div>
      )}
      <div className="poll-grid">
        <div className="poll-ballot">
          {ballot.error && ballot.data === null ? (
            <Alert>{ballot.error}</Alert>
          ) : ballot.loading && ballot.data === null ? (
            <Spinner label="Loading your ballot…" />
          ) : (
            <BallotForm poll={p} open={open} ballot={ballot.data} busy={busy} onAction={onBallot}>
              {notice && (
                <div ref={noticeRef} tabIndex={-1} className="notice">
                  <Alert kind={notice.kind}>{notice.text}</Alert>
                </div>
              )}
            </BallotForm>
          )}
        </div>
        <ResultsPanel
          ref={resultsRef}
          live={live}
          final={final}
          myOption={ballot.data?.option ?? null}
          hidden={
            hidden ? (
              <>
                <p className="results-hidden-title">Results appear once you vote</p>
                <p className="muted">This poll keeps its results hidden until then, so they cannot sway your choice.</p>
              </>
            ) : undefined
          }
          actions={
            <Link className="btn btn-ghost btn-small" href={hrefFor.present(p.id)}>
              Present
            </Link>
          }
        />
        {session?.isAdmin && open && (
          <div className="poll-admin">
            <AdminClose busy={busy} onClose={onClose} />
          </div>
        )}
      </div>
    </main>
  );
}

/** An error as the viewer should read it; for "already voted" it names the vote they hold. */
function failureText(e: unknown): string {
  if (e instanceof ApiError && e.code === "already_voted" && typeof e.details.option === "string") {
    return `You already voted for “${e.details.option}” (perhaps in another tab). Your new pick is still selected: use “Change my vote” to switch to it.`;
  }
  return messageOf(e);
}
