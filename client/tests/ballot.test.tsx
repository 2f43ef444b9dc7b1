import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { toPoll } from "../src/api/types";
import { BallotForm } from "../src/components/BallotForm";

const open = toPoll({ id: "p", question: "Q?", options: ["Red", "Blue"], closed: false, is_open: true });
const closed = toPoll({ ...open, closed: true, is_open: false });

describe("BallotForm", () => {
  it("casts the chosen option, by keyboard", async () => {
    const onAction = vi.fn();
    render(<BallotForm poll={open} ballot={null} busy={false} onAction={onAction} />);
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
    render(<BallotForm poll={open} ballot={{ option: "Red", updatedAt: null }} busy={false} onAction={onAction} />);
    expect(screen.getByText(/You voted for/)).toHaveTextContent("You voted for Red.");
    const change = screen.getByRole("button", { name: "Change my vote" });
    expect(change).toBeDisabled();
    await userEvent.click(screen.getByRole("radio", { name: "Blue" }));
    await userEvent.click(change);
    expect(onAction).toHaveBeenLastCalledWith({ kind: "change", option: "Blue" });
    await userEvent.click(screen.getByRole("button", { name: "Retract my vote" }));
    expect(onAction).toHaveBeenLastCalledWith({ kind: "retract" });
  });

  it("is read-only once the poll is closed", () => {
    render(<BallotForm poll={closed} ballot={{ option: "Blue", updatedAt: null }} busy={false} onAction={vi.fn()} />);
    expect(screen.queryByRole("button")).toBeNull();
    expect(screen.getByRole("radio", { name: /Blue/ })).toBeDisabled();
    expect(screen.getByRole("radio", { name: /Blue/ })).toBeChecked();
  });
});
