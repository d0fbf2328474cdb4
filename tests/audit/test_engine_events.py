"""A real engine run with `AuditSubscriber` attached: its events form a valid chain and its record is exported."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from drctl import engine
from drctl.audit.collect import ExportRequest, export_run
from drctl.audit.subscriber import AuditSubscriber
from drctl.audit.verify import verify_chain
from drctl.runbook.model import Runbook, Step
from drctl.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    yield Settings(home=tmp_path / ".drctl", database_url="", executor_id="audit-test")
    engine.shutdown()


@pytest.mark.slow
def test_engine_run_is_recorded_in_the_chain_and_exported_with_its_run_record(
    settings: Settings, tmp_path: Path
) -> None:
    runbook = Runbook(name="audit-drill", steps=[
        Step(id="one", title="first", action="noop"),
        Step(id="two", title="second", action="noop", needs=["one"]),
    ])  # fmt: skip
    subscriber = AuditSubscriber(settings)
    run_id = engine.start_run(runbook, settings=settings, actor="alice", subscribers=[subscriber])
    assert engine.wait(run_id, timeout=60, settings=settings).status == "succeeded"
    events = list(subscriber.log.events(run_id))
    kinds = [e.kind for e in events]
    assert kinds[0] == "run.started" and kinds[-1] == "run.succeeded"
    assert {("step.succeeded", "one"), ("step.succeeded", "two")} <= {
        (e.kind, e.step_id) for e in events
    }
    assert len({e.event_id for e in events}) == len(events)
    assert verify_chain(subscriber.log, run_id).ok

    request = ExportRequest(run_id=run_id, actor="alice", cloudtrail=False)
    manifest = export_run(settings, subscriber.log, request, tmp_path / "evidence.zip")
    with zipfile.ZipFile(tmp_path / "evidence.zip") as bundle:
        record = json.loads(bundle.read("run.json"))
        runbook_text = bundle.read("runbook.yaml").decode()
    assert record["id"] == run_id and record["status"] == "succeeded"
    assert "audit-drill" in runbook_text
    assert manifest.run_events == len(events)
