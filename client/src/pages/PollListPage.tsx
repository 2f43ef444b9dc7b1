/** Every poll, open ones first, each linking to its page; admins get "New poll". */

import { useEffect } from "react";
import type { Poll } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { Alert, PageHeading, PollStatus, Spinner, formatDate } from "../components/ui";
import { hrefFor } from "../router";
import { useAsync } from "../state/useAsync";

const REFRESH_MS = 10000;

function PollCard({ poll }: { poll: Poll }) {
  return (
    <li>
      <a className="poll-card card" href={hrefFor.poll(poll.id)}>
        <span className="poll-card-question">{poll.question}</span>
        <span className="poll-card-meta">
          <PollStatus poll={poll} />
          <span>{poll.options.length} options</span>
          {poll.isOpen && poll.closesAt && <span>Closes {formatDate(poll.closesAt)}</span>}
          {!poll.isOpen && poll.closedAt && <span>Closed {formatDate(poll.closedAt)}</span>}
        </span>
        <span className="poll-card-arrow" aria-hidden="true">
          →
        </span>
      </a>
    </li>
  );
}

function Section({ title, polls, empty }: { title: string; polls: Poll[]; empty: string }) {
  const id = `section-${title.toLowerCase().replace(/\W+/g, "-")}`;
  return (
    <section aria-labelledby={id} className="poll-section">
      <h2 id={id}>
        {title} <span className="count">{polls.length}</span>
      </h2>
      {polls.length === 0 ? <p className="empty">{empty}</p> : <ul className="poll-list">{polls.map((p) => <PollCard key={p.id} poll={p} />)}</ul>}
    </section>
  );
}

export function PollListPage() {
  const { api, session } = useAuth();
  const polls = useAsync((signal) => api.listPolls(signal), [api]);
  const { reload } = polls;

  useEffect(() => {
    const id = setInterval(() => {
      if (!document.hidden) void reload();
    }, REFRESH_MS);
    return () => clearInterval(id);
  }, [reload]);

  const list = polls.data ?? [];
  const open = list.filter((p) => p.isOpen);
  const closed = list.filter((p) => !p.isOpen);

  return (
    <main id="main" className="page">
      <div className="page-head">
        <PageHeading title="Polls">Polls</PageHeading>
        {session?.isAdmin && (
          <a className="btn btn-primary" href={hrefFor.newPoll()}>
            + New poll
          </a>
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
          <Section title="Open polls" polls={open} empty="No poll is open right now." />
          <Section title="Closed polls" polls={closed} empty="No poll has closed yet." />
        </>
      )}
    </main>
  );
}
