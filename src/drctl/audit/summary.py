"""What a run's verified audit events say about who acted, provenance, write intents and interruptions.

`drctl audit verify --run RUN` prints this after checking the chain, so the auditor reads
the facts from the hash-chained events themselves, not from the journal.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from drctl.audit.event import AuditEvent
from drctl.model import Frozen

_ACTS = {
    "run.started": "start",
    "run.resumed": "resume",
    "run.cancelled": "cancel",
    "approval.granted": "approve",
    "approval.rejected": "reject",
}


class ActLine(Frozen):
    """One act by a verified identity, as the chain recorded it."""

    seq: int
    what: str
    step_id: str | None = None
    label: str
    identity: str
    reason: str = ""


class RunSummary(Frozen):
    """The facts of one run an auditor checks, from its verified events."""

    run_id: str
    plan_hash: str | None = None
    runbook_hash: str | None = None
    provenance: str = ""
    acts: list[ActLine] = []
    intents: list[str] = []
    interruptions: list[str] = []


def summarise(run_id: str, events: Iterable[AuditEvent]) -> RunSummary:
    """Gather the acts, hashes, intents and interruptions of `run_id` from its events."""
    acts: list[ActLine] = []
    intents: list[str] = []
    interruptions: list[str] = []
    hashes: dict[str, Any] = {}
    for e in events:
        data = e.payload
        if e.kind in _ACTS:
            acts.append(_act(e))
        found = data.get("provenance")
        if e.kind == "run.started" and isinstance(found, dict):
            hashes = dict(found)
        if e.kind == "step.write_intent":
            intents.append(
                f"{e.step_id} attempt {data.get('attempt')}: {data.get('service')}:"
                f"{data.get('operation')} {data.get('resource', '')} in {data.get('region', '')}"
                + (f" (client token {data['client_token']})" if data.get("client_token") else "")
            )
        if e.kind == "step.interrupted":
            listed = data.get("writes")
            writes = ", ".join(str(w) for w in listed or []) if isinstance(listed, list) else ""
            interruptions.append(
                f"{e.step_id} attempt {data.get('attempt')} interrupted "
                f"({writes or 'no AWS writes journaled'}); "
                f"continued as attempt {data.get('next_attempt')}"
            )
    source = str(hashes.get("source", ""))
    if hashes.get("accepted_reason"):
        source += f" (accepted: {hashes['accepted_reason']})"
    return RunSummary(
        run_id=run_id,
        plan_hash=hashes.get("plan_hash"),
        runbook_hash=hashes.get("runbook_hash"),
        provenance=source,
        acts=acts,
        intents=intents,
        interruptions=interruptions,
    )


def _act(e: AuditEvent) -> ActLine:
    who = e.payload.get("identity")
    shown = f"{who.get('kind')}:{who.get('id')}" if isinstance(who, dict) else "(not recorded)"
    reason = e.payload.get("reason") or e.payload.get("comment") or ""
    return ActLine(
        seq=e.seq,
        what=_ACTS[e.kind],
        step_id=e.step_id,
        label=e.actor,
        identity=shown,
        reason=str(reason),
    )


def summary_lines(summary: RunSummary) -> list[str]:
    """The summary as plain lines for the terminal."""
    lines = [
        f"plan sha256: {summary.plan_hash or '—'}",
        f"runbook sha256: {summary.runbook_hash or '—'} ({summary.provenance or 'not recorded'})",
    ]
    for a in summary.acts:
        step = f" {a.step_id}" if a.step_id else ""
        why = f": {a.reason}" if a.reason else ""
        lines.append(f"seq {a.seq} {a.what}{step} by {a.label} = {a.identity}{why}")
    lines += [f"write intent: {i}" for i in summary.intents]
    lines += [f"interruption: {i}" for i in summary.interruptions]
    return lines
