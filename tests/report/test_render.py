"""Rendered reports state the run's figures, parse strictly, and stay self-contained."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import html5lib
import pytest
import sqlalchemy as sa
import xmlschema

from drctl.errors import DrctlError
from drctl.measure.record import BesideCanary, BesideProbe, Gap, Measured, MeasureState, Phase
from drctl.measure.store import MeasureStore
from drctl.plan.probes import Probes
from drctl.report.evidence import Evidence
from drctl.report.history import StoredRuns
from drctl.report.i18n import Labels, label_keys
from drctl.report.junit import render_junit
from drctl.report.render import (
    parse_formats,
    render_files,
    render_html,
    render_json,
    render_markdown,
)
from drctl.report.sources import load_evidence, measured_of_run
from drctl.runbook.run import StepError
from drctl.settings import Settings

from .drill import drill_run

XSD = Path(__file__).with_name("junit.xsd")


def test_html_is_one_strictly_valid_document_without_scripts_or_fetches(
    evidence: Evidence,
) -> None:
    page = render_html(evidence)
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=|<link|@import|url\(""", page)


def test_html_states_the_measured_objectives_exactly_as_stored(evidence: Evidence) -> None:
    tree = html5lib.parse(render_html(evidence), namespaceHTMLElements=False)
    rows = {
        r.get("data-name"): ["".join(c.itertext()) for c in r]
        for r in tree.iter("tr")
        if r.get("class") == "objective"
    }
    assert rows["rto"][:4] == ["RTO", "30m", "23.4 s", "PASS"]
    assert rows["rpo"][:4] == ["RPO", "5m", "0.6 s", "PASS"]
    lost = next(r for r in tree.iter("tr") if r.get("id") == "lost-writes")
    assert "".join(lost.itertext()).endswith("3")


def test_html_steps_table_shows_times_retries_and_approvers(evidence: Evidence) -> None:
    tree = html5lib.parse(render_html(evidence), namespaceHTMLElements=False)
    rows = {r.get("id"): [" ".join(c.itertext()) for c in r] for r in tree.iter("tr")}
    promote = rows["step-promote-db"]
    assert promote[2:6] == ["10:00:08.500", "10:00:20.300", "11.8 s", "1"]
    gate = rows["step-declare-disaster"]
    assert "alice (approve, 10:00:05.000): primary down" in gate[6]
    assert "bob (approve, 10:00:08.400)" in gate[6]


def test_html_carries_notes_problems_actions_and_hashes(evidence: Evidence) -> None:
    page = render_html(evidence)
    for expected in (
        "DNS TTL was 300s",
        "replica lag alarm missing",
        "fail over (primary down 20m)",
        "add DNS step",
        "a" * 64,
        "b" * 64,
        evidence.chain.head_hash if evidence.chain else "missing",
    ):
        assert expected in page
    assert "lower TTL" not in page  # closed actions are not carried


def test_timeline_draws_a_bar_per_step_and_a_mark_per_person(evidence: Evidence) -> None:
    page = render_html(evidence)
    assert page.count('class="step"><title>') == len(evidence.steps)
    assert page.count('class="human"') == len(evidence.humans)
    assert page.count('class="lost"') == 3


def test_markdown_states_the_same_figures(evidence: Evidence) -> None:
    text = render_markdown(evidence)
    assert "| RTO | 30m | 23.4 s | **PASS** |" in text
    assert "| RPO | 5m | 0.6 s | **PASS** |" in text
    assert "Lost acknowledged writes: **3**" in text
    assert f"![Timeline]({evidence.run_id}-timeline.svg)" in text


def test_json_round_trips_to_the_same_evidence(evidence: Evidence) -> None:
    body = json.loads(render_json(evidence))
    assert body.pop("report_version") == 1
    assert Evidence.model_validate(body) == evidence
    assert body["objectives"][0]["measured"] == "PT23.4S"


