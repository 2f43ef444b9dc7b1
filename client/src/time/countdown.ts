/**
 * Closing times: "closes in 3 min 20 s" text, and a clock that re-renders a component as
 * often as the text changes and exactly when a deadline passes (never on a busy interval).
 */

import { useEffect, useState } from "react";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Time left as people say it: "2 days 4 h", "3 h 05 min", "4 min 07 s", "9 s"; "0 s" once past. */
export function formatRemaining(ms: number): string {
  const left = Math.max(0, ms);
  if (left >= DAY) {
    const days = Math.floor(left / DAY);
    const hours = Math.floor((left % DAY) / HOUR);
    return `${days} ${days === 1 ? "day" : "days"}${hours ? ` ${hours} h` : ""}`;
  }
  if (left >= HOUR) {
    const minutes = Math.floor((left % HOUR) / MINUTE);
    return `${Math.floor(left / HOUR)} h ${String(minutes).padStart(2, "0")} min`;
  }
  const seconds = Math.ceil(left / SECOND);
  if (seconds >= 60) {
    return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, "0")} s`;
  }
  return `${seconds} s`;
}

/** How long until `formatRemaining` shows something else, or the deadline passes. */
export function nextChangeIn(ms: number): number {
  if (ms <= 0) return Infinity;
  const unit = ms >= DAY ? HOUR : ms >= HOUR ? MINUTE : SECOND;
  // seconds are shown rounded up, longer units rounded down
  const step = unit === SECOND ? ms % SECOND || SECOND : ms % unit || unit;
  return Math.max(1, Math.min(step, ms));
}

/** Milliseconds until each ISO time in `deadlines` (null ones are ignored), kept current: the
 *  component re-renders when any of the texts would change, and at each deadline. */
export function useNow(deadlines: (string | null)[]): number {
  const [now, setNow] = useState(() => Date.now());
  const key = deadlines.join("|");
  useEffect(() => {
    const times = key
      .split("|")
      .filter(Boolean)
      .map(Date.parse)
      .filter((t) => !Number.isNaN(t));
    const current = Date.now(); // not `now`: the effect may run a little after the render
    const wait = Math.min(...times.map((t) => nextChangeIn(t - current)));
    if (!Number.isFinite(wait)) return;
    // Browsers clamp long timers; at most a minute keeps days-away deadlines honest too.
    const timer = setTimeout(() => setNow(Date.now()), Math.min(wait + 5, MINUTE));
    return () => clearTimeout(timer);
  }, [key, now]);
  return now;
}
