"""Where reports and the drill program read runs from: the engine's façade, behind a protocol."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from drctl.errors import DrctlError
from drctl.runbook.run import Run
from drctl.settings import Settings

# The drill program looks at the whole history, not the engine's default page of 50.
_HISTORY_LIMIT = 100_000


class RunSource(Protocol):
    """Reads stored runs (the engine in production; a list of `Run`s in tests)."""

    def status(self, run_id: str) -> Run:
        """The run called `run_id`; a `DrctlError` when there is none."""
        ...

    def list_runs(self) -> list[Run]:
        """Every stored run."""
        ...


class EngineRuns:
    """Runs journaled by the engine in the state database of `settings`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def status(self, run_id: str) -> Run:
        from drctl import engine  # imported on use: it brings in the durable-execution library

        return engine.status(run_id, settings=self.settings)

    def list_runs(self) -> list[Run]:
        from drctl import engine

        return engine.list_runs(settings=self.settings, limit=_HISTORY_LIMIT)


class StoredRuns:
    """A fixed set of runs (tests, and callers that already hold the runs)."""

    def __init__(self, runs: Iterable[Run]) -> None:
        self.runs = list(runs)

    def status(self, run_id: str) -> Run:
        for run in self.runs:
            if run.id == run_id:
                return run
        raise DrctlError(f"no run `{run_id}`", hint="list runs with `drctl runs list`")

    def list_runs(self) -> list[Run]:
        return list(self.runs)
