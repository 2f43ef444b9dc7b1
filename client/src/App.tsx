/** The app shell: header, sign-in gate, voter registration state, and the routed page. */

import { lazy, type MouseEvent, Suspense } from "react";
import { useAuth } from "./auth/AuthContext";
import { Alert, PageHeading, Spinner } from "./components/ui";
import { AuthPage } from "./pages/AuthPage";
import { NewPollPage } from "./pages/NewPollPage";
import { PollListPage } from "./pages/PollListPage";
import { PollPage } from "./pages/PollPage";
import { hrefFor, Link, useRoute } from "./router";

// The presenter view brings the QR encoder: loaded only when someone presents.
const PresentPage = lazy(() => import("./pages/PresentPage").then((m) => ({ default: m.PresentPage })));

/** Moves focus to the page's main content. A plain `href="#main"` would do in a static page;
 *  here it would only add a fragment to the address, so focus is moved directly. */
function skipToMain(e: MouseEvent<HTMLAnchorElement>) {
  e.preventDefault();
  const main = document.getElementById("main");
  main?.focus();
  main?.scrollIntoView();
}

function Header() {
  const { session, signOut } = useAuth();
  return (
    <header className="topbar">
      <a className="skip-link" href="#main" onClick={skipToMain}>
        Skip to content
      </a>
      <Link className="brand" href={hrefFor.polls()}>
        <span className="logo-mark" aria-hidden="true">
          ✓
        </span>
        Votes
      </Link>
      {session && (
        <div className="topbar-user">
          <span className="user-name" title={session.email ?? session.name}>
            {session.name}
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
    case "present":
      return (
        <Suspense fallback={<Spinner label="Loading the presenter view…" />}>
          <PresentPage key={route.pollId} pollId={route.pollId} />
        </Suspense>
      );
    case "not-found":
      return (
        <main id="main" className="page" tabIndex={-1}>
          <PageHeading title="Not found">Page not found</PageHeading>
          <p>
            <Link href={hrefFor.polls()}>See all polls</Link>
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
        <main id="main" className="page" tabIndex={-1}>
          <Spinner label="Loading…" />
        </main>
      )}
      {status === "signed-out" && <AuthPage />}
      {status === "registering" && (
        <main id="main" className="page" tabIndex={-1}>
          <Spinner label="Setting up your voter registration…" />
        </main>
      )}
      {status === "register-failed" && (
        <main id="main" className="page" tabIndex={-1}>
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
