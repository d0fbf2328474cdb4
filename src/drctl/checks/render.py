"""Check reports for people and machines: a rich table grouped by resource, JSON, JUnit, SARIF 2.1.0, Markdown."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Mapping
from enum import StrEnum
from itertools import groupby
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from drctl import __version__
from drctl.checks.model import CheckReport, Finding, Severity, Suppression


class CheckFormat(StrEnum):
    """How `drctl check` prints its report (`--format`)."""

    TABLE = "table"
    JSON = "json"
    YAML = "yaml"
    JUNIT = "junit"
    SARIF = "sarif"
    MARKDOWN = "markdown"
    OPENMETRICS = "openmetrics"


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}
_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def by_resource(findings: list[Finding]) -> list[tuple[str, list[Finding]]]:
    """Findings grouped by resource (in first-seen order), worst first within a group."""
    order = {name: i for i, name in reversed(list(enumerate(f.resource for f in findings)))}
    ranked = sorted(findings, key=lambda f: (order[f.resource], _RANK[f.severity]))
    return [(name, list(group)) for name, group in groupby(ranked, key=lambda f: f.resource)]


def summary(report: CheckReport) -> str:
    """One line: how many checks ran and what they found."""
    counts = report.counts()
    verdict = "FAILED" if not report.ok else "passed" if report.complete else "INCOMPLETE"
    return (
        f"{report.plan}: {len(report.checked)} checks ({report.mode}) {verdict} — "
        f"{counts[Severity.ERROR]} errors, {counts[Severity.WARNING]} warnings, "
        f"{counts[Severity.INFO]} info{_suppressed(report)} in {report.seconds:.2f}s"
    )


def _suppressed(report: CheckReport) -> str:
    if not report.suppressed:
        return ""
    inline = sum(s.suppression.kind == "inSource" for s in report.suppressed)
    return (
        f", {len(report.suppressed)} suppressed ({inline} inline, "
        f"{len(report.suppressed) - inline} baseline)"
    )


def print_table(report: CheckReport, console: Console) -> None:
    """A rich table per resource with severity, rule, message and fix hint."""
    for resource, findings in by_resource(report.findings):
        table = Table(title=resource, title_justify="left", show_lines=False, expand=False)
        for column in ("severity", "rule", "finding", "fix"):
            table.add_column(column, overflow="fold")
        for f in findings:
            table.add_row(f"[{_STYLE[f.severity]}]{f.severity}[/]", f.rule, f.message, f.hint)
        console.print(table)
    accepted = Counter(
        (s.finding.rule, s.finding.resource, s.suppression) for s in report.suppressed
    )
    for (rule, resource, why), count in accepted.items():
        times = f" ({count} findings)" if count > 1 else ""
        console.print(
            f"suppressed {rule} on {resource}{times} at {why.where}: {why.reason}",
            style="dim",
            markup=False,
            highlight=False,
        )
    style = "red" if not report.ok else "green"
    console.print(f"[{style}]{summary(report)}[/]")


def render_json(report: CheckReport) -> str:
    """The whole report as JSON."""
    return json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def render_yaml(report: CheckReport) -> str:
    """The whole report as YAML (the same data as JSON)."""
    return yaml.safe_dump(report.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def render_junit(report: CheckReport) -> str:
    """JUnit XML: one test case per (rule, resource); error findings fail it, others go to system-out."""
    found: dict[tuple[str, str], list[Finding]] = {}
    skipped = _skipped(report)
    for f in report.findings:
        found.setdefault((f.rule, f.resource), []).append(f)
    suite = ET.Element(
        "testsuite",
        name=f"drctl check {report.plan}",
        tests=str(len(report.checked)),
        failures=str(
            len({(f.rule, f.resource) for f in report.findings if f.severity is Severity.ERROR})
        ),
        errors=str(len(report.notifications)),
        skipped=str(len(_skipped(report))),
        time=f"{report.seconds:.3f}",
    )
    for note in report.notifications:
        # A could-not-check is a JUnit <error> (the test could not run), not a <failure>.
        case = ET.SubElement(suite, "testcase", classname="could-not-check", name=note.where)
        ET.SubElement(
            case, "error", message=note.message, type="could-not-check"
        ).text = f"rules not run: {', '.join(note.rules)}\nfix: {note.hint}"
    for checked in report.checked:
        case = ET.SubElement(suite, "testcase", classname=checked.rule, name=checked.resource)
        mine = found.get((checked.rule, checked.resource), [])
        if (checked.rule, checked.resource) in skipped:
            ET.SubElement(case, "skipped", message=skipped[(checked.rule, checked.resource)])
        for f in (f for f in mine if f.severity is Severity.ERROR):
            ET.SubElement(case, "failure", message=f.message, type=f.rule).text = f"fix: {f.hint}"
        notes = [
            f"{f.severity}: {f.message} (fix: {f.hint})"
            for f in mine
            if f.severity is not Severity.ERROR
        ]
        if notes:
            ET.SubElement(case, "system-out").text = "\n".join(notes)
    root = ET.Element("testsuites", name="drctl", tests=str(len(report.checked)))
    root.set("failures", suite.get("failures", "0"))
    root.set("errors", suite.get("errors", "0"))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _skipped(report: CheckReport) -> dict[tuple[str, str], str]:
    """JUnit `<skipped>` messages by (rule, resource), for findings a suppression accepted."""
    out: dict[tuple[str, str], str] = {}
    for s in report.suppressed:
        kind = "inline" if s.suppression.kind == "inSource" else "baseline"
        out.setdefault(
            (s.finding.rule, s.finding.resource),
            f"suppressed ({kind}, {s.suppression.where}): {s.suppression.reason}",
        )
    return out


def render_sarif(
    report: CheckReport, plan_uri: str = "", lines: Mapping[str, int] | None = None
) -> str:
    """SARIF 2.1.0 with one rule descriptor per rule and one result per finding.

    `lines` maps a resource (or the plan's) name to its line in the plan file, so code
    scanning annotates the line that declares it.
    """
    index = {r.id: i for i, r in enumerate(report.rules)}
    rules = [
        {
            "id": r.id,
            "name": r.title,
            "shortDescription": {"text": r.title},
            "fullDescription": {"text": r.rationale},
            "help": {
                "text": f"{r.rationale} Fix: {r.hint}",
                "markdown": f"{r.rationale}\n\n**Fix:** {r.hint}",
            },
            "defaultConfiguration": {"level": SARIF_LEVEL[r.severity]},
            "properties": {"live": r.live},
        }
        for r in report.rules
    ]
    results = [_sarif_result(f, index, plan_uri, lines or {}) for f in report.findings]
    results += [
        _sarif_result(s.finding, index, plan_uri, lines or {})
        | {"suppressions": [_sarif_suppression(s.suppression)]}
        for s in report.suppressed
    ]
    driver = {
        "name": "drctl",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": "https://github.com/drctl/drctl",
        "rules": rules,
    }
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {"tool": {"driver": driver}, "invocations": [_invocation(report)], "results": results}
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"


def _invocation(report: CheckReport) -> dict[str, Any]:
    """The SARIF invocation: could-not-check problems are tool execution notifications."""
    notes = [
        {
            "level": "error",
            "descriptor": {"id": "could-not-check"},
            "message": {"text": f"{n.message}. Fix: {n.hint}" if n.hint else n.message},
            "locations": [{"logicalLocations": [{"name": n.where or "estate"}]}],
            "properties": {"rulesNotRun": n.rules},
        }
        for n in report.notifications
    ]
    return {"executionSuccessful": report.complete, "toolExecutionNotifications": notes}


def _sarif_suppression(s: Suppression) -> dict[str, Any]:
    """SARIF §3.35: `inSource` for a plan comment, `external` for a baseline file."""
    out: dict[str, Any] = {"kind": s.kind, "status": "accepted", "justification": s.reason}
    path, _, line = s.where.partition(":")
    if path:
        physical: dict[str, Any] = {"artifactLocation": {"uri": path}}
        if line.split(":")[0].isdigit():
            physical["region"] = {"startLine": int(line.split(":")[0])}
        out["location"] = {"physicalLocation": physical}
    return out


def _sarif_result(
    f: Finding, index: dict[str, int], plan_uri: str, lines: Mapping[str, int]
) -> dict[str, Any]:
    location: dict[str, Any] = {"logicalLocations": [{"name": f.resource, "kind": "resource"}]}
    if plan_uri:
        physical: dict[str, Any] = {"artifactLocation": {"uri": plan_uri}}
        if f.resource in lines:
            physical["region"] = {"startLine": lines[f.resource]}
        location["physicalLocation"] = physical
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "level": SARIF_LEVEL[f.severity],
        "message": {"text": f"{f.message}. Fix: {f.hint}" if f.hint else f.message},
        "locations": [location],
    }
    if f.rule in index:
        result["ruleIndex"] = index[f.rule]
    return result


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: CheckReport) -> str:
    """A Markdown section: summary, then a table per resource."""
    lines = [f"# Readiness of {report.plan}", "", summary(report), ""]
    lines += [
        f"> **Could not check:** {_cell(n.message)} ({_cell(n.hint)})\n"
        for n in report.notifications
    ]
    for resource, findings in by_resource(report.findings):
        lines += [f"## {resource}", "", "| severity | rule | finding | fix |", "|---|---|---|---|"]
        lines += [
            f"| {f.severity} | `{f.rule}` | {_cell(f.message)} | {_cell(f.hint)} |"
            for f in findings
        ]
        lines.append("")
    if report.suppressed:
        lines += ["## Suppressed", "", "| rule | resource | where | reason |", "|---|---|---|---|"]
        lines += [
            f"| `{s.finding.rule}` | {_cell(s.finding.resource)} | {_cell(s.suppression.where)} "
            f"| {_cell(s.suppression.reason)} |"
            for s in report.suppressed
        ]
        lines.append("")
    return "\n".join(lines)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_openmetrics(report: CheckReport) -> str:
    """OpenMetrics text for node-exporter's textfile collector: readiness, counts, each finding."""
    plan = f'plan="{_label(report.plan)}"'
    counts = report.counts()
    lines = [
        "# TYPE drctl_check_ready gauge",
        "# HELP drctl_check_ready 1 when no error-level finding exists.",
        f"drctl_check_ready{{{plan}}} {int(report.ok)}",
        "# TYPE drctl_check_complete gauge",
        "# HELP drctl_check_complete 1 when every rule could read what it needed.",
        f"drctl_check_complete{{{plan}}} {int(report.complete)}",
        "# TYPE drctl_check_findings gauge",
        "# HELP drctl_check_findings Findings by severity.",
        *(f'drctl_check_findings{{{plan},severity="{s}"}} {counts[s]}' for s in Severity),
        "# TYPE drctl_check_checks gauge",
        "# HELP drctl_check_checks (rule, resource) pairs evaluated.",
        f'drctl_check_checks{{{plan},mode="{report.mode}"}} {len(report.checked)}',
        "# TYPE drctl_check_duration_seconds gauge",
        "# HELP drctl_check_duration_seconds How long the check took.",
        f"drctl_check_duration_seconds{{{plan}}} {report.seconds}",
        "# TYPE drctl_check_suppressed gauge",
        "# HELP drctl_check_suppressed Findings accepted by an inline comment or a baseline.",
        f"drctl_check_suppressed{{{plan}}} {len(report.suppressed)}",
        "# TYPE drctl_check_rule_findings gauge",
        "# HELP drctl_check_rule_findings Findings per rule, resource and severity.",
    ]
    per_rule = Counter((f.rule, f.resource, f.severity) for f in report.findings)
    lines += [
        f'drctl_check_rule_findings{{{plan},rule="{_label(rule)}",resource="{_label(resource)}",'
        f'severity="{severity}"}} {count}'
        for (rule, resource, severity), count in per_rule.items()
    ]
    return "\n".join([*lines, "# EOF"]) + "\n"


RENDERERS: dict[CheckFormat, Callable[[CheckReport], str]] = {
    CheckFormat.JSON: render_json,
    CheckFormat.YAML: render_yaml,
    CheckFormat.JUNIT: render_junit,
    CheckFormat.SARIF: render_sarif,
    CheckFormat.MARKDOWN: render_markdown,
    CheckFormat.OPENMETRICS: render_openmetrics,
}
