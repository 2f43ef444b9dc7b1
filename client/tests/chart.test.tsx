import { act, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { toResults } from "../src/api/types";
import { PALETTE_SIZE, ResultsChart } from "../src/components/ResultsChart";
import { ResultsPanel, summarize } from "../src/components/ResultsPanel";
import { initialLiveState, liveReducer } from "../src/results/liveState";

const tally = (counts: Record<string, number>, position = 1, final = false) =>
  toResults({ poll_id: "p", counts, total: Object.values(counts).reduce((a, b) => a + b, 0), position, final }, Object.keys(counts));
const bar = (row: HTMLElement) => row.querySelector<HTMLElement>(".chart-bar")!.style.width;

describe("ResultsChart", () => {
  it("draws bars as shares of all votes, with counts, percentages and one colour per option", () => {
    render(<ResultsChart results={tally({ Pizza: 3, Tacos: 1, Sushi: 0 })} myOption="Tacos" />);
    const rows = screen.getAllByRole("listitem");
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent("PizzaLeading75%3 votes");
    expect(rows[1]).toHaveTextContent("TacosYour vote25%1 vote");
    expect(rows[2]).toHaveTextContent("Sushi0%0 votes");
    expect(rows.map(bar)).toEqual(["75%", "25%", "0%"]); // not scaled to the leader
    expect(rows.map((r) => [...r.classList].find((c) => c.startsWith("opt-c")))).toEqual(["opt-c0", "opt-c1", "opt-c2"]);
    expect(rows[0]).toHaveClass("is-leader");
    expect(rows[1]).toHaveClass("is-mine");
  });

  it("fills half the track for half the votes (the issue's 1 of 2)", () => {
    render(<ResultsChart results={tally({ A: 1, B: 1, C: 0 })} />);
    expect(screen.getAllByRole("listitem").map(bar)).toEqual(["50%", "50%", "0%"]);
    expect(document.querySelector(".is-leader")).toBeNull(); // a tie has no leader
  });

  it("repeats the palette after ten options", () => {
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`o${i}`, i]));
    render(<ResultsChart results={tally(many)} />);
    const rows = screen.getAllByRole("listitem");
    expect(rows[PALETTE_SIZE]).toHaveClass("opt-c0");
    expect(rows[11]).toHaveClass("opt-c1");
  });

  it("names a single leader the winner once final, and no winner on a tie", () => {
    const { rerender } = render(<ResultsChart results={tally({ A: 2, B: 1 })} final />);
    expect(screen.getAllByRole("listitem")[0]).toHaveTextContent("A★ Winner67%");
    expect(screen.getAllByRole("listitem")[0]).toHaveClass("is-winner");
    rerender(<ResultsChart results={tally({ A: 2, B: 1 })} />);
    expect(screen.queryByText(/Winner/)).toBeNull();
    rerender(<ResultsChart results={tally({ A: 1, B: 1 })} final />);
    expect(screen.queryByText(/Winner/)).toBeNull();
    rerender(<ResultsChart results={tally({ A: 0, B: 0 })} final />);
    expect(screen.queryByText(/Winner/)).toBeNull();
  });

  it("re-mounts a count that changes, which replays its animation", () => {
    const { rerender } = render(<ResultsChart results={tally({ A: 1, B: 1 })} />);
    const before = screen.getAllByRole("listitem").map((r) => r.querySelector(".chart-count"));
    rerender(<ResultsChart results={tally({ A: 2, B: 1 }, 2)} />);
    const after = screen.getAllByRole("listitem").map((r) => r.querySelector(".chart-count"));
    expect(after[0]).not.toBe(before[0]); // A changed: a new element, a new animation
    expect(after[1]).toBe(before[1]); // B did not
  });
});

describe("ResultsPanel", () => {
  const at = 1_800_000_000_000;

  it("announces changes after the first tally, politely", () => {
    let state = liveReducer(initialLiveState(), { type: "results", results: tally({ A: 1, B: 0 }, 1), at });
    const { rerender, container } = render(<ResultsPanel live={state} final={false} myOption={null} />);
    const live = container.querySelector("[aria-live=polite]")!;
    expect(live).toHaveTextContent("");
    state = liveReducer(state, { type: "results", results: tally({ A: 1, B: 1 }, 2), at });
    act(() => rerender(<ResultsPanel live={state} final={false} myOption={null} />));
    expect(live).toHaveTextContent("Results updated. A: 1, B: 1. 2 votes in total.");
    const region = screen.getByRole("region", { name: "Live results" });
    expect(within(region).getAllByRole("listitem")[1]).toHaveTextContent("B50%1 vote");
    expect(region).toHaveTextContent("2 votes in total");
  });

  it("labels the link state and warns, prominently, when results may be stale", () => {
    let state = liveReducer(initialLiveState(), { type: "results", results: tally({ A: 1 }), at });
    const { rerender } = render(<ResultsPanel live={state} final={false} myOption={null} />);
    expect(screen.getByText("Live")).toHaveAttribute("data-connection", "live");
    state = liveReducer(state, { type: "down" });
    rerender(<ResultsPanel live={state} final={false} myOption={null} />);
    expect(screen.getByText("Reconnecting…")).toBeInTheDocument();
    expect(screen.queryByText(/may be out of date/)).toBeNull(); // a blip is not worth a banner
    state = liveReducer(state, { type: "stale" });
    rerender(<ResultsPanel live={state} final={false} myOption={null} />);
    expect(screen.getByRole("status", { name: "" })).toHaveTextContent(/Connection lost. These results may be out of date \(last confirmed at .+\)/);
    expect(screen.getByRole("region")).toHaveAttribute("data-status", "stale");
  });

  it("says 'final' once: the heading, no badge, no caption", () => {
    const state = liveReducer(initialLiveState("final"), { type: "results", results: tally({ A: 2, B: 1 }, 3, true), at });
    const { container } = render(<ResultsPanel live={state} final myOption={null} />);
    expect(screen.getByRole("heading", { name: "Final results" })).toBeInTheDocument();
    expect(container.textContent!.match(/final/gi)).toHaveLength(1);
  });

  it("shows what it is given instead of the chart while results are hidden", () => {
    render(<ResultsPanel live={initialLiveState()} final={false} myOption={null} hidden={<p>Vote first</p>} />);
    expect(screen.getByText("Vote first")).toBeInTheDocument();
    expect(screen.queryByRole("figure")).toBeNull();
    expect(screen.queryByText("Connecting…")).toBeNull();
  });

  it("summarises a final tally", () => {
    expect(summarize(tally({ A: 1 }), true)).toBe("Final results. A: 1. 1 vote in total.");
  });
});
