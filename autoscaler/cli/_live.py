"""The compact live view of ``autoscaler run``: one line per group, the last decisions.

Rendered with rich on a terminal; with no terminal (a container, a pipe) the logs
carry the same information and this view stays off.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime

from rich.console import Group
from rich.table import Table
from rich.text import Text

from autoscaler.controller.tick import TickReport
from autoscaler.metrics import SampleStatus

__all__ = ["LiveView"]


class LiveView:
    """A report sink that keeps what the live view shows."""

    def __init__(self, *, history: int = 8, load_at: Callable[[datetime], float] | None = None) -> None:
        self.load_at = load_at  # the synthetic workload's offered load, when there is one
        self._last: dict[str, TickReport] = {}
        self._decisions: deque[str] = deque(maxlen=history)

    def __call__(self, report: TickReport) -> None:
        self._last[report.group_id] = report
        if report.decision.target is not None or report.decision.execution is not None:
            when = report.now.strftime("%H:%M:%S")
            self._decisions.append(f"{when} {report.group_id}: {report.decision.summary} "
                                   f"[{report.outcome.result.value}]")

    def render(self) -> Group:
        table = Table(title="autoscaler", expand=False)
        for column in ("group", "load", "metric", "serving", "warming", "total", "min..max", "last decision"):
            table.add_column(column)
        for gid, report in sorted(self._last.items()):
            cap = report.view.capacity
            metric = ", ".join(
                f"{ref.key}={s.value:.1f}" for ref, s in report.samples.items()
                if s.status is SampleStatus.OK and s.value is not None
            ) or "-"
            load = f"{self.load_at(report.now):.0f}" if self.load_at is not None else "-"
            table.add_row(report.view.group.scaling_group_name or gid, load, metric, str(cap.serving), str(cap.warming),
                          str(cap.total), f"{cap.min_size}..{cap.max_size}", report.decision.summary[:60])
        lines = Text("\n".join(self._decisions) or "no decision yet", style="dim")
        return Group(table, Text("recent decisions:", style="bold"), lines)
