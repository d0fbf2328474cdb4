"""Transient state-database errors, and the bounded retry the journal and the audit log share.

A connection the server ended (`pg_terminate_backend`, a restart, a failover), a pool
that cannot connect for a moment, a serialisation conflict or SQLite's `database is
locked` clear up on their own; a constraint violation or a syntax error does not. Only
the first kind is retried, for at most `RETRY_SECONDS` (long enough for an Aurora or a
Multi-AZ RDS failover, which AWS documents at 30 s to 2 min). What is retried must be
safe to repeat: every caller's write is idempotent (an update, or an insert under a key
checked first).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

T = TypeVar("T")

RETRY_SECONDS = 120.0
_FIRST_DELAY = 0.05
_MAX_DELAY = 1.0
# SQLSTATE classes: 08 connection exception, 53 insufficient resources, 57P operator
# intervention (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now).
_PG_TRANSIENT_PREFIXES = ("08", "53", "57P")
# serialization_failure and deadlock_detected: the transaction was rolled back whole.
_PG_TRANSIENT_CODES = ("40001", "40P01")
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
_CONNECTION_LOST = ("server closed the connection", "connection failed", "the connection is lost")


def is_transient(exc: BaseException) -> bool:
    """Whether `exc`, or an error it was raised from, is a database fault worth retrying."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa.exc.SQLAlchemyError) and _transient_sqlalchemy(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _transient_sqlalchemy(exc: sa.exc.SQLAlchemyError) -> bool:
    if isinstance(exc, sa.exc.TimeoutError):  # no pooled connection came free in time
        return True
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        return False
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    if sqlstate.startswith(_PG_TRANSIENT_PREFIXES) or sqlstate in _PG_TRANSIENT_CODES:
        return True
    text = str(exc.orig).lower()
    return any(s in text for s in _SQLITE_BUSY + _CONNECTION_LOST)


def retry_transient(
    operation: Callable[[], T],
    *,
    budget: float = RETRY_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> T:
    """Run `operation`, again after a transient fault, until it succeeds or `budget` seconds pass.

    The delay doubles from 50 ms to 1 s, so a database back within a second costs little
    and a longer outage is polled once a second. A fault that outlives the budget, or any
    other error, is raised as it came.
    """
    end = monotonic() + budget
    delay = _FIRST_DELAY
    while True:
        try:
            return operation()
        except Exception as exc:
            if not is_transient(exc) or monotonic() + delay > end:
                raise
        sleep(delay)
        delay = min(delay * 2, _MAX_DELAY)


def create_tables(metadata: sa.MetaData, engine: sa.Engine) -> None:
    """Create `metadata`'s tables; a process creating them at the same moment is no error."""
    try:
        metadata.create_all(engine)
    except sa.exc.DBAPIError as exc:
        # create_all checks, then creates: two first runs on a new database race between them.
        if "already exists" not in str(exc.orig) and "duplicate key" not in str(exc.orig):
            raise
        metadata.create_all(engine)
