"""The live view of a run: a subscriber that redraws waves and steps as events arrive.

On a terminal it keeps a rich table up to date; when piped it prints one plain line per
event, so logs and CI output stay readable.
"""

from __future__ import annotations

import threading

from rich.console import Console
from rich.live import Live
from rich.table import Table

from drctl.engine.events import RunEvent
from drctl.runbook.model import Runbook

_STYLE = {
    "pending": "dim",
    "running": "cyan",
    "waiting-approval": "yellow",
    "succeeded": "green",
    "failed": "red",
    "timed-out": "red",
    "skipped": "magenta",
    "cancelled": "magenta",
}
_STATUS_OF = {
    "step.started": "running",
    "step.succeeded": "succeeded",
    "step.failed": "failed",
    "step.timed_out": "timed-out",
    "step.skipped": "skipped",
    "step.retried": "running",
    "approval.requested": "waiting-approval",
}


class ProgressView:
    """Follows one run's events; use as a context manager around the wait."""

    def __init__(self, runbook: Runbook, console: Console) -> None:
        self.runbook = runbook
        self.console = console
        self.status = {s.id: "pending" for s in runbook.steps}
        self.notes: dict[str, str] = {}
        self._lock = threading.Lock()
        self._live: Live | None = None

    def __enter__(self) -> ProgressView:
        if self.console.is_terminal:
            self._live = Live(self.table(), console=self.console, refresh_per_second=8)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.update(self.table())
            self._live.__exit__(None, None, None)
            self._live = None

    def __call__(self, event: RunEvent) -> None:
        with self._lock:
            if event.step_id in self.status and event.kind in _STATUS_OF:
                self.status[event.step_id] = _STATUS_OF[event.kind]
                self.notes[event.step_id] = _note(event)
            if self._live is not None:
                self._live.update(self.table())
            else:
                self.console.print(_line(event), markup=False)

    def table(self) -> Table:
        """Waves and steps with their current status."""
        table = Table(title=self.runbook.name, show_lines=False)
        for column in ("wave", "step", "status", "note"):
            table.add_column(column)
        for n, wave in enumerate(self.runbook.waves(), start=1):
            for step in wave:
                state = self.status[step.id]
                table.add_row(
                    str(n), step.id, f"[{_STYLE[state]}]{state}[/]", self.notes.get(step.id, "")
                )
        return table


def _note(event: RunEvent) -> str:
    data = event.data
    if event.kind == "step.retried":
        return f"retry after attempt {data.get('attempt')}: {data.get('error')}"
    if event.kind in ("step.failed", "step.timed_out"):
        error = data.get("error")
        return str(error.get("message") if isinstance(error, dict) else error or "")
    if event.kind == "step.skipped":
        return str(data.get("reason", ""))
    if event.kind == "approval.requested":
        return f"waiting for {data.get('required')} approval(s): drctl approve {event.run_id} {event.step_id} --as NAME"
    return str(data.get("describe") or data.get("detail") or "")


def _line(event: RunEvent) -> str:
    where = f" {event.step_id}" if event.step_id else ""
    note = _note(event)
    return f"{event.time:%H:%M:%S} {event.kind}{where}" + (f": {note}" if note else "")
