"""The evidence bundle of a run: a zip whose `manifest.json` lists every file with its SHA-256.

Contents: `run.json` (the run record), `plan.yaml` and `runbook.yaml`, `events.jsonl` (the
run's audit events exactly as chained), `chain.jsonl` (seq/prev_hash/hash of every link from
the run's first event to the head, so the run's events can be verified without other runs'
payloads), `signatures.json`, `probes.jsonl`, `cloudtrail.json`, `actions.json`,
`verify.json` and `reports/*`. Everything except the chained events is redacted on the way
in; when that changes a file, the manifest says so and keeps the original's hash.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import JsonValue

from drctl.audit.cloudtrail import TrailEvidence
from drctl.audit.event import AuditEvent, ChainHead, canonical_json, utc_text
from drctl.audit.log import AuditLog
from drctl.audit.redact import Redactor
from drctl.audit.review import list_actions
from drctl.audit.sign import signatures
from drctl.audit.verify import verify_chain
from drctl.errors import DrctlError
from drctl.model import Frozen

FORMAT = "drctl-evidence/v1"
PROBE_KINDS = frozenset({"probe.sample", "measurement"})


@dataclass(frozen=True)
class EvidenceInputs:
    """What goes into a bundle besides the audit log itself."""

    run_id: str
    actor: str
    run_record: dict[str, JsonValue] | None = None
    plan_text: str | None = None
    runbook_text: str | None = None
    plan_name: str | None = None
    reports: list[Path] = field(default_factory=list)
    cloudtrail: TrailEvidence | None = None


class BundleFile(Frozen):
    """One file of the bundle and its digest."""

    path: str
    sha256: str
    bytes: int
    redacted: bool = False
    original_sha256: str | None = None


class Manifest(Frozen):
    """The bundle's table of contents: files, hashes, and where the run sits in the chain."""

    format: str = FORMAT
    run_id: str
    created_at: str
    created_by: str
    chain_head: ChainHead
    run_first_seq: int
    run_last_seq: int
    run_events: int
    chain_ok: bool
    files: list[BundleFile]


def build_evidence(log: AuditLog, inputs: EvidenceInputs, out: Path) -> Manifest:
    """Write the evidence zip for `inputs.run_id` to `out` and return its manifest."""
    span = log.run_span(inputs.run_id)
    if span is None:
        raise DrctlError(
            f"no audit events for run {inputs.run_id}",
            hint="check the run id (`drctl audit verify` lists the chain; runs record events as they go)",
        )
    first, last, count = span
    head = log.head()
    events = list(log.events(inputs.run_id))
    files = _Files(Redactor())
    _add_run_inputs(files, inputs)
    files.raw("events.jsonl", _jsonl(e.canonical() for e in events))
    files.raw("chain.jsonl", _jsonl(_links(log, first, head.seq)))
    files.raw("probes.jsonl", _jsonl(e.canonical() for e in events if e.kind in PROBE_KINDS))
    in_range = [s.model_dump() for s in signatures(log) if first <= s.seq <= head.seq]
    files.raw("signatures.json", _pretty(in_range))
    report = verify_chain(log)
    files.raw("verify.json", _pretty(report.model_dump(mode="json")))
    _add_review(files, log, inputs)
    manifest = Manifest(
        run_id=inputs.run_id,
        created_at=utc_text(log.clock.now()),
        created_by=inputs.actor,
        chain_head=head,
        run_first_seq=first,
        run_last_seq=last,
        run_events=count,
        chain_ok=report.ok,
        files=files.listing,
    )
    _write_zip(out, files.contents, _pretty(manifest.model_dump(mode="json")), manifest.created_at)
    return manifest


def _add_run_inputs(files: _Files, inputs: EvidenceInputs) -> None:
    if inputs.run_record is not None:
        files.redacted_text("run.json", _pretty(files.redactor.redact(inputs.run_record)))
    if inputs.plan_text is not None:
        files.redacted_text("plan.yaml", inputs.plan_text)
    if inputs.runbook_text is not None:
        files.redacted_text("runbook.yaml", inputs.runbook_text)
    if inputs.cloudtrail is not None:
        trail = inputs.cloudtrail.model_dump(mode="json")
        files.redacted_text("cloudtrail.json", _pretty(files.redactor.redact(trail)))
    for report in inputs.reports:
        files.report(report)


def _add_review(files: _Files, log: AuditLog, inputs: EvidenceInputs) -> None:
    actions = [a for a in list_actions(log) if a.run_id == inputs.run_id]
    carried = list_actions(log, plan=inputs.plan_name, only_open=True) if inputs.plan_name else []
    body = {
        "run_actions": [a.model_dump(mode="json") for a in actions],
        "open_actions_of_plan": [a.model_dump(mode="json") for a in carried],
    }
    files.raw("actions.json", _pretty(body))


def _links(log: AuditLog, first: int, head_seq: int) -> list[str]:
    return [
        canonical_json({"seq": e.seq, "run_id": e.run_id, "prev_hash": e.prev_hash, "hash": e.hash})
        for e in _range(log, first, head_seq)
    ]


def _range(log: AuditLog, first: int, last: int) -> list[AuditEvent]:
    return list(log.events(after=first - 1, until=last))


class _Files:
    """Bundle members collected in memory with their manifest entries."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.contents: dict[str, bytes] = {}
        self.listing: list[BundleFile] = []

    def raw(self, path: str, data: str | bytes) -> None:
        body = data.encode("utf-8") if isinstance(data, str) else data
        self.contents[path] = body
        self.listing.append(BundleFile(path=path, sha256=_sha256(body), bytes=len(body)))

    def redacted_text(self, path: str, text: str) -> None:
        clean = self.redactor.redact_text(text)
        self.raw(path, clean)
        if clean != text:
            original = _sha256(text.encode("utf-8"))
            entry = self.listing[-1].model_copy(
                update={"redacted": True, "original_sha256": original}
            )
            self.listing[-1] = entry

    def report(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DrctlError(f"cannot read report: {exc.strerror}", where=str(path)) from exc
        try:
            self.redacted_text(f"reports/{path.name}", data.decode("utf-8"))
        except UnicodeDecodeError:
            self.raw(f"reports/{path.name}", data)  # images and other binary files


def _write_zip(out: Path, contents: dict[str, bytes], manifest: str, created_at: str) -> None:
    stamp = (int(created_at[0:4]), int(created_at[5:7]), int(created_at[8:10]),
             int(created_at[11:13]), int(created_at[14:16]), int(created_at[17:19]))  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, body in [("manifest.json", manifest.encode("utf-8")), *contents.items()]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, body)
    tmp.replace(out)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _jsonl(lines: Iterable[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def _pretty(value: object) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
