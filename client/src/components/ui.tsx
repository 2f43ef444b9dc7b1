/** Small shared pieces of UI: alerts, spinner, status badge, page heading with focus, dates. */

import { type ReactNode, useEffect, useRef } from "react";

export function Alert({ kind = "error", children }: { kind?: "error" | "info" | "success"; children: ReactNode }) {
  return (
    <div className={`alert alert-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}

export function Spinner({ label }: { label: string }) {
  return (
    <div className="spinner-wrap" role="status">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

/** A page's h1; takes focus when the page opens so keyboard and screen-reader users land on it. */
export function PageHeading({ children, title }: { children: ReactNode; title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Votes`;
    ref.current?.focus();
  }, [title]);
  return (
    <h1 ref={ref} tabIndex={-1} className="page-title">
      {children}
    </h1>
  );
}

/** "Open", or "Closed" (by an admin) / "Ended" (at its closing time). */
export function PollStatus({ open, closedByAdmin }: { open: boolean; closedByAdmin: boolean }) {
  return open ? (
    <span className="badge badge-open">Open</span>
  ) : (
    <span className="badge badge-closed">{closedByAdmin ? "Closed" : "Ended"}</span>
  );
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

export function formatDate(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateFormat.format(d);
}

export function formatTime(ms: number): string {
  return timeFormat.format(new Date(ms));
}

/** Move the page to `el` when it is not in view (after voting, on a phone), gently unless the
 *  viewer asked for reduced motion. */
export function bringIntoView(el: HTMLElement | null): void {
  if (!el) return;
  const { top, bottom } = el.getBoundingClientRect();
  if (top >= 0 && bottom <= window.innerHeight) return;
  const still = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
  el.scrollIntoView({ block: "start", behavior: still ? "auto" : "smooth" });
}
