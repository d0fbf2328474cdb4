"""One queue per SQLite file for this process's writers, instead of SQLite's busy-wait.

SQLite lets one connection write at a time. A connection that finds the file locked
sleeps in SQLite's busy handler (1, 2, 5, ... up to 100 ms between tries), so a thousand
steps journaling at once spend most of their time asleep while the lock is free. Every
engine this process opens on a SQLite file (the journal's, shared with DBOS, and the
audit log's) takes a per-file lock here just before its first write statement and
releases it at commit or rollback: writers of one process wait in line on a Python lock,
woken the moment the previous one commits. Other processes still meet SQLite's own lock
and busy timeout. Reads take no lock (WAL lets them run beside the writer).

The line is ordered by `drctl.priority.priority` (a context variable; lower goes first, then first come):
the scheduler gives each step its remaining critical path, so when a thousand steps start
together the ones the run's end waits for journal first. Code outside any step (the
workflow thread, DBOS) goes before every step.
"""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from drctl.priority import PrioritySemaphore

_WAIT_SECONDS = 30.0
"""After this long in line, go on to SQLite's own busy timeout rather than wait for ever."""

_WRITES = ("insert", "update", "delete", "replace", "begin immediate", "begin exclusive")
_locks: dict[str, PrioritySemaphore] = {}
_registry = threading.Lock()


def _lock_of(database: str) -> PrioritySemaphore:
    with _registry:
        return _locks.setdefault(database, PrioritySemaphore(1))


def serialize_writes(engine: sa.Engine) -> None:
    """Make `engine`'s connections queue for the file's process-wide write lock (SQLite only)."""
    if engine.dialect.name != "sqlite":
        return
    database = engine.url.database or ""
    if not database or database == ":memory:":
        return
    lock = _lock_of(str(database))
    holders: set[int] = set()  # ids of the DBAPI connections holding `lock`
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def _release(dbapi_conn: Any) -> None:
        if id(dbapi_conn) in holders:
            holders.discard(id(dbapi_conn))
            lock.release()

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: sa.Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        dbapi_conn = conn.connection.dbapi_connection
        if id(dbapi_conn) in holders or not statement.lstrip()[:16].lower().startswith(_WRITES):
            return
        if lock.acquire(timeout=_WAIT_SECONDS):
            holders.add(id(dbapi_conn))

    def do_commit(dbapi_conn: Any) -> None:
        try:
            commit(dbapi_conn)
        finally:
            _release(dbapi_conn)

    def do_rollback(dbapi_conn: Any) -> None:
        try:
            rollback(dbapi_conn)
        finally:
            _release(dbapi_conn)

    dialect.do_commit = do_commit  # type: ignore[method-assign,assignment]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign,assignment]

    @event.listens_for(engine, "checkin")
    def _checkin(dbapi_conn: Any, _record: Any) -> None:
        _release(dbapi_conn)

    @event.listens_for(engine, "invalidate")
    def _invalidate(dbapi_conn: Any, _record: Any, _exc: Any) -> None:
        _release(dbapi_conn)
