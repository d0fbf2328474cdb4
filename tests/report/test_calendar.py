"""The drill program: due dates, overdue judgement, trend and the iCalendar export."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from drctl.plan.load import load_plan
from drctl.report.calendar import Schedule, drill_program, schedules_for
from drctl.report.formats import sparkline
from drctl.report.ics import render_ics
from drctl.runbook.run import Measurement, Provenance, Run, RunStatus

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(
    run_id: str,
    day: str,
    *,
    scenario: str = "drill",
    status: RunStatus = "succeeded",
    plan: str = "shop",
    dry_run: bool = False,
    rto: float | None = None,
) -> Run:
    start = datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)
    measured = [Measurement(name="rto", value=timedelta(seconds=rto))] if rto is not None else []
    return Run(
        id=run_id,
        runbook=f"{plan}-{scenario}",
        scenario=scenario,
        plan=plan,
        plan_hash="p" * 64,
        runbook_hash="0" * 64,
        status=status,
        started_at=start,
        ended_at=start + timedelta(minutes=40),
        dry_run=dry_run,
        measurements=measured,
    )


QUARTERLY = Schedule(plan="shop", every={"drill": timedelta(days=90)})


@pytest.mark.parametrize(
    ("runs", "as_of", "next_due", "overdue"),
    [
        ([], "2026-01-01", None, True),  # never run: due now
        ([("r1", "2026-01-10", "succeeded")], "2026-04-10", "2026-04-10", False),  # due today
        ([("r1", "2026-01-10", "succeeded")], "2026-04-11", "2026-04-10", True),  # a day late
        ([("r1", "2026-01-10", "succeeded")], "2026-02-01", "2026-04-10", False),
        (  # a failed run does not reset the clock
            [("r1", "2026-01-10", "succeeded"), ("r2", "2026-04-01", "failed")],
            "2026-04-20",
            "2026-04-10",
            True,
        ),
        ([("r1", "2026-01-10", "failed")], "2026-01-11", None, True),  # never succeeded
        (  # the newest success counts, whatever order the history comes in
            [("r2", "2026-03-01", "succeeded"), ("r1", "2026-01-10", "succeeded")],
            "2026-05-01",
            "2026-05-30",
            False,
        ),
        ([("r1", "2026-01-10", "cancelled")], "2026-01-11", None, True),
    ],
)
def test_due_date_and_overdue_on_a_fixed_day(
    runs: list[tuple[str, str, RunStatus]], as_of: str, next_due: str | None, overdue: bool
) -> None:
    history = [_run(i, d, status=s) for i, d, s in runs]
    (status,) = drill_program([QUARTERLY], history, date.fromisoformat(as_of))
    assert status.next_due == (date.fromisoformat(next_due) if next_due else None)
    assert status.overdue is overdue


@pytest.mark.parametrize(
    ("run", "counts"),
    [
        (_run("dry", "2026-03-01", dry_run=True), False),
        (_run("other-plan", "2026-03-01", plan="billing"), False),
        (_run("other-scenario", "2026-03-01", scenario="failback"), False),
        (_run("unfinished", "2026-03-01", status="running"), False),
        (_run("real", "2026-03-01"), True),
    ],
)
def test_only_finished_real_runs_of_the_plan_and_scenario_count(run: Run, counts: bool) -> None:
    (status,) = drill_program([QUARTERLY], [run], date(2026, 3, 2))
    assert (status.last_run is not None) is counts
    assert status.overdue is not counts


def _from(source: str, plan_hash: str | None = "p" * 64, accepted: str = "") -> Provenance:
    return Provenance.model_validate(
        {
            "plan_hash": plan_hash,
            "runbook_hash": "0" * 64,
            "source": source,
            "accepted_reason": accepted,
        }
    )


@pytest.mark.parametrize(
    ("provenance", "reason"),
    [
        (_from("compiled"), ""),
        (_from("edited"), "its runbook was edited after compiling and not accepted"),
        (_from("edited", accepted="added a manual check, reviewed by CAB-12"), ""),
        (_from("no-plan", None), "its runbook was not compiled from a plan"),
        (_from("compiled", "q" * 64), "its plan has changed since"),
    ],
)
def test_a_drill_counts_only_when_compiled_from_the_current_plan_or_accepted(
    provenance: Provenance, reason: str
) -> None:
    run = _run("r", "2026-03-01").model_copy(update={"provenance": provenance})
    schedule = QUARTERLY.model_copy(update={"plan_hash": "p" * 64})
    (status,) = drill_program([schedule], [run], date(2026, 3, 2))
    assert status.last_run is not None and status.last_run.not_counted.startswith(reason)
    assert (status.last_success_at is None) is bool(reason)


def test_a_real_region_failure_counts_as_exercising_that_scenario() -> None:
    schedule = Schedule(plan="shop", every={"region-failure": timedelta(days=365)})
    incident = _run("incident-42", "2026-02-14", scenario="region-failure", rto=840)
    (status,) = drill_program([schedule], [incident], date(2026, 12, 1))
    assert status.last_run is not None and status.last_run.run_id == "incident-42"
    assert status.next_due == date(2027, 2, 14)
    assert status.last_run.rto == timedelta(seconds=840)


def test_the_seed_plan_schedules_every_enabled_scenario_yearly() -> None:
    plan = load_plan(EXAMPLES / "seed-estate.yaml")
    (schedule,) = schedules_for([plan], [])
    enabled = {str(s) for s, p in plan.scenarios.items() if p.enabled}
    assert set(schedule.every) == enabled
    assert all(every <= timedelta(days=365) for every in schedule.every.values())


def test_without_plans_every_plan_in_the_history_is_held_to_the_yearly_rule() -> None:
    schedules = schedules_for([], [_run("a", "2026-01-01", plan="shop"), _run("b", "2026-01-01")])
    assert [(s.plan, sorted(s.every)) for s in schedules] == [
        ("shop", ["az-failure", "drill", "failback", "region-failure"])
    ]


def test_trend_lists_measured_rto_across_drills_oldest_first() -> None:
    history = [
        _run("r3", "2026-03-01", rto=300),
        _run("r1", "2026-01-01", rto=900),
        _run("r2", "2026-02-01", status="failed"),
    ]
    (status,) = drill_program([QUARTERLY], history, date(2026, 3, 2))
    assert [(p.run_id, p.rto) for p in status.trend] == [
        ("r1", timedelta(seconds=900)),
        ("r2", None),
        ("r3", timedelta(seconds=300)),
    ]
    assert sparkline([p.rto for p in status.trend]) == "█·▁"


def _parse_ics(text: str) -> list[dict[str, str]]:
    """A strict reader: CRLF lines, ≤75 octets, unfolded, nested BEGIN/END, VEVENT properties."""
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    raw = text.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in raw)
    lines: list[str] = []
    for line in raw:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    stack: list[str] = []
    events: list[dict[str, str]] = []
    for line in lines:
        name, _, value = line.partition(":")
        if name == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                events.append({})
        elif name == "END":
            assert stack.pop() == value
        elif stack[-1] == "VEVENT":
            events[-1][name] = value
    assert stack == [] and lines[0] == "BEGIN:VCALENDAR" and "VERSION:2.0" in lines
    return events


def test_ics_parses_back_with_stable_uids_and_overdue_drills_on_the_day() -> None:
    schedule = Schedule(
        plan="shop", every={"drill": timedelta(days=90), "failback": timedelta(days=365)}
    )
    history = [_run("r1", "2026-01-10", rto=12.5)]
    program = drill_program([schedule], history, date(2026, 2, 1))
    events = _parse_ics(render_ics(program, date(2026, 2, 1)))
    by_uid = {e["UID"]: e for e in events}
    drill, failback = (
        by_uid["drctl-drill-shop-drill@drctl"],
        by_uid["drctl-drill-shop-failback@drctl"],
    )
    assert (drill["DTSTART;VALUE=DATE"], drill["DTEND;VALUE=DATE"]) == ("20260410", "20260411")
    assert drill["SUMMARY"] == "DR drill due: shop drill"
    assert "Measured RTO 12.5 s\\, RPO —." in drill["DESCRIPTION"]
    assert failback["DTSTART;VALUE=DATE"] == "20260201"
    assert failback["SUMMARY"] == "OVERDUE: DR drill due: shop failback"
    again = _parse_ics(render_ics(program, date(2026, 2, 1)))
    assert [e["UID"] for e in again] == [e["UID"] for e in events]


def test_long_japanese_text_folds_without_splitting_a_character_and_reads_back() -> None:
    schedule = Schedule(plan="訓練" * 30, every={"drill": timedelta(days=90)})
    text = render_ics(drill_program([schedule], [], date(2026, 2, 1)), date(2026, 2, 1))
    (event,) = _parse_ics(text)  # the strict reader checks ≤ 75 octets per line
    assert event["SUMMARY"] == "OVERDUE: DR drill due: " + "訓練" * 30 + " drill"
    (parsed,) = Calendar.from_ical(text).walk("VEVENT")
    assert str(parsed["SUMMARY"]).endswith("訓練 drill")
