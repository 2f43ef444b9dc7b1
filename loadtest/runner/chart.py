"""A self-contained HTML page (inline SVG, no scripts, no CDN) charting latency and
throughput per second of a run, with the phase starts marked."""

from __future__ import annotations

import html
import math
from collections import defaultdict
from pathlib import Path

__all__ = ["Timing", "peak_rates", "read_timings", "write_chart"]

Timing = tuple[float, str, int, float]  # end (epoch s), request name, status, ms to first byte
Series = tuple[str, str, list[tuple[float, float]]]  # label, colour, (x s, y) points
W, H, LEFT, RIGHT, TOP, BOTTOM = 960, 300, 64, 16, 30, 36


def read_timings(path: Path) -> list[Timing]:
    """The processor's per-response log."""
    rows: list[Timing] = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            end_ms, name, status, first_byte = line.split("\t")
            if first_byte:
                rows.append((int(end_ms) / 1000, name, int(status), float(first_byte)))
    return rows


def peak_rates(timings: list[Timing], window: int = 10) -> tuple[float, float] | None:
    """The best ``window``-second stretch: (responses per second, accepted votes per second)."""
    if not timings:
        return None
    t0 = min(t for t, *_ in timings)
    buckets = _per_second(timings, t0)
    last = max(buckets)
    best = (0.0, 0.0)
    for start in range(max(1, last - window + 2)):
        rows = [r for s in range(start, start + window) for r in buckets.get(s, [])]
        votes = sum(1 for r in rows if r[1] == "cast_vote" and r[2] == 201)
        best = max(best, (len(rows) / window, votes / window))
    return best


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= value)


def _svg(
    title: str, unit: str, series: list[Series], x_max: float, marks: list[tuple[str, float]]
) -> str:
    y_max = _nice_max(max((y for _, _, pts in series for _, y in pts), default=1.0))
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def sx(x: float) -> float:
        return LEFT + pw * x / max(x_max, 1.0)

    def sy(y: float) -> float:
        return TOP + ph * (1 - y / y_max)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}">'
    ]
    out.append(f'<text x="{LEFT}" y="18" class="title">{html.escape(title)}</text>')
    for i in range(5):
        y = y_max * i / 4
        out.append(
            f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" class="grid"/>'
        )
        out.append(f'<text x="{LEFT - 6}" y="{sy(y) + 4:.1f}" class="ytick">{y:g}</text>')
    out.append(
        f'<text x="12" y="{TOP + ph / 2:.0f}" class="unit" '
        f'transform="rotate(-90 12 {TOP + ph / 2:.0f})">{unit}</text>'
    )
    step = _nice_max(x_max / 10)
    x = 0.0
    while x <= x_max + 1e-9:
        out.append(f'<text x="{sx(x):.1f}" y="{H - BOTTOM + 16}" class="xtick">{x:g}s</text>')
        x += step
    for name, at in marks:
        out.append(
            f'<line x1="{sx(at):.1f}" x2="{sx(at):.1f}" y1="{TOP}" y2="{TOP + ph}" class="phase"/>'
        )
        out.append(
            f'<text x="{sx(at) + 3:.1f}" y="{TOP + 10}" class="phasename">'
            f"{html.escape(name)}</text>"
        )
    for i, (label, colour, pts) in enumerate(series):
        path = " ".join(f"{sx(px):.1f},{sy(py):.1f}" for px, py in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.6"/>')
        lx = LEFT + 10 + i * 150
        out.append(f'<rect x="{lx}" y="{H - 14}" width="12" height="4" fill="{colour}"/>')
        out.append(f'<text x="{lx + 16}" y="{H - 9}" class="legend">{html.escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _per_second(timings: list[Timing], t0: float) -> dict[int, list[Timing]]:
    buckets: dict[int, list[Timing]] = defaultdict(list)
    for row in timings:
        buckets[int(row[0] - t0)].append(row)
    return buckets


STYLE = """
body{font:14px system-ui,sans-serif;margin:24px;color:#222}
pre{background:#f6f6f6;padding:12px;white-space:pre-wrap}
.title{font-weight:600;font-size:14px}.grid{stroke:#e3e3e3}.phase{stroke:#999;stroke-dasharray:4 3}
.ytick{text-anchor:end;font-size:11px;fill:#555}.xtick{text-anchor:middle;font-size:11px;fill:#555}
.unit,.legend,.phasename{font-size:11px;fill:#444}
"""


def write_chart(
    path: Path, title: str, timings: list[Timing], phases: list[tuple[str, float]], summary: str
) -> None:
    """Write the chart page: latency quantiles and throughput per second, phase starts marked."""
    t0 = min([t for t, *_ in timings] + [at for _, at in phases], default=0.0)
    buckets = _per_second(timings, t0)
    seconds = range(max(buckets, default=0) + 1)
    x_max = float(max(seconds, default=1) + 1)

    def quant(q: float, name: str | None = None) -> list[tuple[float, float]]:
        pts = []
        for s in seconds:
            values = [ms for _, n, _, ms in buckets.get(s, []) if name is None or n == name]
            if values:
                pts.append((s + 0.5, _quantile(values, q)))
        return pts

    def rate(keep: object) -> list[tuple[float, float]]:
        return [(s + 0.5, float(sum(1 for r in buckets.get(s, []) if keep(r)))) for s in seconds]  # type: ignore[operator]

    latency = _svg(
        "Latency (time to first byte), per second",
        "ms",
        [
            ("all p50", "#2b8a3e", quant(0.50)),
            ("all p95", "#e67700", quant(0.95)),
            ("all p99", "#c92a2a", quant(0.99)),
            ("cast_vote p99", "#5f3dc4", quant(0.99, "cast_vote")),
        ],
        x_max,
        [(n, at - t0) for n, at in phases],
    )
    throughput = _svg(
        "Throughput, per second",
        "per s",
        [
            ("responses/s", "#1971c2", rate(lambda r: True)),
            ("sign-ups/s", "#2b8a3e", rate(lambda r: r[1] == "cognito_signup")),
            ("votes accepted/s", "#c2255c", rate(lambda r: r[1] == "cast_vote" and r[2] == 201)),
            ("non-2xx/s", "#000000", rate(lambda r: r[2] >= 300)),
        ],
        x_max,
        [(n, at - t0) for n, at in phases],
    )
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
        f"{latency}\n{throughput}\n<pre>{html.escape(summary)}</pre></body></html>\n"
    )
    path.write_text(page, encoding="utf-8")
