"""The append-only, hash-chained audit log: one global chain shared by every process.

`AuditLog.append` takes the database write lock, reads the head, links the new event to
it and commits, so concurrent appenders (several workers, the CLI, the dashboard) still
produce one valid chain. Everything but the link (canonical JSON of the payload, the
event models) is done before the lock is taken or after it is released: on SQLite that
lock is the file's, which the journal and DBOS wait for too. An event id already stored is not stored again: durable
execution may deliver the same engine event twice after a crash.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from drctl.audit import store
from drctl.audit.event import (
    AuditEvent,
    ChainHead,
    Payload,
    canonical_json,
    parse_utc,
    stored_hash,
    utc_text,
)
from drctl.clock import Clock, SystemClock
from drctl.settings import Settings
from drctl.transient import retry_transient

_PAGE = 5000


@dataclass(frozen=True)
class Entry:
    """What a caller asks to record; seq and hashes are added by the log."""

    run_id: str
    actor: str
    kind: str
    payload: Payload = field(default_factory=dict)
    step_id: str | None = None
    event_id: str | None = None
    time: datetime | None = None


class AuditLog:
    """Append to and read the chain stored at a database URL."""

    def __init__(self, url: str, *, clock: Clock | None = None) -> None:
        self.url = url
        self.clock = clock or SystemClock()
        self.engine: Engine = store.open_engine(url)

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock | None = None) -> AuditLog:
        """The log in the run-state database (`DRCTL_DATABASE_URL` or SQLite under `.drctl/`)."""
        return cls(settings.state_database_url(), clock=clock)

    def append(self, entry: Entry) -> AuditEvent:
        """Link `entry` to the chain head and store it; a known `event_id` returns the stored event."""
        return self.append_many([entry])[0]

    def append_many(self, entries: Sequence[Entry]) -> list[AuditEvent]:
        """Append several entries in one transaction (one lock, one commit).

        A transient database fault is retried (`drctl.transient`): known event ids are
        looked up again inside the new transaction, so a retry never stores an event twice.
        """

        ready = [_Ready.of(entry, self.clock) for entry in entries]

        def attempt() -> list[AuditEvent]:
            with self.writing() as writer:
                linked = writer.link(ready)
            return [_event(item) for item in linked]

        return retry_transient(attempt)

    @contextmanager
    def writing(self) -> Iterator[ChainWriter]:
        """A locked transaction to append in, together with other writes on `writer.conn`."""
        with store.store_errors(self.url), store.write_transaction(self.engine) as conn:
            writer = ChainWriter(conn, _head(conn), self.clock)
            yield writer
            conn.execute(store.head.update().values(seq=writer.tip.seq, hash=writer.tip.hash))

    def head(self) -> ChainHead:
        """The recorded chain head (seq 0 and the genesis hash when empty)."""
        with store.store_errors(self.url), self.engine.connect() as conn:
            return _head(conn)

    def events(
        self, run_id: str | None = None, *, after: int = 0, until: int | None = None
    ) -> Iterator[AuditEvent]:
        """Stored events in seq order, optionally of one run and within (after, until]."""
        for row in self.rows(run_id, after=after, until=until):
            yield event_from_row(row)

    def rows(
        self, run_id: str | None = None, *, after: int = 0, until: int | None = None
    ) -> Iterator[Row[tuple[object, ...]]]:
        """Raw rows in seq order, fetched page by page (what `verify` streams)."""
        while True:
            query = sa.select(store.events).where(store.events.c.seq > after)
            if run_id is not None:
                query = query.where(store.events.c.run_id == run_id)
            if until is not None:
                query = query.where(store.events.c.seq <= until)
            with store.store_errors(self.url), self.engine.connect() as conn:
                page = conn.execute(query.order_by(store.events.c.seq).limit(_PAGE)).all()
            yield from page
            if len(page) < _PAGE:
                return
            after = page[-1].seq

    def find(self, event_id: str) -> AuditEvent | None:
        """The stored event with this event id, if any."""
        with store.store_errors(self.url), self.engine.connect() as conn:
            return _by_event_ids(conn, [event_id]).get(event_id)

    def run_span(self, run_id: str) -> tuple[int, int, int] | None:
        """(first seq, last seq, count) of a run's events, or None if it has none."""
        c = store.events.c
        query = sa.select(sa.func.min(c.seq), sa.func.max(c.seq), sa.func.count()).where(
            c.run_id == run_id
        )
        with store.store_errors(self.url), self.engine.connect() as conn:
            first, last, count = conn.execute(query).one()
        return None if not count else (int(first), int(last), int(count))

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


