/**
 * Path routes (`/polls/<id>`), kept with the History API. `votes serve` answers a browser
 * navigation to any client path with index.html, and so does CloudFront (its error responses
 * send unknown paths to /index.html), so a shared or reloaded link opens the right page.
 * Links of the earlier hash routes (`#/polls/<id>`) are rewritten to paths on start.
 */

import { type AnchorHTMLAttributes, type MouseEvent, useEffect, useState } from "react";
import { createElement } from "react";

export type Route =
  | { name: "polls" }
  | { name: "poll"; pollId: string }
  | { name: "present"; pollId: string }
  | { name: "new-poll" }
  | { name: "not-found"; path: string };

/** Parse a location's path into a Route. */
export function parseRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, "") || "/";
  if (path === "/" || path === "/polls") return { name: "polls" };
  if (path === "/polls/new") return { name: "new-poll" };
  const m = /^\/polls\/([^/]+)(\/present)?$/.exec(path);
  if (m) {
    const pollId = decodeURIComponent(m[1]);
    return m[2] ? { name: "present", pollId } : { name: "poll", pollId };
  }
  return { name: "not-found", path };
}

export const hrefFor = {
  polls: () => "/",
  poll: (pollId: string) => `/polls/${encodeURIComponent(pollId)}`,
  present: (pollId: string) => `/polls/${encodeURIComponent(pollId)}/present`,
  newPoll: () => "/polls/new",
};

const CHANGE = "votes:navigate";

/** Go to `href` (a path of this app) without reloading the page. */
export function navigate(href: string, { replace = false } = {}): void {
  if (replace) window.history.replaceState(null, "", href);
  else window.history.pushState(null, "", href);
  window.scrollTo(0, 0);
  window.dispatchEvent(new Event(CHANGE));
}

/** The path an old hash link (`#/polls/x`) stood for, or null for any other hash. */
export function pathOfLegacyHash(hash: string): string | null {
  return hash.startsWith("#/") ? hash.slice(1) : null;
}

/** Rewrite an old hash link in the address bar to its path (before the first render). */
export function upgradeLegacyHash(): void {
  const path = pathOfLegacyHash(window.location.hash);
  if (path) window.history.replaceState(null, "", path);
}

/** The current route, following links, back and forward. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const onChange = () =>
      setRoute((current) => {
        const next = parseRoute(window.location.pathname);
        return JSON.stringify(next) === JSON.stringify(current) ? current : next;
      });
    window.addEventListener("popstate", onChange);
    window.addEventListener(CHANGE, onChange);
    return () => {
      window.removeEventListener("popstate", onChange);
      window.removeEventListener(CHANGE, onChange);
    };
  }, []);
  return route;
}

/** An `<a>` to a path of this app: a plain click navigates in place; a modified click (new
 *  tab, download) is left to the browser. */
export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const follow = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return createElement("a", { ...rest, href, onClick: follow });
}
