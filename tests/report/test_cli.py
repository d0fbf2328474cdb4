"""End to end: a runbook of shell steps runs through the engine, then `drctl report` and `drctl drills`."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import html5lib
import pytest

from drctl import engine
from drctl.audit.subscriber import AuditSubscriber
from drctl.cli import main
from drctl.plan.load import load_plan
from drctl.probes.measure import Ack, Sample, measure_rpo, measure_rto
from drctl.runbook.io import parse_runbook
from drctl.runbook.run import Measurement, Run
from drctl.settings import Settings

from .test_calendar import EXAMPLES, _parse_ics

RUNBOOK = """\
apiVersion: drctl/v1
kind: Runbook
name: my-app-drill
scenario: drill
plan: my-app
description: "Drill in the test region. Strategy warm-standby: a → b."
steps:
  - {id: detect, title: Detect, action: shell, params: {command: "true"}}
  - {id: promote, title: Promote the database, action: shell, needs: [detect],
     params: {command: "sleep 0.3"}}
  - {id: scale, title: Scale DR EKS, action: shell, needs: [detect], params: {command: "sleep 0.2"}}
  - {id: switch, title: Switch traffic, action: shell, needs: [promote, scale],
     params: {command: "true"}}
"""


@pytest.fixture
def env_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """State under this test's directory, for the library and the CLI alike."""
    monkeypatch.setenv("DRCTL_HOME", str(tmp_path / ".drctl"))
    monkeypatch.setenv("DRCTL_EXECUTOR_ID", "report-test")
    monkeypatch.delenv("DRCTL_DATABASE_URL", raising=False)
    yield Settings()
    engine.shutdown()


def _measure(run: Run, folder: Path, settings: Settings) -> None:
    """Probe-like samples around the run, measured and recorded the way the integrator does."""
    assert run.started_at is not None
    failure_at = run.started_at + timedelta(seconds=0.2)
    samples = [
        Sample(time=run.started_at + timedelta(seconds=i / 10), ok=not 3 <= i < 9)
        for i in range(-5, 15)
    ]
    acks = [
        Ack(seq=n, time=run.started_at + timedelta(seconds=n / 20), target="old") for n in range(8)
    ]
    surviving = {0, 1, 2, 3, 4}
    rto, rpo = measure_rto(samples, failure_at, 3), measure_rpo(acks, surviving, failure_at, "old")
    folder.mkdir()
    (folder / "a.jsonl").write_text("".join(s.model_dump_json() + "\n" for s in samples))
    (folder / "a.jsonl.result.json").write_text(rto.model_dump_json())
    (folder / "c.jsonl").write_text("".join(a.model_dump_json() + "\n" for a in acks))
    (folder / "c.jsonl.surviving.json").write_text(json.dumps(sorted(surviving)))
    for name, value, target, ref, detail in (
        ("rto", rto.rto, timedelta(minutes=30), "a.jsonl", "sustained success"),
        (
            "rpo",
            rpo.rpo,
            timedelta(minutes=5),
            "c.jsonl",
            f"{len(rpo.lost)} acknowledged writes lost",
        ),
    ):
        assert value is not None
        measurement = Measurement(
            name=name,
            value=value,
            target=target,
            passed=value <= target,
            detail=detail,
            samples_ref=str(folder / ref),
        )
        engine.record_measurement(run.id, measurement, settings=settings)


@pytest.fixture
def finished_run(env_settings: Settings, tmp_path: Path) -> Run:
    audit = AuditSubscriber(env_settings)
    run_id = engine.start_run(
        parse_runbook(RUNBOOK),
        settings=env_settings,
        actor="alice",
        subscribers=[audit],
        plan=load_plan(EXAMPLES / "seed-estate.yaml"),
        accept_edited="shell stand-in for the compiled drill (test)",
    )
    run = engine.wait(run_id, 60, settings=env_settings)
    assert run.status == "succeeded", run.steps
    _measure(run, tmp_path / "samples", env_settings)
    audit.log.dispose()
    return engine.status(run_id, settings=env_settings)


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


@pytest.mark.slow
def test_report_of_an_engine_run_states_exactly_the_stored_figures(
    finished_run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "reports"
    code, out, err = _cli(
        capsys, "report", finished_run.id, "-o", str(out_dir), "--no-cloudtrail", "--json"
    )
    assert code == 0, err
    body = json.loads(out)
    stored = {m.name: m for m in finished_run.measurements}
    stem = out_dir / finished_run.id
    written = json.loads((stem.with_name(stem.name + ".json")).read_text())
    for objective in written["objectives"]:
        measured = timedelta(seconds=_iso_seconds(objective["measured"]))
        assert measured == stored[objective["name"]].value
    assert written["lost_writes"] == 3
    assert sorted(body["files"]) == sorted(str(p) for p in out_dir.iterdir())
    page = (stem.with_name(stem.name + ".html")).read_text()
    html5lib.HTMLParser(strict=True).parse(page)
    rto = stored["rto"].value
    assert rto is not None and f"{rto.total_seconds():.1f} s" in page
    assert written["chain"]["run_events"] > 0
    suite = ET.parse(stem.with_name(stem.name + ".junit.xml")).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == str(len(finished_run.steps) + 2)


@pytest.mark.slow
def test_drills_reports_overdue_scenarios_and_exits_1(
    finished_run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    today = datetime.now(UTC).date()
    plan = str(EXAMPLES / "seed-estate.yaml")
    code, out, _ = _cli(capsys, "drills", plan, "--as-of", today.isoformat(), "--json")
    assert code == 1
    drills = {d["scenario"]: d for d in json.loads(out)["drills"]}
    assert drills["drill"]["overdue"] is False
    assert drills["drill"]["last_run"]["run_id"] == finished_run.id
    assert drills["drill"]["next_due"] == (today + timedelta(days=365)).isoformat()
    assert drills["region-failure"]["overdue"] is True
    code, out, _ = _cli(capsys, "drills", plan, "--as-of", today.isoformat(), "--format", "ics")
    assert code == 1
    assert len(_parse_ics(out)) == 4
    code, out, _ = _cli(capsys, "drills", plan, "--as-of", today.isoformat())
    assert code == 1 and "OVERDUE" in out


def test_bad_inputs_exit_2_with_a_hint(
    env_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _cli(capsys, "drills", "--as-of", "next tuesday")
    assert code == 2 and "--as-of 'next tuesday' is not a date" in err
    code, _, err = _cli(capsys, "report", "some-run", "--format", "pdf")
    assert code == 2 and "unknown report format `pdf`" in err
    code, _, err = _cli(capsys, "report", "no-such-run", "--no-cloudtrail")
    assert code == 2 and "no run `no-such-run`" in err


def _iso_seconds(text: str) -> float:
    """Seconds of a pydantic ISO 8601 duration such as `PT0.6S` or `PT1M2.5S`."""
    assert text.startswith("PT")
    total, number = 0.0, ""
    for char in text[2:]:
        if char.isdigit() or char == ".":
            number += char
        else:
            total += float(number) * {"H": 3600, "M": 60, "S": 1}[char]
            number = ""
    return total
