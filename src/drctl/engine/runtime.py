"""The DBOS handle: one per process, launched on first use, destroyed cleanly for tests.

The application version is pinned (drctl's version plus `ENGINE_REVISION`) rather than
DBOS's default hash of the workflow code, so a restarted drctl recovers the runs an
earlier process left behind. Bump `ENGINE_REVISION` only when the workflow's sequence
of durable operations changes incompatibly.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from dbos import DBOS, DBOSClient, DBOSConfig

from drctl import __version__
from drctl.engine import journal
from drctl.errors import ConfigError
from drctl.settings import Settings

ENGINE_REVISION = "1"
APP_NAME = "drctl"


def application_version() -> str:
    """The pinned DBOS application version."""
    return f"drctl-{__version__}-engine{ENGINE_REVISION}"


@dataclass(frozen=True)
class Launched:
    """What the process's DBOS instance was launched with."""

    url: str
    executor_id: str
    settings: Settings


_lock = threading.RLock()
_launched: Launched | None = None
_clients: dict[str, DBOSClient] = {}
_prepared: set[str] = set()
_running = [0]
_running_changed = threading.Condition()


def launched() -> Launched | None:
    """The running instance, if any."""
    return _launched


def ensure_launched(settings: Settings) -> Launched:
    """Launch DBOS for `settings` (recovering this executor's interrupted runs), once per process."""
    global _launched
    from drctl.engine import approvals, workflow  # noqa: F401  (registers the workflows)

    url = prepare_database(settings)
    with _lock:
        if _launched is not None:
            if _launched.url != url:
                raise ConfigError(
                    f"the engine already runs against {_launched.url}",
                    hint="one process uses one state database; call engine.shutdown() first",
                )
            return _launched
        _route_dbos_logs()
        DBOS(config=_config(settings, url))
        DBOS.launch()
        logging.getLogger("dbos").setLevel(logging.WARNING)
        _launched = Launched(url, settings.host_executor_id(), settings)
        return _launched


@contextmanager
def active() -> Iterator[None]:
    """Count a workflow body running in this process (shutdown lets them wind down first)."""
    with _running_changed:
        _running[0] += 1
    try:
        yield
    finally:
        with _running_changed:
            _running[0] -= 1
            _running_changed.notify_all()


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is now (DBOS's own handler keeps the first one)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def _route_dbos_logs() -> None:
    """DBOS logs warnings and errors only, through a handler that follows `sys.stderr`."""
    logger = logging.getLogger("dbos")
    logger.setLevel(logging.WARNING)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s dbos: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False


def shutdown(grace: float = 3.0) -> None:
    """Destroy the DBOS instance and close connections (the registry of workflows stays).

    Workflows cancelled a moment ago are given `grace` seconds to notice and stop, so their
    threads do not outlive the database connection.
    """
    global _launched
    with _running_changed:
        _running_changed.wait_for(lambda: _running[0] == 0, timeout=grace)
    with _lock:
        if _launched is not None:
            DBOS.destroy(destroy_registry=False)
            _launched = None
        for client in _clients.values():
            client.destroy()
        _clients.clear()
        journal.close_all()


def client(settings: Settings) -> DBOSClient:
    """A DBOS client for processes that only send, cancel or read (it never runs workflows)."""
    url = prepare_database(settings)
    with _lock:
        if url not in _clients:
            engine = journal.journal_for(url).engine if url.startswith("sqlite") else None
            _clients[url] = DBOSClient(system_database_url=url, system_database_engine=engine)
        return _clients[url]


def prepare_database(settings: Settings) -> str:
    """The state database URL, with the SQLite file's directory created and WAL mode on."""
    url = settings.state_database_url()
    if url in _prepared:
        return url
    _prepared.add(url)
    if url.startswith("sqlite:///"):
        file = Path(url.removeprefix("sqlite:///"))
        file.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(file)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
    return url


def _config(settings: Settings, url: str) -> DBOSConfig:
    shared = journal.journal_for(url).engine if url.startswith("sqlite") else None
    return {
        "system_database_engine": shared,
        "name": APP_NAME,
        "system_database_url": url,
        "application_version": application_version(),
        "executor_id": settings.host_executor_id(),
        "log_level": "WARNING",
        "notification_listener_polling_interval_sec": 0.1,
    }
