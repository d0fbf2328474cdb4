"""PostgreSQL streaming replication: promote a standby, fence the old primary, check writes and lag.

psycopg errors are translated once, here (`connect`, `pg_errors`), into `ProviderError`
subclasses. Messages and `where` name a server as `postgres host:port/dbname`, never by its
DSN, which may carry a password. The actions need a role allowed to call `pg_promote()`,
`ALTER SYSTEM` and `pg_reload_conf()` (a superuser, or grants to that effect).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, ClassVar

import psycopg
from psycopg import errors as pg
from psycopg.conninfo import conninfo_to_dict
from pydantic import Field

from drctl.errors import ProviderError, StateError
from drctl.model import Frozen
from drctl.plan.durations import Duration
from drctl.providers.base import ActionContext, Outcome, Output, Params
from drctl.providers.retry import wait_for

Connection = psycopg.Connection[tuple[Any, ...]]
_PASSWORD = re.compile(r"(password\s*=\s*)\S+|(://[^:/@]+:)[^@]+@", re.IGNORECASE)


class ServerUnreachable(ProviderError):
    """The server did not accept a connection (down, fenced off the network, wrong address)."""


def server_name(dsn: str) -> str:
    """`postgres host:port/dbname` for messages: the DSN minus anything secret."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "postgres server (unparsable DSN)"
    host = parts.get("host") or parts.get("hostaddr") or "localhost"
    return f"postgres {host}:{parts.get('port') or 5432}/{parts.get('dbname') or parts.get('user') or ''}"


def _first_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return _PASSWORD.sub(
        lambda m: (m.group(1) or m.group(2)) + "***" + ("@" if m.group(2) else ""), text
    )


def connect(dsn: str, *, timeout: timedelta = timedelta(seconds=3)) -> Connection:
    """An autocommit connection; failing to connect is a retryable `ServerUnreachable`."""
    try:
        return psycopg.connect(
            dsn, autocommit=True, connect_timeout=max(1, int(timeout.total_seconds()))
        )
    except psycopg.Error as exc:
        raise ServerUnreachable(
            f"cannot connect: {_first_line(exc)}",
            hint="check the server is running and reachable, and the DSN's host and port",
            where=server_name(dsn),
            retryable=True,
            code="ConnectionFailed",
        ) from exc


@contextmanager
def pg_errors(where: str) -> Iterator[None]:
    """Translate psycopg errors raised inside the block into `ProviderError` subclasses."""
    try:
        yield
    except pg.ReadOnlySqlTransaction as exc:
        raise StateError(
            f"refuses writes: {_first_line(exc)}",
            hint="the server is a standby or fenced read-only; promote it (postgres.promote) "
            "or point the step at the new primary",
            where=where,
            code=exc.sqlstate or "25006",
        ) from exc
    except pg.InsufficientPrivilege as exc:
        raise StateError(
            f"not allowed: {_first_line(exc)}",
            hint="connect as a superuser, or grant the role what the action needs",
            where=where,
            code=exc.sqlstate or "42501",
        ) from exc
    except psycopg.OperationalError as exc:
        raise ProviderError(
            _first_line(exc), where=where, retryable=True, code=getattr(exc, "sqlstate", "") or ""
        ) from exc
    except psycopg.Error as exc:
        raise ProviderError(_first_line(exc), where=where, code=exc.sqlstate or "") from exc


class ServerState(Frozen):
    """What a server says about its role: standby (in recovery), read-only, streaming."""

    server: str
    in_recovery: bool
    read_only: bool
    wal_receiver: str | None = None

    @property
    def writable(self) -> bool:
        """A primary that accepts writes by default."""
        return not self.in_recovery and not self.read_only


def read_state(dsn: str, timeout: timedelta = timedelta(seconds=3)) -> ServerState:
    """Read the server's role and read-only setting."""
    where = server_name(dsn)
    with connect(dsn, timeout=timeout) as conn, pg_errors(where):
        row = conn.execute(
            "SELECT pg_is_in_recovery(), current_setting('default_transaction_read_only'),"
            " (SELECT status FROM pg_stat_wal_receiver LIMIT 1)"
        ).fetchone()
    assert row is not None
    return ServerState(
        server=where, in_recovery=row[0], read_only=row[1] == "on", wal_receiver=row[2]
    )


