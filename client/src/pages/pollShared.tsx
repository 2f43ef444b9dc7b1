/** What the poll page and the presenter view share: checking a poll id, the "not found" page,
 *  and whether the viewer has ever voted in a poll. */

import type { Ballot } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { Alert, PageHeading } from "../components/ui";
import { hrefFor, Link } from "../router";
import { type AsyncState, useAsync } from "../state/useAsync";

const POLL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Poll ids are UUIDs: anything else is a mistyped link, not worth asking the API about. */
export function pollIdLooksValid(id: string): boolean {
  return POLL_ID.test(id);
}

/** The page for a poll that cannot be shown: not found (a wrong link), or failed to load. */
export function PollMissing({ error, code }: { error: string | null; code: string | null }) {
  const notFound = error === null || code === "poll_not_found" || code === "validation_failed";
  return (
    <main id="main" className="page" tabIndex={-1}>
      <Link className="back" href={hrefFor.polls()}>
        ← All polls
      </Link>
      {notFound ? (
        <>
          <PageHeading title="Poll not found">Poll not found</PageHeading>
          <p className="muted">There is no poll at this address. The link may be mistyped or incomplete.</p>
          <p>
            <Link href={hrefFor.polls()}>See all polls</Link>
          </p>
        </>
      ) : (
        <>
          <PageHeading title="Poll">Could not load the poll</PageHeading>
          <Alert>{error}</Alert>
        </>
      )}
    </main>
  );
}

/** The viewer's ballot in a poll: null if they never voted in it; `option` null if they
 *  voted and retracted. Read without a 404 (GET /voters/me/ballots). */
export function useMyBallot(pollId: string, enabled: boolean): AsyncState<Ballot | null> {
  const { api } = useAuth();
  return useAsync((signal) => (enabled ? api.myBallot(pollId, signal) : Promise.resolve(null)), [api, pollId, enabled]);
}
