/** A tiny hash router (works from S3/CloudFront and `votes serve` without rewrite rules). */

import { useEffect, useState } from "react";

export type Route =
  | { name: "polls" }
  | { name: "poll"; pollId: string }
  | { name: "new-poll" }
  | { name: "not-found"; path: string };

/** Parse a location hash (`#/polls/abc`) into a Route. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "").replace(/\/+$/, "") || "/";
  if (path === "/" || path === "/polls") return { name: "polls" };
  if (path === "/polls/new") return { name: "new-poll" };
  const m = /^\/polls\/([^/]+)$/.exec(path);
  if (m) return { name: "poll", pollId: decodeURIComponent(m[1]) };
  return { name: "not-found", path };
}

export const hrefFor = {
  polls: () => "#/",
  poll: (pollId: string) => `#/polls/${encodeURIComponent(pollId)}`,
  newPoll: () => "#/polls/new",
};

export function navigate(href: string): void {
  window.location.hash = href.replace(/^#/, "");
}

/** The current route, following hash changes. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
