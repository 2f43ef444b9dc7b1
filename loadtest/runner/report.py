"""The summary table of one run, from Artillery's JSON report and the tally check."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.check import TallyCheck

__all__ = ["ENDPOINTS", "Summary", "load_report"]

# Request names in votes.yml, in scenario order.
ENDPOINTS = [
    "cognito_signup",
    "cognito_login",
    "register_voter",
    "list_polls",
    "cast_vote",
    "read_results",
]
BY_ENDPOINT = "plugins.metrics-by-endpoint"


def load_report(path: Path) -> dict[str, Any]:
    """The `aggregate` section of an Artillery `--output` report."""
    return dict(json.loads(path.read_text(encoding="utf-8"))["aggregate"])


@dataclass
class Row:
    name: str
    requests: int
    rate: float
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None
    errors: int


@dataclass
class Summary:
    """Throughput, latency and errors per endpoint, and the accounting of votes."""

    aggregate: dict[str, Any]
    ledger_votes: int
    check: TallyCheck | None
    peak: tuple[float, float] | None = None  # best 10 s window: (responses/s, votes/s)

    @property
    def counters(self) -> dict[str, int]:
        return dict(self.aggregate.get("counters", {}))

    @property
    def duration_s(self) -> float:
        first, last = self.aggregate.get("firstMetricAt"), self.aggregate.get("lastMetricAt")
        return max((last - first) / 1000, 1e-3) if first and last else 0.0

    @property
    def errors(self) -> int:
        return sum(v for k, v in self.counters.items() if k.startswith("errors."))

    @property
    def votes_accepted(self) -> int:
        return self.counters.get("votes.accepted", 0)

    def _row(self, name: str, summary_key: str, prefix: str | None) -> Row:
        stats = self.aggregate.get("summaries", {}).get(summary_key, {})
        counters = self.counters
        if prefix is None:
            requests = counters.get("http.requests", 0)
            errors = self.errors
        else:
            requests = sum(v for k, v in counters.items() if k.startswith(f"{prefix}.codes."))
            requests += sum(v for k, v in counters.items() if k.startswith(f"{prefix}.errors."))
            errors = sum(v for k, v in counters.items() if k.startswith(f"{prefix}.errors."))
            errors += sum(v for k, v in counters.items() if k.startswith(f"errors.{name} answered"))
        rate = requests / self.duration_s if self.duration_s else 0.0
        return Row(
            name,
            requests,
            rate,
            stats.get("p50"),
            stats.get("p95"),
            stats.get("p99"),
            stats.get("max"),
            errors,
        )

    def rows(self) -> list[Row]:
        rows = [
            self._row(name, f"{BY_ENDPOINT}.response_time.{name}", f"{BY_ENDPOINT}.{name}")
            for name in ENDPOINTS
        ]
        rows = [r for r in rows if r.requests]  # the scenario's own requests only
        rows.append(self._row("all requests", "http.response_time", None))
        return rows

    def facts(self) -> list[tuple[str, str]]:
        c = self.counters
        facts = [
            ("duration", f"{self.duration_s:.1f} s"),
            (
                "virtual users",
                f"{c.get('vusers.created', 0)} created, "
                f"{c.get('vusers.completed', 0)} completed, {c.get('vusers.failed', 0)} failed",
            ),
            ("errors", str(self.errors)),
            ("votes attempted", str(c.get("votes.attempted", 0))),
            ("votes accepted (201)", f"{self.votes_accepted} (ledger: {self.ledger_votes})"),
        ]
        if c.get("tokens.refreshed"):
            facts.append(("tokens refreshed", str(c["tokens.refreshed"])))
        if self.peak is not None:
            facts.append(
                (
                    "peak (10 s window)",
                    f"{self.peak[0]:.1f} responses/s, {self.peak[1]:.1f} votes/s",
                )
            )
        if self.check is not None:
            ck = self.check
            verdict = "OK" if ck.ok else f"MISMATCH ({len(ck.mismatches())} rows)"
            expected = f"expected {ck.expected_total}"
            if ck.baseline_total:
                expected += f" = {ck.baseline_total} before the run + {self.ledger_votes} accepted"
            facts.append(
                (
                    "tally total",
                    f"{ck.tallied_total}, {expected}; after {ck.waited_s:.1f} s: {verdict}",
                )
            )
        return facts

    def error_kinds(self) -> list[str]:
        """One line per kind of error Artillery counted."""
        return [
            f"  {v:>6}  {k[len('errors.') :]}"
            for k, v in sorted(self.counters.items())
            if k.startswith("errors.")
        ]

    def table(self) -> str:
        """The summary as fixed-width text."""
        ms = lambda v: "-" if v is None else f"{v:.0f}"  # noqa: E731
        head = f"{'endpoint':<16}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}"
        head += f"{'p99 ms':>8}{'max ms':>8}{'errors':>8}"
        lines = [head, "-" * len(head)]
        for r in self.rows():
            lines.append(
                f"{r.name:<16}{r.requests:>9}{r.rate:>8.1f}{ms(r.p50):>8}{ms(r.p95):>8}"
                f"{ms(r.p99):>8}{ms(r.max):>8}{r.errors:>8}"
            )
        lines.append("")
        width = max(len(k) for k, _ in self.facts())
        lines += [f"{k:<{width}}  {v}" for k, v in self.facts()]
        kinds = self.error_kinds()
        if kinds:
            lines += ["errors by kind:", *kinds]
        return "\n".join(lines)