def test_junit_validates_against_the_ci_schema_with_a_case_per_step_and_objective(
    evidence: Evidence,
) -> None:
    document = render_junit(evidence)
    xmlschema.XMLSchema(XSD).validate(document)
    suite = ET.fromstring(document).find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(evidence.steps) + 2
    assert suite.get("failures") == "0"
    promote = next(c for c in cases if c.get("name", "").startswith("promote-db"))
    assert promote.get("time") == "11.800"


def test_junit_marks_failed_steps_skipped_steps_and_missed_objectives(
    tmp_path: Path, settings: Settings
) -> None:
    run = drill_run(tmp_path, failing=True)
    run = run.model_copy(update={"measurements": run.measurements[:1]})
    evidence = load_evidence(StoredRuns([run]), run.id, settings=settings, cloudtrail=False)
    document = render_junit(evidence)
    xmlschema.XMLSchema(XSD).validate(document)
    suite = ET.fromstring(document).find("testsuite")
    assert suite is not None
    outcome = {
        c.get("name", "").split(":")[0].split(" ")[0]: [child.tag for child in c]
        for c in suite.findall("testcase")
    }
    assert outcome["switch-dns"] == ["failure"]
    assert outcome["notify"] == ["skipped"]
    assert outcome["RPO"] == ["failure"]
    assert outcome["RTO"] == []
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("8", "2", "1")


def test_japanese_report_uses_japanese_labels(evidence: Evidence) -> None:
    page = render_html(evidence, "ja")
    html5lib.HTMLParser(strict=True).parse(page)
    assert '<html lang="ja">' in page
    for label in ("DR 証跡レポート", "目標値と実測値", "合格", "消失した確定済み書き込み"):
        assert label in page
    assert "Lost acknowledged writes" not in page


def test_every_label_has_distinct_english_and_japanese_text() -> None:
    en, ja = Labels("en"), Labels("ja")
    same = [k for k in label_keys() if en[k] == ja[k] and k != "runbook_hash"]
    assert same == []


def test_secrets_in_step_errors_never_reach_the_report(tmp_path: Path, settings: Settings) -> None:
    run = drill_run(tmp_path, failing=True)
    leaky = StepError(message="login failed: password=hunter2-very-secret", hint="rotate")
    steps = [s.model_copy(update={"error": leaky}) if s.error else s for s in run.steps]
    run = run.model_copy(update={"steps": steps})
    evidence = load_evidence(StoredRuns([run]), run.id, settings=settings, cloudtrail=False)
    for content in render_files(evidence, ["html", "md", "json", "junit"], "en").values():
        assert "hunter2" not in content


def test_markdown_comes_with_its_chart_files(evidence: Evidence) -> None:
    files = render_files(evidence, parse_formats("md,junit"), "en")
    stem = evidence.run_id
    assert sorted(files) == sorted(
        [
            f"{stem}.md",
            f"{stem}-timeline.svg",
            f"{stem}-availability.svg",
            f"{stem}-canary.svg",
            f"{stem}.junit.xml",
        ]
    )
    for name, content in files.items():
        if name.endswith(".svg"):
            ET.fromstring(content)  # each chart is a well-formed SVG document


def test_unknown_format_names_the_choices() -> None:
    with pytest.raises(DrctlError, match="unknown report format `pdf`") as caught:
        parse_formats("html,pdf")
    assert caught.value.hint == "choose from html, md, json, junit"


def test_rendering_an_unknown_format_is_an_error_not_junit(evidence: Evidence) -> None:
    with pytest.raises(DrctlError, match="unknown report format `pdf`"):
        render_files(evidence, ["html", "pdf"], "en")


def test_the_timeline_names_each_row_by_its_step_title_and_never_cuts_a_label(
    evidence: Evidence,
) -> None:
    from drctl.report.charts import gantt_chart, report_axis, text_width
    from drctl.report.i18n import Labels

    axis = report_axis(evidence)
    chart = gantt_chart(evidence, Labels("en"), axis)
    assert "Steps 1" not in chart and "…" not in chart
    labels = re.findall(r'<g class="row-label"><title>([^<]*)</title>(.*?)</g>', chart)
    assert {t.split(": ", 1)[0] for t, _ in labels} == {s.id for s in evidence.steps}
    for tip, body in labels:
        lines = re.findall(r">([^<]*)</text>", body)
        assert "".join(lines).replace(" ", "") == tip.split(": ", 1)[1].replace(" ", "")
        assert all(text_width(line) <= axis.left - 8 for line in lines)


