/** "Closes in 4 min 07 s", re-rendered by the page's clock (see time/countdown.ts). */

import { formatRemaining } from "../time/countdown";
import { formatDate } from "./ui";

export function Countdown({ closesAt, now }: { closesAt: string; now: number }) {
  const left = Date.parse(closesAt) - now;
  const soon = left < 5 * 60 * 1000;
  return (
    <span className={`countdown${soon ? " is-soon" : ""}`} title={`Closes ${formatDate(closesAt)}`}>
      <svg className="icon" viewBox="0 0 16 16" aria-hidden="true">
        <circle cx="8" cy="9" r="6" fill="none" stroke="currentColor" strokeWidth="1.6" />
        <path d="M8 5.5V9l2.2 1.4M6 1.5h4" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
      </svg>
      Closes in <time dateTime={closesAt}>{formatRemaining(left)}</time>
    </span>
  );
}
