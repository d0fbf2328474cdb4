"""Accepted findings: inline `# drctl: ignore[RULE] reason` comments in the plan and baseline files.

A suppressed finding is still reported (SARIF `suppressions`, JUnit `<skipped>`, counted in
text) but does not fail the check. Every suppression must say why: one without a reason is
bad input, named by file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, Field

from drctl.checks.model import CheckReport, Finding, Suppressed, Suppression
from drctl.checks.registry import get_rule
from drctl.errors import DrctlError, PlanError
from drctl.model import Strict
from drctl.yamlsource import load_model

_INLINE = re.compile(r"#\s*drctl:\s*ignore\b(?P<rest>.*)$")
_RULES = re.compile(r"\[(?P<rules>[^\]]*)\]\s*(?P<reason>.*)$")
_EXAMPLE = "# drctl: ignore[drill-recency] first drill booked for 2027-01-15"


def inline_suppressions(path: Path, lines: Mapping[str, int]) -> list[Suppression]:
    """Every `# drctl: ignore[RULE,...] reason` comment in the plan file.

    A comment applies to the resource (or plan name) declared on its own line or on the
    line below it; `lines` maps names to their declaration lines (`declaration_lines`).
    """
    by_line = {line: name for name, line in lines.items()}
    found: list[Suppression] = []
    problems: list[DrctlError] = []
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    for number, line in enumerate(text.splitlines(), start=1):
        match = _INLINE.search(line)
        if match is None:
            continue
        where = f"{path}:{number}:{match.start() + 1}"
        try:
            found += _parse_inline(
                match["rest"], where, by_line.get(number, by_line.get(number + 1))
            )
        except DrctlError as exc:
            problems.append(exc)
    if problems:
        raise _all(problems)
    return found


def _parse_inline(rest: str, where: str, resource: str | None) -> list[Suppression]:
    parts = _RULES.match(rest.strip())
    if parts is None or not parts["rules"].strip():
        raise PlanError(
            "a `drctl: ignore` comment must name the rule in brackets",
            hint=f"write e.g. `{_EXAMPLE}`",
            where=where,
        )
    reason = parts["reason"].strip()
    if not reason:
        raise PlanError(
            "a suppression needs a reason after the rule",
            hint=f"say why the finding is accepted, e.g. `{_EXAMPLE}`",
            where=where,
        )
    if resource is None:
        raise PlanError(
            "a `drctl: ignore` comment must sit on or just above a resource's `- kind:` line",
            hint="move it to the line of the resource (or the plan's `name:`) it is about",
            where=where,
        )
    rules = [r.strip() for r in parts["rules"].split(",") if r.strip()]
    return [
        Suppression(
            rule=_known(rule, where), resource=resource, reason=reason, kind="inSource", where=where
        )
        for rule in rules
    ]


def _known(rule_id: str, where: str) -> str:
    try:
        return get_rule(rule_id).id
    except DrctlError as exc:
        raise PlanError(exc.message, hint=exc.hint, where=where) from None


def _all(problems: Sequence[DrctlError]) -> DrctlError:
    first = problems[0]
    return PlanError(first.message, hint=first.hint, where=first.where, problems=problems)


def _reason(value: str) -> str:
    if not value.strip():
        raise ValueError("a suppression needs a reason: say why the finding is accepted for now")
    return value


Reason = Annotated[str, AfterValidator(_reason)]


class BaselineEntry(Strict):
    """One accepted finding in a baseline file."""

    rule: str = Field(min_length=1)
    resource: str = Field(min_length=1)
    reason: Reason
    message: str = ""


class Baseline(Strict):
    """A baseline file (`drctl check --write-baseline`): findings accepted for now, with reasons."""

    api_version: Literal["drctl/v1"] = Field("drctl/v1", alias="apiVersion")
    kind: Literal["CheckBaseline"] = "CheckBaseline"
    plan: str = ""
    suppressions: list[BaselineEntry] = []


def load_baseline(path: Path) -> list[Suppression]:
    """The suppressions of a baseline file; a missing reason is an error at its line."""
    baseline = load_model(path, Baseline)
    where = str(path)
    for entry in baseline.suppressions:
        _known(entry.rule, where)
    return [
        Suppression(rule=e.rule, resource=e.resource, reason=e.reason, kind="external", where=where)
        for e in baseline.suppressions
    ]


def baseline_yaml(report: CheckReport, today: date) -> str:
    """A baseline accepting every finding in `report`, keeping the reasons of baselined ones."""
    kept = {
        (s.finding.rule, s.finding.resource): s.suppression.reason
        for s in report.suppressed
        if s.suppression.kind == "external"
    }
    entries: dict[tuple[str, str], BaselineEntry] = {}
    for f in [
        *report.findings,
        *(s.finding for s in report.suppressed if (s.finding.rule, s.finding.resource) in kept),
    ]:
        key = (f.rule, f.resource)
        reason = kept.get(key, f"accepted by `drctl check --write-baseline` on {today.isoformat()}")
        entries.setdefault(
            key, BaselineEntry(rule=f.rule, resource=f.resource, reason=reason, message=f.message)
        )
    baseline = Baseline(plan=report.plan, suppressions=list(entries.values()))
    header = (
        "# Findings accepted for now. Each needs a reason: replace the generated ones with why.\n"
    )
    body = yaml.safe_dump(
        baseline.model_dump(mode="json", by_alias=True), sort_keys=False, allow_unicode=True
    )
    return header + body


def apply_suppressions(report: CheckReport, suppressions: Iterable[Suppression]) -> CheckReport:
    """Move the findings a suppression matches (same rule and resource) to `suppressed`.

    Inline suppressions win over baseline ones when both match.
    """
    ranked = sorted(suppressions, key=lambda s: s.kind != "inSource")
    index: dict[tuple[str, str], Suppression] = {}
    for s in ranked:
        index.setdefault((s.rule, s.resource), s)
    kept: list[Finding] = []
    moved = list(report.suppressed)
    for f in report.findings:
        match = index.get((f.rule, f.resource))
        if match is None:
            kept.append(f)
        else:
            moved.append(Suppressed(finding=f, suppression=match))
    return report.model_copy(update={"findings": kept, "suppressed": moved})
