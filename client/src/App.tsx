/** The app shell: header, sign-in gate, voter registration state, and the routed page. */

import { useAuth } from "./auth/AuthContext";
import { Alert, PageHeading, Spinner } from "./components/ui";
import { AuthPage } from "./pages/AuthPage";
import { NewPollPage } from "./pages/NewPollPage";
import { PollListPage } from "./pages/PollListPage";
import { PollPage } from "./pages/PollPage";
import { hrefFor, useRoute } from "./router";

function Header() {
  const { session, signOut } = useAuth();
  return (
    <header className="topbar">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <a className="brand" href={hrefFor.polls()}>
        <span className="logo-mark" aria-hidden="true">
          ✓
        </span>
        Votes
      </a>
      {session && (
        <div className="topbar-user">
          <span className="user-name" title={session.username}>
            {session.username}
            {session.isAdmin && <span className="badge badge-admin">Admin</span>}
          </span>
          <button type="button" className="btn btn-ghost btn-small" onClick={signOut}>
            Sign out
          </button>
        </div>
      )}
    </header>
  );
}

function Routed() {
  const route = useRoute();
  switch (route.name) {
    case "polls":
      return <PollListPage />;
    case "new-poll":
      return <NewPollPage />;
    case "poll":
      return <PollPage key={route.pollId} pollId={route.pollId} />;
    case "not-found":
      return (
        <main id="main" className="page">
          <PageHeading title="Not found">Page not found</PageHeading>
          <p>
            <a href={hrefFor.polls()}>See all polls</a>
          </p>
        </main>
      );
  }
}

export function App() {
  const { status, error, retryRegistration } = useAuth();
  return (
    <>
      <Header />
      {status === "checking" && (
        <main id="main" className="page">
          <Spinner label="Loading…" />
        </main>
      )}
      {status === "signed-out" && <AuthPage />}
      {status === "registering" && (
        <main id="main" className="page">
          <Spinner label="Setting up your voter registration…" />
        </main>
      )}
      {status === "register-failed" && (
        <main id="main" className="page">
          <PageHeading title="Registration failed">We could not register you as a voter</PageHeading>
          <Alert>{error}</Alert>
          <button type="button" className="btn btn-primary" onClick={retryRegistration}>
            Try again
          </button>
        </main>
      )}
      {status === "ready" && <Routed />}
    </>
  );
}
