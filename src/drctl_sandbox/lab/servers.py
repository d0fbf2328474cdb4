"""The lab: two real PostgreSQL servers with streaming replication, and failure injection.

    lab = Lab.create(Settings().home / "lab", synchronous=False)   # initdb, pg_basebackup -R
    lab.primary.dsn, lab.standby.dsn                                # ap-northeast-1, ap-southeast-1
    lab.pause_replication()   # SIGSTOP the walsender: commits are acknowledged, never shipped
    failed_at = lab.kill_primary()                                  # SIGKILL, as a lost host
    lab.destroy()

State (ports, data directories) is kept in `lab.json` under the root, so `Lab.load(root)`
works from another process (`drctl lab status|down`).
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from drctl.clock import Clock, SystemClock
from drctl.errors import ConfigError, ProviderError
from drctl.providers.postgres import (
    ServerUnreachable,
    Standby,
    connect,
    read_standbys,
    read_state,
    server_name,
)
from drctl.providers.postgres_local import (
    LocalServer,
    base_backup,
    find_bin_dir,
    give_to_server_user,
    run_tool,
)
from drctl_sandbox.loopback import free_port

PRIMARY_REGION, STANDBY_REGION = "ap-northeast-1", "ap-southeast-1"
STATE_FILE = "lab.json"
# fsync off: the lab injects process kills, not power loss, and a killed server's writes are
# already in the kernel's page cache, so what survives a SIGKILL is the same; it saves seconds
# of syncing on every start. The short retry interval lets a standby notice a dead primary fast.
SERVER_CONFIG = """
fsync = off
wal_retrieve_retry_interval = '200ms'
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
wal_level = replica
max_wal_senders = 5
wal_keep_size = '128MB'
wal_log_hints = on
hot_standby = on
max_connections = 40
shared_buffers = '16MB'
"""


class LabServer(BaseModel):
    """One lab server: the region it stands for, its port and data directory."""

    model_config = ConfigDict(frozen=True)
    region: str
    port: int
    data_dir: Path

    @property
    def dsn(self) -> str:
        """libpq DSN (trust authentication on loopback: no password)."""
        return f"host=127.0.0.1 port={self.port} dbname=postgres user=postgres"


class LabState(BaseModel):
    """What `lab.json` records."""

    model_config = ConfigDict(frozen=True)
    root: Path
    bin_dir: Path
    synchronous: bool
    primary: LabServer
    standby: LabServer


class ServerStatus(BaseModel):
    """One lab server as it is now: running, and its role (primary, standby, read-only, down)."""

    model_config = ConfigDict(frozen=True)
    region: str
    port: int
    dsn: str
    data_dir: Path
    running: bool
    role: str
    wal_receiver: str | None = None
    standbys: list[Standby] = []


class LabStatus(BaseModel):
    """Both servers' status and where the lab lives."""

    model_config = ConfigDict(frozen=True)
    root: Path
    synchronous: bool
    servers: list[ServerStatus]


