"""Recompute the chain and name the first break: modified, deleted, inserted or reordered.

Each stored row is rehashed from its columns and checked against its own `hash` and its
predecessor's. At the first mismatch the kind of tampering is worked out from what the
row still proves: a row whose hash fits another seq was moved (rows inserted before it,
deleted before it, or swapped), a row whose hash fits nothing was modified, a missing seq
was deleted. The recorded head catches a truncated or extended tail.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Row

from drctl.audit import store
from drctl.audit.event import GENESIS_HASH, ChainHead, stored_hash
from drctl.audit.log import AuditLog
from drctl.model import Frozen

BreakKind = Literal["modified", "deleted", "inserted", "reordered"]


class ChainBreak(Frozen):
    """The first place the chain stops proving itself."""

    seq: int
    kind: BreakKind
    detail: str


class ChainReport(Frozen):
    """Outcome of recomputing the chain (or the part of it up to a run's last event)."""

    ok: bool
    checked: int
    last: ChainHead | None
    first_break: ChainBreak | None = None
    run_id: str | None = None
    run_events: int | None = None


def verify_chain(log: AuditLog, run_id: str | None = None) -> ChainReport:
    """Recompute the whole chain, or the chain up to `run_id`'s last event (a run is a view)."""
    until: int | None = None
    run_events: int | None = None
    if run_id is not None:
        span = log.run_span(run_id)
        until, run_events = (span[1], span[2]) if span else (0, 0)
    checked, last, found = _walk(log, until)
    if found is None and until is None:
        found = _check_head(log, last)
    return ChainReport(
        ok=found is None,
        checked=checked,
        last=last,
        first_break=found,
        run_id=run_id,
        run_events=run_events,
    )


def _walk(log: AuditLog, until: int | None) -> tuple[int, ChainHead | None, ChainBreak | None]:
    expected, prev, checked = 1, GENESIS_HASH, 0
    last: ChainHead | None = None
    for row in log.rows(until=until):
        seq = int(row.seq)
        if seq != expected:
            gap = f"seq {expected}" if seq == expected + 1 else f"seq {expected}..{seq - 1}"
            return checked, last, ChainBreak(seq=expected, kind="deleted", detail=f"{gap} missing")
        if _row_hash(row, seq) != row.hash:
            return checked, last, _moved_or_modified(log, row)
        if row.prev_hash != prev:
            return checked, last, _relinked(log, row)
        prev, expected, checked = row.hash, expected + 1, checked + 1
        last = ChainHead(seq=seq, hash=row.hash)
    return checked, last, None


def _row_hash(row: Row[tuple[object, ...]], seq: int) -> str:
    m = row._mapping
    return stored_hash(
        seq,
        str(m["time"]),
        str(m["run_id"]),
        str(m["actor"]),
        str(m["kind"]),
        m["step_id"] if m["step_id"] is None else str(m["step_id"]),
        m["event_id"] if m["event_id"] is None else str(m["event_id"]),
        str(m["payload"]),
        str(m["prev_hash"]),
    )


def _moved_or_modified(log: AuditLog, row: Row[tuple[object, ...]]) -> ChainBreak:
    seq = int(row.seq)
    origin = _original_seq(log, row)
    if origin is None:
        return ChainBreak(seq=seq, kind="modified", detail=f"event {seq} does not match its hash")
    moved = f"the event now at seq {seq} was recorded as seq {origin}"
    if origin < seq:
        return ChainBreak(seq=origin, kind="inserted", detail=f"{moved}: events inserted before it")
    if not _hash_exists(log, str(row.prev_hash)):
        return ChainBreak(seq=seq, kind="deleted", detail=f"{moved}: events deleted before it")
    return ChainBreak(seq=seq, kind="reordered", detail=moved)


def _original_seq(log: AuditLog, row: Row[tuple[object, ...]]) -> int | None:
    """The seq this row's hash was computed with, searching outward from where it sits now."""
    seq, top = int(row.seq), max(log.head().seq, _max_seq(log)) + 1
    for distance in range(1, max(seq, top - seq) + 1):
        for candidate in (seq - distance, seq + distance):
            if 1 <= candidate <= top and _row_hash(row, candidate) == row.hash:
                return candidate
    return None


def _relinked(log: AuditLog, row: Row[tuple[object, ...]]) -> ChainBreak:
    seq = int(row.seq)
    return ChainBreak(
        seq=seq - 1,
        kind="modified",
        detail=f"event {seq - 1} was altered and re-hashed: event {seq} links to a different predecessor",
    )


def _check_head(log: AuditLog, last: ChainHead | None) -> ChainBreak | None:
    recorded, tail = log.head(), last or ChainHead(seq=0, hash=GENESIS_HASH)
    if recorded.seq > tail.seq:
        span = f"seq {tail.seq + 1}..{recorded.seq}"
        return ChainBreak(seq=tail.seq + 1, kind="deleted", detail=f"{span} missing at the end")
    if recorded.seq < tail.seq:
        span = f"seq {recorded.seq + 1}..{tail.seq}"
        return ChainBreak(
            seq=recorded.seq + 1, kind="inserted", detail=f"{span} appended outside drctl"
        )
    if recorded.hash != tail.hash:
        return ChainBreak(
            seq=tail.seq, kind="modified", detail="the last event differs from the head"
        )
    return None


def _hash_exists(log: AuditLog, value: str) -> bool:
    query = sa.select(store.events.c.seq).where(store.events.c.hash == value).limit(1)
    with store.store_errors(log.url), log.engine.connect() as conn:
        return conn.execute(query).first() is not None


def _max_seq(log: AuditLog) -> int:
    with store.store_errors(log.url), log.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.max(store.events.c.seq))).scalar() or 0)
