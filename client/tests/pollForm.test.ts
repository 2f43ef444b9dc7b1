import { describe, expect, it } from "vitest";
import { emptyPollForm, pollFormReducer, validatePollForm, type PollFormState } from "../src/state/pollForm";

const form = (over: Partial<PollFormState>): PollFormState => ({ ...emptyPollForm(), ...over });
const NOW = new Date("2026-11-27T12:00:00Z");

describe("pollFormReducer", () => {
  it("keeps between 2 and 20 options", () => {
    let s = emptyPollForm();
    s = pollFormReducer(s, { type: "remove-option", index: 0 });
    expect(s.options).toHaveLength(2);
    for (let i = 0; i < 25; i++) s = pollFormReducer(s, { type: "add-option" });
    expect(s.options).toHaveLength(20);
    s = pollFormReducer(s, { type: "option", index: 3, value: "four" });
    s = pollFormReducer(s, { type: "remove-option", index: 2 });
    expect(s.options[2]).toBe("four");
    expect(pollFormReducer(s, { type: "reset" })).toEqual(emptyPollForm());
  });
});

describe("validatePollForm", () => {
  it("trims, drops blank options and converts the closing time to UTC ISO", () => {
    const closesAt = "2026-11-28T09:30";
    const result = validatePollForm(form({ question: "  Lunch? ", options: [" Pizza ", "", "Tacos"], closesAt }), NOW);
    expect(result).toEqual({
      question: "Lunch?",
      options: ["Pizza", "Tacos"],
      closesAt: new Date(closesAt).toISOString(),
      resultsVisibility: "always",
    });
  });

  it("carries the results visibility", () => {
    const s = pollFormReducer(form({ question: "Q", options: ["a", "b"] }), { type: "results-visibility", value: "after_vote" });
    expect(validatePollForm(s, NOW)).toMatchObject({ resultsVisibility: "after_vote" });
  });

  it.each([
    [form({ question: " ", options: ["a", "b"] }), /question/],
    [form({ question: "Q", options: ["a", " "] }), /at least 2/],
    [form({ question: "Q", options: ["Red", " red "] }), /same/],
    [form({ question: "Q", options: ["a", "b"], closesAt: "2026-11-27T11:00" }), /future/],
    [form({ question: "Q".repeat(281), options: ["a", "b"] }), /280/],
    [form({ question: "Q", options: ["a", "b".repeat(81)] }), /80/],
  ])("rejects %#", (state, message) => {
    const result = validatePollForm(state, NOW);
    expect(typeof result).toBe("string");
    expect(result).toMatch(message);
  });
});
