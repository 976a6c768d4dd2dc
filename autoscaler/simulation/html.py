"""The ``--report`` page: one self-contained HTML file with inline SVG charts.

What it shows, for a replay of any length:

- capacity over time: the demand in instances at 100 % (``demand / C``) and at the
  target (``demand / (C * target)``), the serving and the total capacity, and every
  decision that wanted a change as a marker coloured by its outcome (executed,
  suppressed by a gate, busy, no change, failed) whose hover title is its reason;
- utilisation over time (mean and peak per pixel column) against the target;
- the summary table (the replay and, with ``--baselines``, the baselines).

Why SVG rendered here: the page must open without a network (no script or font
from a CDN) and stay small for 90,000 minutes, so the series are reduced to at most
``columns`` points (the envelope that matters: peak demand and total, lowest
serving, per column) and decisions beyond ``max_markers`` are thinned, executed
ones kept first.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from autoscaler.simulation.replay import DecisionRecord, ReplayResult

__all__ = ["COLOURS", "nice_ceiling", "render_report"]

FloatArray = npt.NDArray[np.float64]
WIDTH, LEFT, RIGHT = 1320, 64, 16
PLOT = WIDTH - LEFT - RIGHT
COLOURS = {
    "need": "#9ecae1", "demand": "#08519c", "total": "#f16913", "serving": "#238b45",
    "util": "#6a51a3", "util_peak": "#cbc9e2", "target": "#e41a1c",
    "executed": "#111111", "suppressed": "#969696", "busy": "#c51b7d", "no_change": "#74add1",
    "failed": "#d7191c", "shadow": "#542788",
}
STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 6px} p.meta{color:#555;margin:0 0 12px}
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}
th{background:#f0f0f0} td:first-child,th:first-child{text-align:left}
.legend span{display:inline-block;margin-right:16px;font-size:13px}
.legend i{display:inline-block;width:14px;height:10px;margin-right:5px;vertical-align:middle}
svg text{font-size:11px;fill:#444} svg .grid{stroke:#e5e5e5}
"""


def _columns(values: FloatArray, columns: int, how: str) -> FloatArray:
    """Reduce a series to ``columns`` buckets (max, min or mean per bucket)."""
    n = values.size
    if n <= columns:
        return values.astype(np.float64)
    edges = np.linspace(0, n, columns + 1).astype(np.int64)
    reducer = {"max": np.maximum, "min": np.minimum}.get(how)
    if reducer is not None:
        return reducer.reduceat(values.astype(np.float64), edges[:-1])
    sums = np.add.reduceat(values.astype(np.float64), edges[:-1])
    return sums / np.diff(edges)


def _points(ys: FloatArray, y0: float, height: float, top: float) -> str:
    xs = LEFT + PLOT * (np.arange(ys.size) + 0.5) / max(1, ys.size)
    scaled = top + height - height * np.clip(ys / y0, 0, 1.05)
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs.tolist(), scaled.tolist(), strict=True))


def nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8 times a power of ten) >= ``value``."""
    if value <= 0:
        return 1.0
    power = 10.0 ** np.floor(np.log10(value))
    return float(next(m * power for m in (1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10) if m * power >= value - 1e-12))


def _axis(top: float, height: float, y_max: float, unit: str, result: ReplayResult) -> list[str]:
    parts = []
    for k in range(5):
        value = y_max * k / 4
        y = top + height - height * k / 4
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:g}{unit}</text>')
    first, last = int(result.timestamps[0]), int(result.timestamps[-1])
    for k in range(7):
        at = first + (last - first) * k / 6
        x = LEFT + PLOT * k / 6
        label = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M")
        anchor = "start" if k == 0 else "end" if k == 6 else "middle"
        parts.append(f'<text x="{x:.1f}" y="{top + height + 14:.1f}" text-anchor="{anchor}">{label}</text>')
    return parts


def _spread(items: list[DecisionRecord], room: int) -> list[DecisionRecord]:
    """At most ``room`` of ``items``, evenly spaced."""
    if room <= 0:
        return []
    if len(items) <= room:
        return items
    picks = np.linspace(0, len(items) - 1, room).round().astype(np.int64)
    return [items[i] for i in dict.fromkeys(picks.tolist())]


def _markers(decisions: tuple[DecisionRecord, ...], minutes: int, y_max: float, top: float, height: float,
             max_markers: int) -> tuple[list[str], int]:
    chosen = list(decisions)
    if len(chosen) > max_markers:
        # Thin evenly over time, executed decisions first: every stretch keeps its markers.
        executed = _spread([d for d in chosen if d.result == "executed"], max_markers)
        others = _spread([d for d in chosen if d.result != "executed"], max_markers - len(executed))
        chosen = sorted(executed + others, key=lambda d: d.minute)
    parts = []
    for d in chosen:
        x = LEFT + PLOT * (d.minute + 0.5) / max(1, minutes)
        level = d.target if d.target is not None else d.total
        y = top + height - height * min(1.05, level / y_max)
        colour = COLOURS.get(d.result, "#000")
        when = datetime.fromtimestamp(d.timestamp, UTC).strftime("%Y-%m-%d %H:%M")
        title = html.escape(f"{when} UTC, minute {d.minute}: {d.result}: {d.reason}")
        shape = "M{x:.1f},{y0:.1f}l-3.5,6h7z" if d.direction == "out" else "M{x:.1f},{y0:.1f}l-3.5,-6h7z"
        path = shape.format(x=x, y0=y - (3 if d.direction == "out" else -3))
        parts.append(f'<path d="{path}" fill="{colour}" stroke="#fff" stroke-width="0.5"><title>{title}</title></path>')
    return parts, len(decisions) - len(chosen)


def _capacity_chart(result: ReplayResult, columns: int, max_markers: int) -> tuple[str, int]:
    top, height = 12.0, 330.0
    c, target = result.capacity, result.settings.target
    need = _columns(result.demand / (c * target), columns, "max")
    demand = _columns(result.demand / c, columns, "max")
    total = _columns(result.total.astype(np.float64), columns, "max")
    serving = _columns(result.serving.astype(np.float64), columns, "min")
    y_max = nice_ceiling(max(1.0, float(max(need.max(), total.max()))))
    parts = _axis(top, height, y_max, "", result)
    base = f"{LEFT},{top + height} "
    parts.append(f'<polygon points="{base}{_points(need, y_max, height, top)} {WIDTH - RIGHT},{top + height}" '
                 f'fill="{COLOURS["need"]}" fill-opacity="0.55"/>')
    for name, series, width in (("demand", demand, 1.2), ("total", total, 1.6), ("serving", serving, 1.6)):
        parts.append(f'<polyline points="{_points(series, y_max, height, top)}" fill="none" '
                     f'stroke="{COLOURS[name]}" stroke-width="{width}"/>')
    markers, hidden = _markers(result.decisions, result.minutes, y_max, top, height, max_markers)
    parts.extend(markers)
    svg = (f'<svg id="capacity" width="{WIDTH}" height="{top + height + 24:.0f}" '
           f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>')
    return svg, hidden


def _utilisation_chart(result: ReplayResult, columns: int) -> str:
    top, height = 12.0, 170.0
    mean = _columns(result.utilization, columns, "mean")
    peak = _columns(result.utilization, columns, "max")
    parts = _axis(top, height, 100.0, " %", result)
    target_y = top + height - height * result.settings.target
    parts.append(f'<polyline points="{_points(100 * peak, 100.0, height, top)}" fill="none" '
                 f'stroke="{COLOURS["util_peak"]}" stroke-width="1"/>')
    parts.append(f'<polyline points="{_points(100 * mean, 100.0, height, top)}" fill="none" '
                 f'stroke="{COLOURS["util"]}" stroke-width="1.4"/>')
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{target_y:.1f}" y2="{target_y:.1f}" '
                 f'stroke="{COLOURS["target"]}" stroke-dasharray="6,4" stroke-width="1.4"/>')
    return (f'<svg id="utilisation" width="{WIDTH}" height="{top + height + 24:.0f}" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>')


def _legend(items: list[tuple[str, str]]) -> str:
    spans = "".join(f'<span><i style="background:{COLOURS[key]}"></i>{html.escape(text)}</span>' for key, text in items)
    return f'<div class="legend">{spans}</div>'


def _table(doc: dict[str, Any]) -> str:
    head = ("policy", "cost (instance-min)", "cost_vs_oracle", "overload min", "overload_pct", "scaling activities")
    rows = [(f"{doc['policy']} (replay)", doc)]
    rows += [(f"{name} (baseline)", figures) for name, figures in (doc.get("baselines") or {}).items()]
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in (
            name, f["cost"], f"{f['cost_vs_oracle']:.3f}", f["overload_minutes"], f"{f['overload_pct']:.2f}",
            f["scaling_activities"])) + "</tr>"
        for name, f in rows
    )
    header = "".join(f"<th>{h}</th>" for h in head)
    note = ""
    if any(not f.get("comparable", True) for f in (doc.get("baselines") or {}).values()):
        note = ("<p class=\"meta\">The baselines use C = p99 / 40 (the BENCHMARKS model), not the replay's "
                "--capacity-per-instance: their figures are not comparable.</p>")
    return f'<table id="summary"><tr>{header}</tr>{body}</table>{note}'


def render_report(result: ReplayResult, doc: dict[str, Any], *, columns: int = 1200, max_markers: int = 1500) -> str:
    """The whole page as one string (``doc`` is :func:`autoscaler.simulation.report.summary`)."""
    capacity_svg, hidden = _capacity_chart(result, columns, max_markers)
    cfg = result.settings
    meta = (f"{result.minutes} minutes from {datetime.fromtimestamp(int(result.timestamps[0]), UTC):%Y-%m-%d %H:%M} "
            f"UTC; C = {result.capacity:.6g} per instance; target {100 * cfg.target:g} %; boot {cfg.boot_seconds} s; "
            f"MinSize {cfg.min_size}, MaxSize {cfg.max_size}; oracle cost {doc['oracle_cost']} instance-minutes.")
    thinned = f" {hidden} more decisions are not drawn (see --json)." if hidden else ""
    legend1 = _legend([("need", "demand at target (instances)"), ("demand", "demand at 100 %"),
                       ("total", "total capacity"), ("serving", "serving"), ("executed", "executed"),
                       ("suppressed", "suppressed (cooldown, activity)"), ("busy", "busy"), ("failed", "failed")])
    legend2 = _legend([("util", "utilisation (mean per column)"), ("util_peak", "peak"), ("target", "target")])
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>autoscaler simulate: {html.escape(result.name)}</title><style>{STYLE}</style></head><body>"
        f"<h1>Replay of {html.escape(result.name)} with {html.escape(result.policy)}</h1>"
        f"<p class=\"meta\">{html.escape(meta)}</p>"
        f"<h2>Summary</h2>{_table(doc)}"
        f"<h2>Capacity (instances) and decisions</h2>{legend1}"
        f"<p class=\"meta\">Markers: a decision that wanted a change (▲ out, ▼ in) at its target; hover for the "
        f"reason.{html.escape(thinned)}</p>{capacity_svg}"
        f"<h2>Utilisation of the serving instances</h2>{legend2}{_utilisation_chart(result, columns)}"
        "</body></html>\n"
    )