_INSERT = store.events.insert()
_BY_IDS = sa.select(store.events).where(
    store.events.c.event_id.in_(sa.bindparam("ids", expanding=True))
)
_ID_CHUNK = 500


class ChainWriter:
    """Appends inside one locked transaction, linking each event to the previous one."""

    def __init__(self, conn: Connection, tip: ChainHead, clock: Clock) -> None:
        self.conn = conn
        self.tip = tip
        self.clock = clock

    def append(self, entry: Entry) -> AuditEvent:
        """Store `entry` after the tip, or return the stored event with the same event id."""
        return self.append_all([entry])[0]

    def append_all(self, entries: Sequence[Entry]) -> list[AuditEvent]:
        """Store entries in order (one multi-row insert); known event ids return the stored event."""
        return [_event(item) for item in self.link([_Ready.of(e, self.clock) for e in entries])]

    def link(self, entries: Sequence[_Ready]) -> list[AuditEvent | dict[str, object]]:
        """Insert the entries not stored yet after the tip: the stored event, or the new row, of each."""
        ids = [e.entry.event_id for e in entries if e.entry.event_id is not None]
        known: dict[str, AuditEvent | dict[str, object]] = dict(_by_event_ids(self.conn, ids))
        result: list[AuditEvent | dict[str, object]] = []
        rows: list[dict[str, object]] = []
        for ready in entries:
            event_id = ready.entry.event_id
            found = known.get(event_id) if event_id is not None else None
            if found is None:
                found = self._row(ready)
                rows.append(found)
                if event_id is not None:
                    known[event_id] = found
            result.append(found)
        if rows:
            self.conn.execute(_INSERT, rows)
        return result

    def _row(self, ready: _Ready) -> dict[str, object]:
        entry, seq = ready.entry, self.tip.seq + 1
        digest = stored_hash(
            seq,
            ready.time,
            entry.run_id,
            entry.actor,
            entry.kind,
            entry.step_id,
            entry.event_id,
            ready.payload_json,
            self.tip.hash,
        )
        row: dict[str, object] = {
            "seq": seq,
            "time": ready.time,
            "run_id": entry.run_id,
            "actor": entry.actor,
            "kind": entry.kind,
            "step_id": entry.step_id,
            "event_id": entry.event_id,
            "payload": ready.payload_json,
            "prev_hash": self.tip.hash,
            "hash": digest,
        }
        self.tip = ChainHead(seq=seq, hash=digest)
        return row


@dataclass(frozen=True)
class _Ready:
    """An entry with its time and canonical payload worked out before the write lock is taken."""

    entry: Entry
    time: str
    payload_json: str

    @classmethod
    def of(cls, entry: Entry, clock: Clock) -> _Ready:
        return cls(entry, utc_text(entry.time or clock.now()), canonical_json(entry.payload))


def _event(item: AuditEvent | dict[str, object]) -> AuditEvent:
    """The event of a stored one or of a row just inserted."""
    if isinstance(item, AuditEvent):
        return item
    return AuditEvent.model_validate(
        {
            **item,
            "time": parse_utc(str(item["time"])),
            "payload": json.loads(str(item["payload"])),
        }
    )


def _head(conn: Connection) -> ChainHead:
    row = conn.execute(sa.select(store.head.c.seq, store.head.c.hash)).one()
    return ChainHead(seq=int(row.seq), hash=row.hash)


def _by_event_ids(conn: Connection, event_ids: list[str]) -> dict[str, AuditEvent]:
    found: dict[str, AuditEvent] = {}
    for start in range(0, len(event_ids), _ID_CHUNK):
        for row in conn.execute(_BY_IDS, {"ids": event_ids[start : start + _ID_CHUNK]}):
            event = event_from_row(row)
            found[str(event.event_id)] = event
    return found


def event_from_row(row: Row[tuple[object, ...]]) -> AuditEvent:
    """An `AuditEvent` from a stored row (no integrity check; see `verify`)."""
    m = row._mapping
    return AuditEvent(
        seq=int(str(m["seq"])),
        time=parse_utc(str(m["time"])),
        run_id=str(m["run_id"]),
        actor=str(m["actor"]),
        kind=str(m["kind"]),
        step_id=None if m["step_id"] is None else str(m["step_id"]),
        event_id=None if m["event_id"] is None else str(m["event_id"]),
        payload=json.loads(str(m["payload"])),
        prev_hash=str(m["prev_hash"]),
        hash=str(m["hash"]),
    )