class Lab:
    """A running lab; create it with `Lab.create`, find it again with `Lab.load`."""

    def __init__(self, state: LabState, clock: Clock | None = None) -> None:
        self.state = state
        self.clock = clock or SystemClock()

    @property
    def primary(self) -> LabServer:
        return self.state.primary

    @property
    def standby(self) -> LabServer:
        return self.state.standby

    def local(self, server: LabServer) -> LocalServer:
        """`pg_ctl` access to one of the servers."""
        return LocalServer(self.state.bin_dir, server.data_dir, server.port)

    @classmethod
    def create(
        cls,
        root: Path,
        *,
        synchronous: bool = False,
        bin_dir: Path | None = None,
        template: Path | None = None,
    ) -> Lab:
        """initdb the primary (or copy `template`, see `initdb_template`), clone the standby with
        pg_basebackup -R, and wait until it streams."""
        root = root.resolve()
        if (root / STATE_FILE).exists():
            raise ConfigError(
                f"a lab already exists under {root}", hint="stop it first: drctl lab down"
            )
        root.mkdir(parents=True, exist_ok=True)
        give_to_server_user(root)
        _check_reachable(root)
        state = LabState(
            root=root,
            bin_dir=find_bin_dir(bin_dir),
            synchronous=synchronous,
            primary=LabServer(
                region=PRIMARY_REGION, port=free_port(), data_dir=root / PRIMARY_REGION
            ),
            standby=LabServer(
                region=STANDBY_REGION, port=free_port(), data_dir=root / STANDBY_REGION
            ),
        )
        lab = cls(state)
        try:
            lab._build(template)
        except BaseException:
            lab.destroy()
            raise
        return lab

    @classmethod
    def load(cls, root: Path) -> Lab:
        """The lab recorded under `root`."""
        path = root / STATE_FILE
        if not path.exists():
            raise ConfigError(f"no lab under {root.resolve()}", hint="start one: drctl lab up")
        return cls(LabState.model_validate_json(path.read_text(encoding="utf-8")))

    def _build(self, template: Path | None) -> None:
        primary, standby = self.local(self.primary), self.local(self.standby)
        if template is None:
            initdb(self.state.bin_dir, primary.data_dir)
        else:
            run_tool(
                ["cp", "-a", str(template), str(primary.data_dir)], what="copy of the lab template"
            )
        with (primary.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(SERVER_CONFIG + f"port = {primary.port}\n")
        with (primary.data_dir / "pg_hba.conf").open("a") as hba:
            hba.write("\nhost replication all 127.0.0.1/32 trust\n")
        primary.start()
        (self.state.root / STATE_FILE).write_text(
            self.state.model_dump_json(indent=2), encoding="utf-8"
        )
        base_backup(standby, self.primary.dsn)
        standby.start()
        if self.state.synchronous:
            self._make_synchronous()
        self.wait_streaming()

    def _make_synchronous(self) -> None:
        """Set on the primary only (after the clone), so a promoted standby does not wait for a peer."""
        with connect(self.primary.dsn) as conn:
            conn.execute("ALTER SYSTEM SET synchronous_standby_names = '*'")
            conn.execute("ALTER SYSTEM SET synchronous_commit = 'on'")
            conn.execute("SELECT pg_reload_conf()")

    def wait_streaming(self, timeout: float = 30) -> None:
        """Wait until the standby streams (and is the synchronous one, in synchronous mode)."""
        wanted = "sync" if self.state.synchronous else "async"
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            standbys = read_standbys(self.primary.dsn)
            if any(s.state == "streaming" and s.sync_state == wanted for s in standbys):
                return
            time.sleep(0.05)
        raise ProviderError(
            f"the lab standby is not streaming {wanted}hronously after {timeout:.0f}s",
            where=server_name(self.standby.dsn),
            hint=f"read {self.local(self.standby).log_file}",
        )

    def status(self) -> LabStatus:
        """Ask each server what it is now (roles change with failover and reprotection)."""
        servers = [self._server_status(s) for s in (self.primary, self.standby)]
        return LabStatus(root=self.state.root, synchronous=self.state.synchronous, servers=servers)

    def _server_status(self, server: LabServer) -> ServerStatus:
        base = {
            "region": server.region,
            "port": server.port,
            "dsn": server.dsn,
            "data_dir": server.data_dir,
        }
        if not self.local(server).running():
            return ServerStatus(**base, running=False, role="down")
        try:
            state = read_state(server.dsn)
        except ServerUnreachable:
            return ServerStatus(**base, running=True, role="unreachable")
        if state.in_recovery:
            return ServerStatus(
                **base, running=True, role="standby", wal_receiver=state.wal_receiver
            )
        role = "primary" if state.writable else "read-only"
        return ServerStatus(**base, running=True, role=role, standbys=read_standbys(server.dsn))

    def walsender_pids(self) -> list[int]:
        """Pids of the primary's WAL sender processes."""
        with connect(self.primary.dsn) as conn:
            return [int(r[0]) for r in conn.execute("SELECT pid FROM pg_stat_replication")]

    def pause_replication(self) -> list[int]:
        """SIGSTOP the walsenders: the primary keeps acknowledging commits it no longer ships.

        Asynchronous replication acknowledges a commit once it is in the primary's WAL; with the
        sender stopped, those commits exist only on the primary, so a crash loses them (real loss).
        """
        pids = self.walsender_pids()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        return pids

    def kill_primary(self) -> datetime:
        """SIGKILL the primary's postmaster, then its children (the host is gone); the failure instant."""
        pid = self.local(self.primary).postmaster_pid()
        if pid is None:
            raise ConfigError("the lab primary is not running", hint="drctl lab status")
        children = child_pids(pid)
        os.kill(pid, signal.SIGKILL)
        failed_at = self.clock.now()
        for child in children:
            _kill(child, signal.SIGKILL)
        return failed_at

    def stop(self) -> None:
        """Stop both servers (waking any paused walsender first); data stays."""
        for server in (self.primary, self.standby):
            local = self.local(server)
            pid = local.postmaster_pid()
            if pid is not None:
                for child in child_pids(pid):
                    _kill(child, signal.SIGCONT)
            local.stop("immediate")

    def destroy(self) -> None:
        """Stop both servers and remove the lab's directory."""
        self.stop()
        shutil.rmtree(self.state.root, ignore_errors=True)


def initdb(bin_dir: Path, data_dir: Path) -> None:
    """A new cluster with trust authentication for the `postgres` role."""
    run_tool(
        [str(bin_dir / "initdb"), "-D", str(data_dir), "-A", "trust", "-U", "postgres",
         "-E", "UTF8", "--locale=C", "--no-sync"],
        what=f"initdb of {data_dir}",
    )  # fmt: skip


def initdb_template(root: Path, bin_dir: Path | None = None) -> Path:
    """A pristine initdb'ed data directory under `root` that `Lab.create(template=...)` copies.

    Copying it saves initdb's second or two per lab (tests, repeated demos); reused if present.
    """
    path = root / "template"
    if not (path / "PG_VERSION").exists():
        root.mkdir(parents=True, exist_ok=True)
        give_to_server_user(root)
        _check_reachable(root)
        shutil.rmtree(path, ignore_errors=True)
        initdb(find_bin_dir(bin_dir), path)
    return path


def _check_reachable(root: Path) -> None:
    """PostgreSQL runs as its own OS user, which must be able to enter every parent directory."""
    try:
        run_tool(["test", "-w", str(root)], what="access check")
    except ProviderError as exc:
        raise ConfigError(
            f"the PostgreSQL OS user cannot write to {root}",
            hint="use a lab directory whose parents are world-searchable (chmod o+x), e.g. under /tmp",
        ) from exc


def child_pids(parent: int) -> list[int]:
    """Pids whose parent is `parent`, read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found


def _kill(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
