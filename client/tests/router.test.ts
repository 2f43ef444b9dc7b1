import { describe, expect, it } from "vitest";
import { hrefFor, parseRoute, pathOfLegacyHash } from "../src/router";

describe("parseRoute", () => {
  it.each([
    ["/", { name: "polls" }],
    ["/polls", { name: "polls" }],
    ["/polls/", { name: "polls" }],
    ["/polls/new", { name: "new-poll" }],
    ["/polls/abc-123", { name: "poll", pollId: "abc-123" }],
    ["/polls/abc-123/present", { name: "present", pollId: "abc-123" }],
    ["/elsewhere", { name: "not-found", path: "/elsewhere" }],
    ["/polls/a/b", { name: "not-found", path: "/polls/a/b" }],
  ])("%s", (path, route) => {
    expect(parseRoute(path)).toEqual(route);
  });

  it("round-trips poll links", () => {
    expect(parseRoute(hrefFor.poll("a/b c"))).toEqual({ name: "poll", pollId: "a/b c" });
    expect(parseRoute(hrefFor.present("p1"))).toEqual({ name: "present", pollId: "p1" });
  });
});

describe("old hash links", () => {
  it("become paths; a plain fragment such as #main is not a route", () => {
    expect(pathOfLegacyHash("#/polls/abc")).toBe("/polls/abc");
    expect(pathOfLegacyHash("#/")).toBe("/");
    expect(pathOfLegacyHash("#main")).toBeNull();
    expect(pathOfLegacyHash("")).toBeNull();
  });
});
