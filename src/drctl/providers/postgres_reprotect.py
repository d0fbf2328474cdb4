"""`postgres.reprotect`: rebuild the old primary as a standby of the new one, ready for failback.

It works on the old primary's data directory on this host (`pg_rewind`, or a fresh
`pg_basebackup` when rewinding is impossible), so it is for self-managed and lab servers.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import ClassVar, Literal

from psycopg.conninfo import conninfo_to_dict

from drctl.errors import ProviderError
from drctl.plan.durations import Duration
from drctl.providers.base import ActionContext, Outcome, Output, Params
from drctl.providers.postgres import ServerState, ServerUnreachable, read_state, server_name
from drctl.providers.postgres_local import LocalServer, base_backup, find_bin_dir, rewind
from drctl.providers.retry import wait_for


class ReprotectParams(Params):
    """The new primary, where the rebuilt standby will answer, and its local data directory."""

    dsn: str
    standby_dsn: str
    data_dir: str
    bin_dir: str | None = None
    method: Literal["auto", "rewind", "basebackup"] = "auto"
    timeout: Duration = timedelta(minutes=10)


class Reprotect:
    """Makes the old primary a streaming standby of the new primary (no-op if it already is)."""

    kind: ClassVar[str] = "postgres.reprotect"
    Params: ClassVar[type[ReprotectParams]] = ReprotectParams
    events: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, params: ReprotectParams, ctx: ActionContext) -> None:
        self.params = params
        self.ctx = ctx
        self.source = server_name(params.dsn)
        self.target = server_name(params.standby_dsn)

    def describe(self) -> str:
        return f"rebuild {self.target} ({self.params.data_dir}) as a standby of {self.source} ({self.params.method})"

    def _standby(self) -> ServerState | None:
        try:
            return read_state(self.params.standby_dsn)
        except ServerUnreachable:
            return None

    def current(self) -> Output:
        state = self._standby()
        return {"standby": state.model_dump(mode="json") if state else None}

    def apply(self) -> Outcome:
        state = self._standby()
        if state is not None and state.in_recovery and state.wal_receiver == "streaming":
            return Outcome(changed=False, detail=f"{self.target} already streams as a standby")
        read_state(self.params.dsn)  # the new primary must answer before the old data is touched
        port = int(conninfo_to_dict(self.params.standby_dsn).get("port") or 5432)
        server = LocalServer(find_bin_dir(self.params.bin_dir), Path(self.params.data_dir), port)
        server.stop("fast")
        how = self._rebuild(server)
        server.start()
        return Outcome(changed=True, detail=f"rebuilt with {how} and started on port {port}")

    def _rebuild(self, server: LocalServer) -> str:
        if self.params.method != "basebackup":
            try:
                rewind(server, self.params.dsn)
                return "pg_rewind"
            except ProviderError as exc:
                if self.params.method == "rewind":
                    raise
                self.ctx.log(f"pg_rewind failed, taking a fresh base backup: {exc.message}")
        aside = server.data_dir.with_name(server.data_dir.name + ".before-reprotect")
        shutil.rmtree(aside, ignore_errors=True)
        server.data_dir.rename(aside)
        base_backup(server, self.params.dsn)
        shutil.rmtree(aside, ignore_errors=True)
        return "pg_basebackup"

    def verify(self, deadline: float) -> Output:
        def problem(state: ServerState) -> str:
            if not state.in_recovery:
                return f"{self.target} is not in recovery"
            return (
                "" if state.wal_receiver == "streaming" else f"WAL receiver is {state.wal_receiver}"
            )

        state = wait_for(
            lambda: read_state(self.params.standby_dsn),
            problem,
            clock=self.ctx.clock,
            expected_at=self.ctx.expected_at,
            deadline=deadline,
            where=self.target,
        )
        return {"standby": state.server, "wal_receiver": state.wal_receiver}
