"""Self-managed PostgreSQL servers on this host: server binaries, `pg_ctl`, base backups, rewind.

Used by the `postgres.reprotect` action (it needs the old primary's data directory, so it is
for self-managed and lab servers, not RDS or Aurora) and by the lab. PostgreSQL refuses to run
as root: when drctl runs as root, the binaries run as the `postgres` OS user via `runuser`.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from drctl.errors import ConfigError, ProviderError
from drctl.providers.postgres import server_name

SERVER_USER = "postgres"
TOOLS = ("initdb", "pg_ctl", "pg_basebackup", "pg_rewind")


def find_bin_dir(preferred: str | Path | None = None) -> Path:
    """The directory holding `initdb` and `pg_ctl`: `preferred`, then PATH, then Debian's newest."""
    found = shutil.which("initdb")
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_major, reverse=True)
    for candidate in [preferred, Path(found).resolve().parent if found else None, *debian]:
        if candidate and all((Path(candidate) / tool).is_file() for tool in TOOLS):
            return Path(candidate)
    raise ConfigError(
        "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not found",
        hint="install them with `make postgres-bin` (Debian: apt-get install postgresql)",
    )


def _major(path: str) -> int:
    name = Path(path).parent.name
    return int(name) if name.isdigit() else 0


def as_server_user(argv: list[str]) -> list[str]:
    """`argv` run as the `postgres` OS user when drctl runs as root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", SERVER_USER, "--", *argv]
    return argv


def give_to_server_user(path: Path) -> None:
    """Hand a directory to the `postgres` OS user (when running as root)."""
    if os.geteuid() == 0:
        shutil.chown(path, SERVER_USER, SERVER_USER)


def run_tool(argv: list[str], *, what: str, timeout: float = 120) -> str:
    """Run a PostgreSQL tool as the server user; a failure names the tool and its last words."""
    try:
        done = subprocess.run(
            as_server_user(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd="/",
        )
    except FileNotFoundError as exc:
        raise ConfigError(
            f"{what}: {exc.filename} not found", hint="install PostgreSQL's server binaries"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise ProviderError(
            f"{what} did not finish within {timeout:.0f}s", retryable=True, code="Timeout"
        ) from exc
    if done.returncode != 0:
        last = " / ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise ProviderError(
            f"{what} failed (exit {done.returncode}): {last}", code=f"exit {done.returncode}"
        )
    return done.stdout


def process_alive(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie (read from /proc)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@dataclass(frozen=True)
class LocalServer:
    """One server's data directory and port, driven with `pg_ctl`."""

    bin_dir: Path
    data_dir: Path
    port: int

    @property
    def log_file(self) -> Path:
        """The server log, beside (not inside) the data directory so base backups skip it."""
        return self.data_dir.with_name(self.data_dir.name + ".log")

    def tool(self, name: str) -> str:
        """Path of one of the server binaries."""
        return str(self.bin_dir / name)

    def running(self) -> bool:
        """Whether the postmaster of `postmaster.pid` lives (a SIGKILLed one may linger as a zombie)."""
        pid = self.postmaster_pid()
        return pid is not None and process_alive(pid)

    def start(self, timeout: int = 30) -> None:
        """Start and wait until it accepts connections."""
        run_tool(
            [self.tool("pg_ctl"), "start", "-w", "-t", str(timeout), "-D", str(self.data_dir),
             "-l", str(self.log_file), "-o", f"-p {self.port}"],
            what=f"pg_ctl start of {self.data_dir}", timeout=timeout + 10,
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop if running (`fast` rolls back sessions; `immediate` is a crash stop).

        A killed postmaster's lock file is removed: where nothing reaps the dead process (a
        container's init), its zombie keeps the pid alive and PostgreSQL would refuse to start.
        """
        pid = self.postmaster_pid()
        if pid is not None and not process_alive(pid):
            (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
        if self.running():
            run_tool(
                [self.tool("pg_ctl"), "stop", "-w", "-m", mode, "-D", str(self.data_dir)],
                what=f"pg_ctl stop of {self.data_dir}",
            )

    def postmaster_pid(self) -> int | None:
        """The postmaster's pid from `postmaster.pid`, if the file is there."""
        try:
            first = (self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
        except OSError:
            return None
        return int(first) if first.strip().isdigit() else None

    def set_port(self) -> None:
        """Pin this server's port in its configuration (copied files carry the source's)."""
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {self.port}\n")


def base_backup(server: LocalServer, source_dsn: str) -> None:
    """Clone `source_dsn` into the (absent or empty) data directory as a streaming standby."""
    run_tool(
        [server.tool("pg_basebackup"), "-d", source_dsn, "-D", str(server.data_dir),
         "-R", "-X", "stream", "-c", "fast", "--no-sync"],
        what=f"pg_basebackup from {server_name(source_dsn)}",
    )  # fmt: skip
    server.set_port()


def rewind(server: LocalServer, source_dsn: str) -> None:
    """Rewind a stopped ex-primary onto the new primary's timeline and make it a standby.

    Since PostgreSQL 13, pg_rewind first finishes crash recovery itself when the target was
    not shut down cleanly (e.g. after SIGKILL). It needs `wal_log_hints` or data checksums.
    """
    run_tool(
        [
            server.tool("pg_rewind"),
            "-D",
            str(server.data_dir),
            f"--source-server={source_dsn}",
            "-R",
        ],
        what=f"pg_rewind from {server_name(source_dsn)}",
    )
    server.set_port()
