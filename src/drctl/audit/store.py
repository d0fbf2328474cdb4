"""The audit tables beside run state (SQLite or PostgreSQL) and the write lock that serialises appends.

Every append runs in one database transaction that first takes a database-wide write lock
(SQLite `BEGIN IMMEDIATE`, PostgreSQL `pg_advisory_xact_lock`), then reads the chain head,
so appends from any number of processes form one chain. SQLAlchemy errors are translated
here, once, into `AuditStoreError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from drctl.errors import EXIT_FAILED, DrctlError
from drctl.sqlite_writers import serialize_writes

# Arbitrary constant naming drctl's audit lock among PostgreSQL advisory locks.
_PG_LOCK_KEY = 0x647263746C41
_WRITE = "drctl_audit_write"

metadata = sa.MetaData()

events = sa.Table(
    "drctl_audit_events",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("time", sa.String(32), nullable=False),
    sa.Column("run_id", sa.String(200), nullable=False, index=True),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(100), nullable=False),
    sa.Column("step_id", sa.String(200)),
    sa.Column("event_id", sa.String(400), unique=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

head = sa.Table(
    "drctl_audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

signatures = sa.Table(
    "drctl_audit_signatures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("signed_at", sa.String(32), nullable=False),
    sa.Column("signer", sa.String(200), nullable=False),
    sa.Column("public_key", sa.Text, nullable=False),
    sa.Column("signature", sa.Text, nullable=False),
)

actions = sa.Table(
    "drctl_audit_actions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("plan", sa.String(200), nullable=False, index=True),
    sa.Column("run_id", sa.String(200), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("due", sa.String(10), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("closed_at", sa.String(32)),
    sa.Column("closed_by", sa.String(200)),
    sa.Column("resolution", sa.Text),
)


class AuditStoreError(DrctlError):
    """The audit database could not be read or written; nothing was recorded."""

    exit_code = EXIT_FAILED


def sqlalchemy_url(url: str) -> str:
    """Map the user's `postgresql://` to SQLAlchemy's psycopg 3 driver; leave others alone."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@contextmanager
def store_errors(url: str) -> Iterator[None]:
    """Translate SQLAlchemy errors into `AuditStoreError` naming the database."""
    try:
        yield
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise AuditStoreError(
            f"audit database error: {reason}",
            where=_safe_url(url),
            hint="check DRCTL_DATABASE_URL and that the database is reachable and writable",
        ) from exc


def _safe_url(url: str) -> str:
    return sa.engine.make_url(sqlalchemy_url(url)).render_as_string(hide_password=True)


def open_engine(url: str) -> Engine:
    """An engine for `url` with the audit tables created; SQLite gets WAL and `BEGIN IMMEDIATE` writes."""
    target = sqlalchemy_url(url)
    with store_errors(url):
        if target.startswith("sqlite"):
            engine = _sqlite_engine(target)
        else:
            # No server-side prepared statements: PostgreSQL's generic plan for the duplicate
            # lookup (`event_id IN (...)`, table without statistics yet) was a sequential scan.
            engine = sa.create_engine(
                target, pool_pre_ping=True, connect_args={"prepare_threshold": None}
            )
        with write_transaction(engine) as conn:
            metadata.create_all(conn)
            if conn.execute(sa.select(head.c.id)).first() is None:
                conn.execute(head.insert().values(id=1, seq=0, hash="0" * 64))
    return engine


def _sqlite_engine(target: str) -> Engine:
    database = sa.engine.make_url(target).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(target, connect_args={"timeout": 60})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
        dbapi_conn.execute("PRAGMA busy_timeout=60000")
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        # As the journal in the same file: WAL + NORMAL survives any process crash; an OS
        # crash may drop the newest commits, journal and audit alike (one WAL, in order),
        # and the steps they recorded run again under the same event ids. FULL cost an
        # fsync per event (~20 ms on a busy disk), most of a step's time.
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    serialize_writes(engine)
    return engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction holding the database-wide audit write lock until it commits."""
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK_KEY)))
            yield conn
