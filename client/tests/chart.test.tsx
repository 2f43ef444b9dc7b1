import { act, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { toResults } from "../src/api/types";
import { ResultsChart } from "../src/components/ResultsChart";
import { ResultsPanel, summarize } from "../src/components/ResultsPanel";
import { initialLiveResults, liveResultsReducer } from "../src/results/reducer";

const tally = (counts: Record<string, number>, position = 1, final = false) =>
  toResults({ poll_id: "p", counts, total: Object.values(counts).reduce((a, b) => a + b, 0), position, final }, Object.keys(counts));

describe("ResultsChart", () => {
  it("draws one labelled row per option with counts, shares and bar widths", () => {
    render(<ResultsChart results={tally({ Pizza: 3, Tacos: 1, Sushi: 0 })} myOption="Tacos" />);
    const rows = screen.getAllByRole("listitem");
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent("Pizza3 votes (75%)");
    expect(rows[1]).toHaveTextContent("TacosYour vote1 vote (25%)");
    expect(rows[2]).toHaveTextContent("Sushi0 votes (0%)");
    expect(rows[0]).toHaveClass("is-leader");
    expect(rows[1]).toHaveClass("is-mine");
    const bar = (row: HTMLElement) => row.querySelector<HTMLElement>(".chart-bar")!.style.width;
    expect(rows.map(bar)).toEqual(["100%", `${(1 / 3) * 100}%`, "0%"]);
    expect(screen.getByRole("figure", { name: "Live results" })).toHaveTextContent("4 votes in total");
  });

  it("shows an empty tally and a final one", () => {
    render(<ResultsChart results={tally({ Yes: 0, No: 0 })} final />);
    expect(screen.getByRole("figure", { name: "Final results" })).toHaveTextContent("No votes yet. · final");
    expect(document.querySelector(".is-leader")).toBeNull();
  });

  it("names a single leader the winner once final, and no winner on a tie", () => {
    const { rerender } = render(<ResultsChart results={tally({ A: 2, B: 1 })} final />);
    expect(screen.getAllByRole("listitem")[0]).toHaveTextContent("AWinner");
    rerender(<ResultsChart results={tally({ A: 2, B: 1 })} />);
    expect(screen.queryByText("Winner")).toBeNull();
    rerender(<ResultsChart results={tally({ A: 1, B: 1 })} final />);
    expect(screen.queryByText("Winner")).toBeNull();
  });

  it("shows a loading state before the first tally", () => {
    render(<ResultsChart results={null} />);
    expect(screen.getByRole("status")).toHaveTextContent("Loading results");
  });
});

describe("ResultsPanel", () => {
  it("announces changes after the first tally, politely", () => {
    let state = liveResultsReducer(initialLiveResults(), { type: "results", results: tally({ A: 1, B: 0 }, 1) });
    const { rerender, container } = render(<ResultsPanel live={state} final={false} myOption={null} />);
    const live = container.querySelector("[aria-live=polite]")!;
    expect(live).toHaveTextContent("");
    state = liveResultsReducer(state, { type: "results", results: tally({ A: 1, B: 1 }, 2) });
    act(() => rerender(<ResultsPanel live={state} final={false} myOption={null} />));
    expect(live).toHaveTextContent("Results updated. A: 1, B: 1. 2 votes in total.");
    const region = screen.getByRole("region", { name: "Live results" });
    expect(within(region).getAllByRole("listitem")[1]).toHaveTextContent("B1 vote (50%)");
  });

  it("labels the connection state", () => {
    const state = liveResultsReducer(initialLiveResults(), { type: "connection", connection: "live" });
    render(<ResultsPanel live={state} final={false} myOption={null} />);
    expect(screen.getByText("Live")).toHaveAttribute("data-connection", "live");
  });

  it("summarises a final tally", () => {
    expect(summarize(tally({ A: 1 }), true)).toBe("Final results. A: 1. 1 vote in total.");
  });
});
