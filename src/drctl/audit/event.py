"""The audit record and its hash: SHA-256 over the canonical JSON of every other field."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from pydantic import JsonValue

from drctl.model import Frozen

GENESIS_HASH = "0" * 64
Payload = dict[str, JsonValue]


class AuditEvent(Frozen):
    """One link of the chain: who did what, when, in which run, and the hashes binding it."""

    seq: int
    time: datetime
    run_id: str
    actor: str
    kind: str
    step_id: str | None = None
    event_id: str | None = None
    payload: Payload = {}
    prev_hash: str
    hash: str

    def canonical(self) -> str:
        """The event as one canonical JSON line (every field, hash included)."""
        return canonical_json({**self._hashed_fields(), "hash": self.hash})

    def _hashed_fields(self) -> dict[str, Any]:
        return hashed_fields(
            self.seq,
            utc_text(self.time),
            self.run_id,
            self.actor,
            self.kind,
            self.step_id,
            self.event_id,
            self.payload,
            self.prev_hash,
        )

    def recomputed_hash(self) -> str:
        """The hash the event's content calls for; differs from `hash` when tampered with."""
        return sha256_text(canonical_json(self._hashed_fields()))


class ChainHead(Frozen):
    """The newest link: its seq and hash (what gets signed)."""

    seq: int
    hash: str


def hashed_fields(
    seq: int,
    time: str,
    run_id: str,
    actor: str,
    kind: str,
    step_id: str | None,
    event_id: str | None,
    payload: Any,
    prev_hash: str,
) -> dict[str, Any]:
    """The fields the hash covers, by name."""
    return {
        "seq": seq,
        "time": time,
        "run_id": run_id,
        "actor": actor,
        "kind": kind,
        "step_id": step_id,
        "event_id": event_id,
        "payload": payload,
        "prev_hash": prev_hash,
    }


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept, NaN refused: the same bytes for the same data."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def sha256_text(text: str) -> str:
    """Hex SHA-256 of UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def utc_text(moment: datetime) -> str:
    """A timestamp as fixed-width UTC ISO 8601 with microseconds; naive times are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str) -> datetime:
    """The inverse of `utc_text`."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def stored_hash(
    seq: int,
    time: str,
    run_id: str,
    actor: str,
    kind: str,
    step_id: str | None,
    event_id: str | None,
    payload_json: str,
    prev_hash: str,
) -> str:
    """The hash of a stored row whose payload is already canonical JSON text (fast path of verify).

    Equal to hashing `canonical_json(hashed_fields(...))`; spelled out so verify need not parse
    payloads. A payload whose stored text is not canonical therefore counts as modified.
    """
    d = _dump
    text = (
        f'{{"actor":{d(actor)},"event_id":{d(event_id)},"kind":{d(kind)},"payload":{payload_json},'
        f'"prev_hash":{d(prev_hash)},"run_id":{d(run_id)},"seq":{seq},"step_id":{d(step_id)},'
        f'"time":{d(time)}}}'
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _dump(value: str | None) -> str:
    return json.dumps(value, ensure_ascii=False)
