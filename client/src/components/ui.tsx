/** Small shared pieces of UI: alerts, spinner, status badge, page heading with focus. */

import { type ReactNode, useEffect, useRef } from "react";
import type { Poll } from "../api/types";

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

export function PollStatus({ poll }: { poll: Poll }) {
  return poll.isOpen ? (
    <span className="badge badge-open">Open</span>
  ) : (
    <span className="badge badge-closed">{poll.closed ? "Closed · final" : "Ended · final"}</span>
  );
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatDate(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateFormat.format(d);
}