class ServerParams(Params):
    """A PostgreSQL server, by libpq DSN (prefer PGPASSWORD or ~/.pgpass over a password in it)."""

    dsn: str
    timeout: Duration = timedelta(seconds=60)


class PostgresAction:
    """Shared plumbing: params, context, and polling on the context's clock."""

    kind: ClassVar[str]
    Params: ClassVar[type[Params]] = ServerParams
    events: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, params: ServerParams, ctx: ActionContext) -> None:
        self.params = params
        self.ctx = ctx
        self.server = server_name(params.dsn)

    def current(self) -> Output:
        return read_state(self.params.dsn).model_dump(mode="json")

    def wait_state(self, problem: Any, deadline: float) -> ServerState:
        """Poll the server's state until `problem(state)` is empty."""
        read = lambda: read_state(self.params.dsn)  # noqa: E731
        found: ServerState = wait_for(
            read,
            problem,
            clock=self.ctx.clock,
            deadline=deadline,
            where=self.server,
            expected_at=self.ctx.expected_at,
        )
        return found


class Promote(PostgresAction):
    """Promote a streaming standby with `pg_promote(true, timeout)`; a no-op on a primary."""

    kind = "postgres.promote"

    def describe(self) -> str:
        return f"promote standby {self.server} to primary (pg_promote)"

    def apply(self) -> Outcome:
        if not read_state(self.params.dsn).in_recovery:
            return Outcome(
                changed=False, detail=f"{self.server} is already a primary (not in recovery)"
            )
        seconds = max(1, int(self.params.timeout.total_seconds()))
        started = time.monotonic()
        with connect(self.params.dsn) as conn, pg_errors(self.server):
            row = conn.execute("SELECT pg_promote(true, %s)", (seconds,)).fetchone()
        if row is None or not row[0]:
            raise StateError(
                f"promotion did not finish within {seconds}s",
                hint="read the server log; the step can be run again",
                where=self.server,
                retryable=True,
                code="PromoteTimeout",
            )
        return Outcome(changed=True, detail=f"promoted in {time.monotonic() - started:.2f}s")

    def verify(self, deadline: float) -> Output:
        state = self.wait_state(lambda s: "still in recovery" if s.in_recovery else "", deadline)
        return {"server": state.server, "in_recovery": state.in_recovery}


class Fence(PostgresAction):
    """Make the old primary refuse writes if it is reachable; an unreachable one is already fenced.

    The fence is `ALTER SYSTEM SET default_transaction_read_only = on`, a reload, and the end of
    other client sessions (so no open transaction keeps writing). A client could still `SET` it
    off per session: stop the server too where that matters.
    """

    kind = "postgres.fence"

    def describe(self) -> str:
        return f"fence old primary {self.server}: read-only if reachable"

    def apply(self) -> Outcome:
        try:
            state = read_state(self.params.dsn)
        except ServerUnreachable as exc:
            return Outcome(
                changed=False,
                detail=f"unreachable ({exc.message}): a dead primary takes no writes, so it counts as fenced",
                output={"fenced": True, "reachable": False},
            )
        if not state.writable:
            why = "a standby (in recovery)" if state.in_recovery else "already read-only"
            return Outcome(
                changed=False,
                detail=f"{self.server} is {why}",
                output={"fenced": True, "reachable": True},
            )
        with connect(self.params.dsn) as conn, pg_errors(self.server):
            conn.execute("ALTER SYSTEM SET default_transaction_read_only = on")
            conn.execute("SELECT pg_reload_conf()")
            ended = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
            ).fetchone()
        count = ended[0] if ended else 0
        return Outcome(
            changed=True,
            detail=f"set read-only and ended {count} client session(s)",
            output={"fenced": True, "reachable": True},
        )

    def verify(self, deadline: float) -> Output:
        try:
            read_state(self.params.dsn)
        except ServerUnreachable:
            return {"fenced": True, "reachable": False}
        state = self.wait_state(
            lambda s: "" if not s.writable else "still accepts writes", deadline
        )
        return {"fenced": True, "reachable": True, "in_recovery": state.in_recovery}


