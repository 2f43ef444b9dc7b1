/** The new-poll form's state and its validation (the API checks again; this spares a round trip). */

import type { NewPoll, ResultsVisibility } from "../api/types";

export const MIN_OPTIONS = 2;
export const MAX_OPTIONS = 20;
export const MAX_QUESTION = 280;
export const MAX_OPTION = 80;

export interface PollFormState {
  question: string;
  options: string[];
  /** A `datetime-local` value ("2026-11-27T18:00"), in the browser's time zone; "" for none. */
  closesAt: string;
  resultsVisibility: ResultsVisibility;
}

export type PollFormAction =
  | { type: "question"; value: string }
  | { type: "option"; index: number; value: string }
  | { type: "add-option" }
  | { type: "remove-option"; index: number }
  | { type: "closes-at"; value: string }
  | { type: "results-visibility"; value: ResultsVisibility }
  | { type: "reset" };

export const emptyPollForm = (): PollFormState => ({
  question: "",
  options: ["", ""],
  closesAt: "",
  resultsVisibility: "always",
});

export function pollFormReducer(state: PollFormState, action: PollFormAction): PollFormState {
  switch (action.type) {
    case "question":
      return { ...state, question: action.value };
    case "option":
      return { ...state, options: state.options.map((o, i) => (i === action.index ? action.value : o)) };
    case "add-option":
      return state.options.length >= MAX_OPTIONS ? state : { ...state, options: [...state.options, ""] };
    case "remove-option":
      return state.options.length <= MIN_OPTIONS
        ? state
        : { ...state, options: state.options.filter((_, i) => i !== action.index) };
    case "closes-at":
      return { ...state, closesAt: action.value };
    case "results-visibility":
      return { ...state, resultsVisibility: action.value };
    case "reset":
      return emptyPollForm();
  }
}

const key = (option: string) => option.trim().replace(/\s+/g, " ").toLowerCase();

/** Validate the form into a NewPoll, or return the first problem as a message. */
export function validatePollForm(state: PollFormState, now: Date = new Date()): NewPoll | string {
  const question = state.question.trim();
  if (!question) return "Write the question.";
  if (question.length > MAX_QUESTION) return `The question is longer than ${MAX_QUESTION} characters.`;
  const options = state.options.map((o) => o.trim()).filter(Boolean);
  if (options.length < MIN_OPTIONS) return `Give at least ${MIN_OPTIONS} options.`;
  if (options.length > MAX_OPTIONS) return `A poll has at most ${MAX_OPTIONS} options.`;
  if (options.some((o) => o.length > MAX_OPTION)) return `Each option has at most ${MAX_OPTION} characters.`;
  if (new Set(options.map(key)).size !== options.length) return "Two options are the same.";
  let closesAt: string | null = null;
  if (state.closesAt) {
    const when = new Date(state.closesAt);
    if (Number.isNaN(when.getTime())) return "The closing time is not a valid date.";
    if (when <= now) return "The closing time must be in the future.";
    closesAt = when.toISOString();
  }
  return { question, options, closesAt, resultsVisibility: state.resultsVisibility };
}
