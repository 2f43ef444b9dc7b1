/** The API's resources as the app uses them, and tolerant readers of the JSON the API sends. */

export type ResultsVisibility = "always" | "after_vote";

export interface Poll {
  id: string;
  question: string;
  options: string[];
  createdBy: string | null;
  createdAt: string | null;
  closesAt: string | null;
  closed: boolean;
  closedAt: string | null;
  /** As the server saw it when it answered; a closing time may pass since (see `openAt`). */
  isOpen: boolean;
  /** `after_vote`: while open, the API shows the results only to those who voted (and admins). */
  resultsVisibility: ResultsVisibility;
  /** Votes in the poll's live tally, where the API says (the poll list does). */
  totalVotes: number | null;
}

/** Whether `poll` accepts votes at `now`: as the server said, until its closing time passes. */
export function openAt(poll: Poll, now: number): boolean {
  if (!poll.isOpen) return false;
  if (!poll.closesAt) return true;
  const deadline = Date.parse(poll.closesAt);
  return Number.isNaN(deadline) || now < deadline;
}

export interface Ballot {
  pollId: string | null;
  option: string | null;
  updatedAt: string | null;
}

export interface Results {
  pollId: string | null;
  /** Votes per option, in the poll's option order when known. */
  counts: { option: string; votes: number }[];
  total: number;
  /** The event-log position these results reflect, if the API says. */
  position: number | null;
  /** True once the poll is closed and the tally cannot change. */
  final: boolean | null;
}

export interface NewPoll {
  question: string;
  options: string[];
  closesAt: string | null;
  resultsVisibility: ResultsVisibility;
}

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (typeof v === "object" && v !== null ? (v as Json) : {});
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null =>
  typeof v === "number" && Number.isFinite(v) ? v : null;
const pick = (o: Json, ...keys: string[]): unknown => keys.map((k) => o[k]).find((v) => v !== undefined);

/** Read a poll (snake_case or camelCase keys). */
export function toPoll(raw: unknown): Poll {
  const o = obj(raw);
  const closed = pick(o, "closed") === true;
  const isOpen = pick(o, "is_open", "isOpen");
  return {
    id: String(pick(o, "id", "poll_id", "pollId") ?? ""),
    question: str(o.question) ?? "",
    options: Array.isArray(o.options) ? o.options.map((x) => String(x)) : [],
    createdBy: str(pick(o, "created_by", "createdBy")),
    createdAt: str(pick(o, "created_at", "createdAt")),
    closesAt: str(pick(o, "closes_at", "closesAt")),
    closed,
    closedAt: str(pick(o, "closed_at", "closedAt")),
    isOpen: typeof isOpen === "boolean" ? isOpen : !closed,
    resultsVisibility: pick(o, "results_visibility", "resultsVisibility") === "after_vote" ? "after_vote" : "always",
    totalVotes: num(pick(o, "total_votes", "totalVotes")),
  };
}

/** Read a list of polls: a bare array or `{"polls": [...]}` / `{"items": [...]}`. */
export function toPolls(raw: unknown): Poll[] {
  const list = Array.isArray(raw) ? raw : (pick(obj(raw), "polls", "items") ?? []);
  return Array.isArray(list) ? list.map(toPoll) : [];
}

/** Read a ballot, bare or wrapped as `{"ballot": {...}}` (as cast results are). */
export function toBallot(raw: unknown): Ballot {
  const o = obj(raw);
  const b = "ballot" in o ? obj(o.ballot) : o;
  return {
    pollId: str(pick(b, "poll_id", "pollId")),
    option: str(b.option),
    updatedAt: str(pick(b, "updated_at", "updatedAt")),
  };
}

/** Read `{"ballots": [...]}`. */
export function toBallots(raw: unknown): Ballot[] {
  const list = obj(raw).ballots;
  return Array.isArray(list) ? list.map(toBallot) : [];
}

function countsOf(raw: unknown): { option: string; votes: number }[] {
  if (Array.isArray(raw)) {
    return raw.map((row) => {
      const r = obj(row);
      return {
        option: String(pick(r, "option", "name", "label") ?? ""),
        votes: num(pick(r, "votes", "count", "total")) ?? 0,
      };
    });
  }
  return Object.entries(obj(raw)).map(([option, votes]) => ({ option, votes: num(votes) ?? 0 }));
}

/**
 * Read results: counts as `{"counts": {option: n}}`, `{"tallies": ...}`, `{"options": [...]}`
 * or `{"results": [...]}`; ordered by `optionOrder` (the poll's options) when given, with
 * options nobody voted for shown as 0.
 */
export function toResults(raw: unknown, optionOrder: string[] = []): Results {
  const o = obj(raw);
  const source = pick(o, "counts", "tallies", "tally", "results", "options", "votes");
  const counts = countsOf(source);
  const byOption = new Map(counts.map((c) => [c.option, c.votes]));
  const ordered = optionOrder.length
    ? [
        ...optionOrder.map((option) => ({ option, votes: byOption.get(option) ?? 0 })),
        ...counts.filter((c) => !optionOrder.includes(c.option)),
      ]
    : counts;
  const total = num(pick(o, "total", "total_votes", "totalVotes"));
  const closed = pick(o, "final", "closed");
  return {
    pollId: str(pick(o, "poll_id", "pollId", "id")),
    counts: ordered,
    total: total ?? ordered.reduce((sum, c) => sum + c.votes, 0),
    position: num(pick(o, "position", "last_position", "lastPosition")),
    final: typeof closed === "boolean" ? closed : null,
  };
}
