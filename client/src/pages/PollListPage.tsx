/** Every poll, open ones first. Each card says whether the viewer voted, how many votes are
 *  in, and how long the poll stays open; a poll whose closing time passes moves to "Closed"
 *  on its own. Admins get "New poll". */

import { type ReactNode, useEffect } from "react";
import { type Ballot, openAt, type Poll } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { Countdown } from "../components/Countdown";
import { Alert, formatDate, PageHeading, PollStatus, Spinner } from "../components/ui";
import { votesText } from "../results/share";
import { hrefFor, Link } from "../router";
import { useAsync } from "../state/useAsync";
import { useNow } from "../time/countdown";

const REFRESH_MS = 10000;

function PollCard({ poll, open, now, ballot }: { poll: Poll; open: boolean; now: number; ballot: Ballot | undefined }) {
  const voted = ballot?.option ?? null;
  return (
    <li>
      <Link className="poll-card card" href={hrefFor.poll(poll.id)}>
        <span className="poll-card-question">{poll.question}</span>
        <span className="poll-card-meta">
          <PollStatus open={open} closedByAdmin={poll.closed} />
          {open && poll.closesAt && <Countdown closesAt={poll.closesAt} now={now} />}
          {!open && (poll.closedAt || poll.closesAt) && <span>Closed {formatDate(poll.closedAt ?? poll.closesAt)}</span>}
          {poll.totalVotes !== null && <span className="poll-card-votes">{votesText(poll.totalVotes)}</span>}
          {voted ? (
            <span className="tag tag-mine">✓ You voted: {voted}</span>
          ) : (
            open && <span className="tag tag-todo">Not voted yet</span>
          )}
        </span>
        <span className="poll-card-arrow" aria-hidden="true">
          →
        </span>
      </Link>
    </li>
  );
}

function Section({ title, children, count, empty }: { title: string; count: number; empty: string; children: ReactNode }) {
  const id = `section-${title.toLowerCase().replace(/\W+/g, "-")}`;
  return (
    <section aria-labelledby={id} className="poll-section">
      <h2 id={id}>
        {title} <span className="count">{count}</span>
      </h2>
      {count === 0 ? <p className="empty">{empty}</p> : <ul className="poll-list">{children}</ul>}
    </section>
  );
}

export function PollListPage() {
  const { api, session } = useAuth();
  const polls = useAsync((signal) => api.listPolls(signal), [api]);
  const { reload } = polls;
  const ids = (polls.data ?? []).map((p) => p.id).join(",");
  const ballots = useAsync((signal) => api.myBallots(ids ? ids.split(",") : [], signal), [api, ids]);

  useEffect(() => {
    const id = setInterval(() => {
      if (!document.hidden) void reload();
    }, REFRESH_MS);
    return () => clearInterval(id);
  }, [reload]);

  const list = polls.data ?? [];
  const now = useNow(list.map((p) => (p.isOpen ? p.closesAt : null)));
  const open = list.filter((p) => openAt(p, now));
  const closed = list.filter((p) => !openAt(p, now));
  const card = (p: Poll) => <PollCard key={p.id} poll={p} open={openAt(p, now)} now={now} ballot={ballots.data?.get(p.id)} />;

  return (
    <main id="main" className="page" tabIndex={-1}>
      <div className="page-head">
        <PageHeading title="Polls">Polls</PageHeading>
        {session?.isAdmin && (
          <Link className="btn btn-primary" href={hrefFor.newPoll()}>
            + New poll
          </Link>
        )}
      </div>
      {polls.error && (
        <Alert>
          {polls.error}{" "}
          <button type="button" className="link" onClick={() => void reload()}>
            Try again
          </button>
        </Alert>
      )}
      {polls.data === null && polls.loading && <Spinner label="Loading polls…" />}
      {polls.data !== null && list.length === 0 && (
        <div className="empty-state card">
          <p className="empty-title">No polls yet</p>
          <p className="muted">
            {session?.isAdmin ? "Create the first one with “New poll”." : "When an administrator opens a poll, it appears here."}
          </p>
        </div>
      )}
      {list.length > 0 && (
        <>
          <Section title="Open polls" count={open.length} empty="No poll is open right now.">
            {open.map(card)}
          </Section>
          <Section title="Closed polls" count={closed.length} empty="No poll has closed yet.">
            {closed.map(card)}
          </Section>
        </>
      )}
    </main>
  );
}
