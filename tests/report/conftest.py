"""Report fixtures: a recorded drill with its audit trail in a fresh SQLite state database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drctl.report.evidence import Evidence
from drctl.report.history import StoredRuns
from drctl.report.sources import load_evidence
from drctl.runbook.run import Run
from drctl.settings import Settings

from .drill import drill_run, record_trail


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / ".drctl")


@pytest.fixture
def run(tmp_path: Path, settings: Settings) -> Iterator[Run]:
    recorded = drill_run(tmp_path)
    record_trail(settings).dispose()
    yield recorded


@pytest.fixture
def evidence(run: Run, settings: Settings) -> Evidence:
    return load_evidence(StoredRuns([run]), run.id, settings=settings, cloudtrail=False)
