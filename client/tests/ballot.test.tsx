import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { type Ballot, toPoll } from "../src/api/types";
import { BallotForm } from "../src/components/BallotForm";

const open = toPoll({ id: "p", question: "Q?", options: ["Red", "Blue", "Green"], closed: false, is_open: true });
const closed = toPoll({ ...open, closed: true, is_open: false });
const held = (option: string | null): Ballot => ({ pollId: "p", option, updatedAt: null });

describe("BallotForm", () => {
  it("casts the chosen option, by keyboard", async () => {
    const onAction = vi.fn();
    render(<BallotForm poll={open} open ballot={null} busy={false} onAction={onAction} />);
    const vote = screen.getByRole("button", { name: "Vote" });
    expect(vote).toBeDisabled();
    expect(screen.getByRole("group", { name: /Cast your vote/ })).toBeInTheDocument();
    await userEvent.tab();
    await userEvent.keyboard(" ");
    expect(screen.getByRole("radio", { name: "Red" })).toBeChecked();
    await userEvent.click(vote);
    expect(onAction).toHaveBeenCalledWith({ kind: "cast", option: "Red" });
  });

  it("changes or retracts a held vote", async () => {
    const onAction = vi.fn();
    render(<BallotForm poll={open} open ballot={held("Red")} busy={false} onAction={onAction} />);
    expect(screen.getByText(/You voted for/)).toHaveTextContent("You voted for Red.");
    const change = screen.getByRole("button", { name: "Change my vote" });
    expect(change).toBeDisabled();
    await userEvent.click(screen.getByRole("radio", { name: "Blue" }));
    await userEvent.click(change);
    expect(onAction).toHaveBeenLastCalledWith({ kind: "change", option: "Blue" });
    await userEvent.click(screen.getByRole("button", { name: "Retract my vote" }));
    expect(onAction).toHaveBeenLastCalledWith({ kind: "retract" });
  });

  it("keeps the viewer's pick when it learns of a vote cast elsewhere (already voted)", async () => {
    const onAction = vi.fn();
    const { rerender } = render(<BallotForm poll={open} open ballot={null} busy={false} onAction={onAction} />);
    await userEvent.click(screen.getByRole("radio", { name: "Blue" }));
    await userEvent.click(screen.getByRole("button", { name: "Vote" }));
    // the API answered already_voted; the page reloads the ballot: Red was cast in another tab
    rerender(<BallotForm poll={open} open ballot={held("Red")} busy={false} onAction={onAction} />);
    expect(screen.getByRole("radio", { name: "Blue" })).toBeChecked();
    const change = screen.getByRole("button", { name: "Change my vote" });
    expect(change).toBeEnabled();
    await userEvent.click(change);
    expect(onAction).toHaveBeenLastCalledWith({ kind: "change", option: "Blue" });
  });

  it("follows the held vote when the viewer had not picked another", () => {
    const { rerender } = render(<BallotForm poll={open} open ballot={held("Red")} busy={false} onAction={vi.fn()} />);
    rerender(<BallotForm poll={open} open ballot={held("Green")} busy={false} onAction={vi.fn()} />);
    expect(screen.getByRole("radio", { name: /Green/ })).toBeChecked();
    rerender(<BallotForm poll={open} open ballot={held(null)} busy={false} onAction={vi.fn()} />);
    expect(screen.queryByRole("radio", { checked: true })).toBeNull();
  });

  it("is read-only once the poll is closed, or its closing time has passed", () => {
    const { rerender } = render(<BallotForm poll={closed} open={false} ballot={held("Blue")} busy={false} onAction={vi.fn()} />);
    expect(screen.queryByRole("button")).toBeNull();
    expect(screen.getByRole("radio", { name: /Blue/ })).toBeDisabled();
    expect(screen.getByRole("radio", { name: /Blue/ })).toBeChecked();
    rerender(<BallotForm poll={open} open={false} ballot={null} busy={false} onAction={vi.fn()} />);
    expect(screen.queryByRole("button")).toBeNull();
    expect(screen.getByText("You did not vote in this poll.")).toBeInTheDocument();
  });
});
