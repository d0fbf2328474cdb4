"""JUnit XML: one testcase per step and one per objective, so CI systems show drill results.

The shape is the Ant/Jenkins JUnit schema that GitLab, GitHub Actions reporters and
Jenkins read: `testsuites > testsuite > (properties, testcase*, system-out)`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC

from drctl.report.evidence import Evidence, Objective, StepEntry
from drctl.report.formats import seconds

_FAILED = {"failed", "timed-out"}
_NOT_RUN = {"skipped", "cancelled", "pending", "running", "waiting-approval"}


def render_junit(evidence: Evidence) -> str:
    """The run as a JUnit XML document."""
    suite_name = f"drctl.{evidence.plan or evidence.runbook}.{evidence.scenario}"
    cases = [_step_case(evidence, s) for s in evidence.steps]
    cases += [_objective_case(evidence, o) for o in evidence.objectives]
    failures = sum(1 for c in cases if c.find("failure") is not None)
    skipped = sum(1 for c in cases if c.find("skipped") is not None)
    total = f"{evidence.duration.total_seconds():.3f}" if evidence.duration else "0"
    counts = {"tests": str(len(cases)), "failures": str(failures), "errors": "0"}
    root = ET.Element("testsuites", {"name": "drctl", "time": total, **counts})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": suite_name,
            **counts,
            "skipped": str(skipped),
            "time": total,
            "timestamp": _timestamp(evidence),
            "hostname": evidence.executor or "unknown",
            "id": "0",
            "package": suite_name,
        },
    )
    suite.append(_properties(evidence))
    suite.extend(cases)
    ET.SubElement(suite, "system-out").text = f"run {evidence.run_id}: {evidence.outcome}"
    ET.SubElement(suite, "system-err").text = ""
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _step_case(evidence: Evidence, step: StepEntry) -> ET.Element:
    time = f"{step.duration.total_seconds():.3f}" if step.duration else "0"
    case = ET.Element(
        "testcase", name=f"{step.id}: {step.title}", classname=_classname(evidence, "steps")
    )
    case.set("time", time)
    if step.status in _FAILED:
        message = step.error.message if step.error else step.detail or step.status
        failure = ET.SubElement(case, "failure", message=message, type=step.status)
        failure.text = _failure_text(step)
    elif step.status in _NOT_RUN:
        ET.SubElement(case, "skipped", message=step.detail or step.status)
    return case


def _failure_text(step: StepEntry) -> str:
    lines = [f"status: {step.status}", f"attempts: {step.attempts}"]
    if step.error:
        lines += [f"error: {step.error.message}", f"code: {step.error.code}"]
        lines += [f"where: {step.error.where}", f"hint: {step.error.hint}"]
    return "\n".join(lines)


def _objective_case(evidence: Evidence, objective: Objective) -> ET.Element:
    name = f"{objective.name.upper()} measured {seconds(objective.measured)} target {seconds(objective.target)}"
    case = ET.Element("testcase", name=name, classname=_classname(evidence, "objectives"))
    case.set("time", "0")
    if objective.verdict == "not_measured":
        ET.SubElement(
            case, "failure", message=f"{objective.name} was not measured", type="not-measured"
        ).text = objective.detail
    elif objective.verdict == "fail":
        message = f"{objective.name} {seconds(objective.measured)} exceeds target {seconds(objective.target)}"
        ET.SubElement(
            case, "failure", message=message, type="objective-missed"
        ).text = objective.detail
    return case


def _properties(evidence: Evidence) -> ET.Element:
    properties = ET.Element("properties")
    values = {
        "run_id": evidence.run_id,
        "runbook": evidence.runbook,
        "plan": evidence.plan or "",
        "scenario": evidence.scenario,
        "strategy": evidence.strategy or "",
        "outcome": evidence.outcome,
        "plan_sha256": evidence.plan_hash or "",
        "runbook_sha256": evidence.runbook_hash,
        "audit_chain_head": evidence.chain.head_hash if evidence.chain else "",
    }
    for name, value in values.items():
        ET.SubElement(properties, "property", name=name, value=value)
    return properties


def _classname(evidence: Evidence, group: str) -> str:
    return f"drctl.{evidence.runbook}.{group}"


def _timestamp(evidence: Evidence) -> str:
    moment = evidence.started_at or evidence.generated_at
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