def test_the_japanese_report_translates_fixed_text_scenario_strategy_and_details(
    evidence: Evidence,
) -> None:
    html = render_html(evidence, "ja")
    assert "<td>リージョン障害</td>" in html and "<td>ウォームスタンバイ</td>" in html
    assert "(承認," in html and "approve," not in html
    assert "連番 " in html and "seq " not in html
    assert "確定済み書き込み" in html
    assert "acknowledged writes lost" not in html


def _measured() -> Measured:
    failed = datetime(2026, 1, 1, 10, 0, 0, tzinfo=UTC)
    return Measured(
        rto_seconds=23.4, rpo_seconds=0.6, lost_writes=3, rpo_source="standing", failure_at=failed,
        recovered_at=failed + timedelta(seconds=23.4), failure_source="sandbox",
        failure_detail="region ap-northeast-1 failed by `drctl sandbox fail`",
        breakdown=[Phase(name="detection", seconds=4.0),
                   Phase(name="data promotion", seconds=11.8, steps=["promote-db"])],
        beside=[BesideProbe(name="checkout", recovered_at=failed + timedelta(seconds=30),
                            rto_seconds=30.0, failed_samples=12, samples=40)],
        beside_canaries=[BesideCanary(name="orders", lost_writes=1, rpo_seconds=0.2,
                                      acknowledged=50)],
        gaps=[Gap(start=failed + timedelta(seconds=5), end=failed + timedelta(seconds=7.5),
                  probe="availability")],
    )  # fmt: skip


def test_the_report_says_how_rto_was_measured_where_it_went_and_the_probes_beside(
    evidence: Evidence,
) -> None:
    measured = evidence.model_copy(update={"measured": _measured()})
    tree = html5lib.parse(render_html(measured), namespaceHTMLElements=False)
    rows = {
        (r.get("class"), r.get("data-name")): ["".join(c.itertext()) for c in r]
        for r in tree.iter("tr")
        if r.get("data-name")
    }
    assert rows[("phase", "data promotion")] == ["data promotion", "11.8 s", "promote-db"]
    assert rows[("phase", "detection")][:2] == ["detection", "4.0 s"]
    assert rows[("beside", "checkout")][2:] == ["30.0 s", "12 / 40"]
    assert rows[("beside-canary", "orders")][1:] == ["1", "0.2 s", "50"]
    page = render_html(measured)
    assert "sandbox (region ap-northeast-1 failed by `drctl sandbox fail`)" in page
    assert "10:00:05.000–10:00:07.500 (2.5 s)" in page
    md = render_markdown(measured)
    assert "| data promotion | 11.8 s | `promote-db` |" in md
    assert "| checkout | 2026-01-01 10:00:30.000 UTC | 30.0 s | 12 / 40 |" in md
    assert "| orders | 1 | 0.2 s | 50 |" in md
    assert "RPO measured from: the standing canary (`drctl canary`)" in md
    assert "常駐カナリア" in render_html(measured, lang="ja")
    assert "How RTO and RPO were measured" not in render_markdown(evidence)


def test_a_report_reads_what_measuring_recorded_from_the_store(settings: Settings) -> None:
    state = MeasureState(probes=Probes(), rto_target=timedelta(minutes=30),
                         rpo_target=timedelta(minutes=5), old_primary="ap-northeast-1",
                         new_primary="ap-southeast-1", measured=_measured())  # fmt: skip
    settings.home.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(settings.state_database_url())
    try:
        MeasureStore(engine).put_state("run-measured", state)
    finally:
        engine.dispose()
    assert measured_of_run(settings, "run-measured") == _measured()
    assert measured_of_run(settings, "run-not-measured") is None
