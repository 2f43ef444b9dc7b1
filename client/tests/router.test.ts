import { describe, expect, it } from "vitest";
import { hrefFor, parseRoute } from "../src/router";

describe("parseRoute", () => {
  it.each([
    ["", { name: "polls" }],
    ["#/", { name: "polls" }],
    ["#/polls/", { name: "polls" }],
    ["#/polls/new", { name: "new-poll" }],
    ["#/polls/abc-123", { name: "poll", pollId: "abc-123" }],
    ["#/elsewhere", { name: "not-found", path: "/elsewhere" }],
  ])("%s", (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });

  it("round-trips poll links", () => {
    expect(parseRoute(hrefFor.poll("a/b c"))).toEqual({ name: "poll", pollId: "a/b c" });
  });
});