class WritableParams(ServerParams):
    """The new primary and the table the write check uses (created if missing)."""

    table: str = Field(default="drctl_write_check", pattern=r"^[a-z_][a-z0-9_]{0,62}$")


class VerifyWritable(PostgresAction):
    """A write round-trip on the new primary: insert a token, read it back."""

    kind = "postgres.verify-writable"
    Params = WritableParams

    def describe(self) -> str:
        return f"write to and read back from {self.server}"

    def apply(self) -> Outcome:
        p = self.params
        assert isinstance(p, WritableParams)
        token, started = secrets.token_hex(8), time.monotonic()
        with connect(p.dsn) as conn, pg_errors(self.server):
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {p.table} (token text PRIMARY KEY, run_id text,"
                " step_id text, written_at timestamptz DEFAULT now())"
            )
            conn.execute(
                f"INSERT INTO {p.table} (token, run_id, step_id) VALUES (%s, %s, %s)",
                (token, self.ctx.run_id, self.ctx.step_id),
            )
            row = conn.execute(
                f"SELECT count(*) FROM {p.table} WHERE token = %s", (token,)
            ).fetchone()
        if row is None or row[0] != 1:
            raise StateError(
                "the written row cannot be read back", where=self.server, code="ReadBack"
            )
        elapsed = (time.monotonic() - started) * 1000
        return Outcome(
            changed=False,
            detail=f"wrote and read back a row in {elapsed:.1f} ms",
            output={"token": token},
        )

    def verify(self, deadline: float) -> Output:
        state = self.wait_state(lambda s: "" if s.writable else "refuses writes", deadline)
        return {"server": state.server, "writable": True}


class Standby(Frozen):
    """One standby as the primary sees it in `pg_stat_replication`."""

    name: str
    address: str | None
    state: str
    sync_state: str
    lag_seconds: float
    behind_bytes: int


class LagParams(ServerParams):
    """The primary, the lag it tolerates (the RPO) and how many standbys must be streaming."""

    max_lag: Duration
    standbys: int = Field(default=1, ge=1)


def read_standbys(dsn: str) -> list[Standby]:
    """The standbys connected to the primary at `dsn`, with replay lag in time and bytes."""
    where = server_name(dsn)
    with connect(dsn) as conn, pg_errors(where):
        rows = conn.execute(
            "SELECT application_name, client_addr::text, state, sync_state,"
            " COALESCE(EXTRACT(epoch FROM replay_lag), 0)::float8,"
            " COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::bigint"
            " FROM pg_stat_replication"
        ).fetchall()
    return [
        Standby(
            name=r[0],
            address=r[1],
            state=r[2],
            sync_state=r[3],
            lag_seconds=r[4],
            behind_bytes=r[5],
        )
        for r in rows
    ]


class ReplicationLag(PostgresAction):
    """Read-only check: enough standbys stream from the primary and replay lag is under `max_lag`."""

    kind = "postgres.replication-lag"
    Params = LagParams

    def describe(self) -> str:
        p = self.params
        assert isinstance(p, LagParams)
        return f"check {p.standbys} standby(s) of {self.server} replay within {p.max_lag}"

    def current(self) -> Output:
        return {"standbys": [s.model_dump(mode="json") for s in read_standbys(self.params.dsn)]}

    def apply(self) -> Outcome:
        return Outcome(changed=False, detail="read-only")

    def verify(self, deadline: float) -> Output:
        p = self.params
        assert isinstance(p, LagParams)
        limit = p.max_lag.total_seconds()

        def problem(found: list[Standby]) -> str:
            streaming = [s for s in found if s.state == "streaming"]
            if len(streaming) < p.standbys:
                return f"{len(streaming)} standby(s) streaming, {p.standbys} wanted"
            worst = max(s.lag_seconds for s in streaming)
            return f"replay lag {worst:.3f}s exceeds {limit:.3f}s" if worst > limit else ""

        read = lambda: read_standbys(p.dsn)  # noqa: E731
        found = wait_for(
            read,
            problem,
            clock=self.ctx.clock,
            deadline=deadline,
            where=self.server,
            expected_at=self.ctx.expected_at,
        )
        worst = max(s.lag_seconds for s in found if s.state == "streaming")
        return {"standbys": [s.model_dump(mode="json") for s in found], "max_lag_seconds": worst}
