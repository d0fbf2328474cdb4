"""The DBOS handle: one per process, launched on first use, destroyed cleanly for tests.

This is drctl's one process-level global (DESIGN.md): the DBOS instance, the Engine that
launched it and the Engine each run in this process reports to, plus the connections and
threads they share. Workflow functions receive only plain arguments; `engine_of(run_id)`
is how they reach the running Engine.

The application version is pinned (drctl's version plus `ENGINE_REVISION`) rather than
DBOS's default hash of the workflow code, so a restarted drctl recovers the runs an
earlier process left behind. Bump `ENGINE_REVISION` only when the workflow's sequence
of durable operations changes incompatibly.
"""

from __future__ import annotations

import gc
import logging
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from dbos import DBOS, DBOSClient, DBOSConfig
from dbos import error as dbos_error

from drctl import __version__
from drctl.engine.journal import Journal
from drctl.errors import ConfigError, RunError
from drctl.providers.stop import Stop, Watch
from drctl.settings import Settings

if TYPE_CHECKING:
    from drctl.engine.engine import Engine

ENGINE_REVISION = "3"  # 2: critical path first; concurrency bounds calls, not steps
# 3: steps and harvests checkpointed in the journal, not as DBOS steps
APP_NAME = "drctl"


def application_version() -> str:
    """The pinned DBOS application version."""
    return f"drctl-{__version__}-engine{ENGINE_REVISION}"


@dataclass
class Launched:
    """The process's DBOS instance: where it runs, and which Engine each of its runs reports to.

    Runs started or resumed here report to the Engine that did so (`drivers`); runs DBOS
    recovers by itself when it launches report to the Engine that launched it.
    """

    url: str
    executor_id: str
    engine: Engine
    drivers: dict[str, Engine] = field(default_factory=dict)


class _Process:
    """Everything the process shares: the DBOS instance, its clients, journal pools, action threads."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.launched: Launched | None = None
        self.clients: dict[str, DBOSClient] = {}
        self.journals: dict[str, Journal] = {}
        self.prepared: set[str] = set()
        self.running = 0
        self.running_changed = threading.Condition()
        self.interrupted: dict[str, str] = {}
        self.cancelled: set[str] = set()
        self.looked: dict[str, float] = {}  # run id -> when the journal was last asked for a cancel
        self.generation = 0  # bumped by `shutdown`: steps started before it stop
        self.handed: dict[str, tuple[str, object]] = {}  # run id -> stored text, its data
        # A step gives up at its deadline while its action keeps a thread until it returns
        # (shell commands are killed through `cancel()`), so the pool outlives any one run.
        self.actions = ThreadPoolExecutor(max_workers=2048, thread_name_prefix="drctl-action")


_process = _Process()


def launched() -> Launched | None:
    """The running instance, if any."""
    return _process.launched


def ensure_launched(engine: Engine) -> Launched:
    """Launch DBOS for `engine` (recovering this executor's interrupted runs), once per process."""
    from drctl.engine import approvals, workflow  # noqa: F401  (registers the workflows)

    url = prepare_database(engine.settings)
    with _process.lock:
        current = _process.launched
        if current is not None:
            if current.url != url:
                raise ConfigError(
                    f"the engine already runs against {current.url}",
                    hint="one process uses one state database; call engine.shutdown() first",
                )
            return current
        _route_dbos_logs()
        DBOS(config=_config(engine.settings, url))
        # Set before launching: DBOS starts recovered runs at once, and they look for it.
        _process.launched = Launched(url, engine.settings.host_executor_id(), engine)
        try:
            DBOS.launch()
        except BaseException:
            _process.launched = None
            raise
        logging.getLogger("dbos").setLevel(logging.WARNING)
        # What is loaded by now (boto3, pydantic's schemas, SQLAlchemy, DBOS) lives as long as
        # the process: frozen out of the collector's sight, a full collection no longer walks
        # it. One took 140 ms at the start of a 1,000-step run, on its critical path.
        gc.collect()
        gc.freeze()
        return _process.launched


def drive(run_ids: list[str], engine: Engine) -> None:
    """Have these runs report to `engine` while they run in this process."""
    with _process.lock:
        if _process.launched is not None:
            _process.launched.drivers.update(dict.fromkeys(run_ids, engine))


def hand_over(run_id: str, text: str, data: object) -> None:
    """The data a run's runbook `text` was dumped from: its workflow here need not read the YAML."""
    with _process.lock:
        _process.handed[run_id] = (text, data)


def handed(run_id: str, text: str) -> object:
    """The data handed over for `run_id` when `text` is what it was stored as (taken once), else None.

    A workflow recovered or resumed, here or in another process, finds none and reads its
    stored text; 1,000 steps of YAML took a quarter of a millisecond a step to read again.
    The data is checked as the text would be (`parse_stored_runbook`).
    """
    with _process.lock:
        found = _process.handed.pop(run_id, None)
    return found[1] if found is not None and found[0] == text else None


def release(run_id: str) -> None:
    """A run ended: forget whom it reported to."""
    with _process.lock:
        _process.looked.pop(run_id, None)
        _process.cancelled.discard(run_id)
        if _process.launched is not None:
            _process.launched.drivers.pop(run_id, None)


def current() -> Launched:
    """The running instance, which workflow code can count on."""
    launched_now = _process.launched
    if launched_now is None:
        raise RunError(
            "a workflow runs, but no engine is launched in this process",
            hint="this is a bug in drctl; report it with the run id",
        )
    return launched_now


def engine_of(run_id: str) -> Engine:
    """The Engine a run executing in this process reports to (workflow code calls this)."""
    launched_now = current()
    return launched_now.drivers.get(run_id, launched_now.engine)


def actions() -> ThreadPoolExecutor:
    """The threads actions run in, so a step can give up at its deadline."""
    return _process.actions


CANCEL_LOOK = 2.0
"""Seconds between two looks at the journal for a cancel made by another process."""


def cancelled(run_id: str) -> None:
    """The run was cancelled here: its running steps stop at their next wait."""
    with _process.lock:
        _process.cancelled.add(run_id)


def reopened(run_id: str) -> None:
    """The run was resumed after a cancel: its steps may run again."""
    with _process.lock:
        _process.cancelled.discard(run_id)
        _process.interrupted.pop(run_id, None)


def stop_watch(run_id: str, journal: Journal) -> Watch:
    """What a step of `run_id` asks while it waits: stop when the run is cancelled (here, or by
    another process as the journal shows) or this process shuts down (the run stays resumable)."""
    generation = _process.generation

    def watch() -> Stop | None:
        if _process.generation != generation:
            return Stop("this process is shutting down", interrupted=True)
        if run_id in _process.cancelled:
            return Stop("the run was cancelled")
        now = time.monotonic()
        with _process.lock:  # one look per run, however many of its steps wait
            if now - _process.looked.setdefault(run_id, now) < CANCEL_LOOK:
                return None
            _process.looked[run_id] = now
        try:
            status = journal.run_status(run_id)
        except Exception:  # noqa: BLE001  an unreachable journal is no cancel; the step goes on
            return None
        if status != "cancelled":
            return None
        cancelled(run_id)
        return Stop("the run was cancelled")

    return watch


@contextmanager
def active() -> Iterator[None]:
    """Count a workflow body running in this process (shutdown lets them wind down first)."""
    with _process.running_changed:
        _process.running += 1
    try:
        yield
    finally:
        with _process.running_changed:
            _process.running -= 1
            _process.running_changed.notify_all()


class RunInterrupted(BaseException):
    """This process can no longer drive a run; its workflow stays PENDING for resume or recover.

    A `BaseException` on purpose: DBOS records an `Exception` raised by a step as that
    step's outcome, and one raised by a workflow as its final ERROR, so a database outage
    or the interpreter shutting down would end the run for good. This passes both by.
    """

    def __init__(self, run_id: str, reason: str) -> None:
        super().__init__(f"run `{run_id}` interrupted: {reason}")
        self.run_id = run_id
        self.reason = reason


def interrupt(run_id: str, reason: str) -> None:
    """Note that the workflow of `run_id` stopped in this process (see `RunInterrupted`)."""
    with _process.lock:
        _process.interrupted[run_id] = reason


def interruption(run_id: str) -> str | None:
    """Why the run stopped in this process, if it did."""
    with _process.lock:
        return _process.interrupted.get(run_id)


def take_interruption(run_id: str) -> bool:
    """Forget that the run stopped in this process; True if it had (it is about to restart)."""
    with _process.lock:
        return _process.interrupted.pop(run_id, None) is not None


def workflow_status(settings: Settings, run_id: str) -> str | None:
    """DBOS's status of a run's workflow (PENDING, ERROR, ...), None if it has none."""
    if _process.launched is not None:
        state = DBOS.get_workflow_status(run_id)
        return None if state is None else state.status
    found = client(settings).list_workflows(workflow_ids=[run_id])
    return found[0].status if found else None


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
        handler.addFilter(_not_a_cancel)
        logger.addHandler(handler)
        logger.propagate = False


def _not_a_cancel(record: logging.LogRecord) -> bool:
    """Leave out DBOS's traceback of a workflow that ended because its run was cancelled.

    A cancelled run that waited on a gate ended its workflows with `Awaited workflow … was
    cancelled` at ERROR, a traceback each: the outcome someone asked for, journaled and
    audited as `run.cancelled`, not a fault.
    """
    error = record.exc_info[1] if record.exc_info else None
    return not isinstance(error, dbos_error.DBOSAwaitedWorkflowCancelledError)


def shutdown(grace: float = 3.0) -> None:
    """Destroy the DBOS instance and close connections (the registry of workflows stays).

    Workflows cancelled a moment ago are given `grace` seconds to notice and stop, so their
    threads do not outlive the database connection.
    """
    _process.generation += 1  # waiting steps stop (`stop_watch`)
    with _process.running_changed:
        _process.running_changed.wait_for(lambda: _process.running == 0, timeout=grace)
    with _process.lock:
        if _process.launched is not None:
            DBOS.destroy(destroy_registry=False)
            _process.launched = None
        for client in _process.clients.values():
            client.destroy()
        _process.clients.clear()
        for pool in _process.journals.values():
            pool.close()
        _process.journals.clear()
        _process.interrupted.clear()
        _process.cancelled.clear()
        _process.looked.clear()


def client(settings: Settings) -> DBOSClient:
    """A DBOS client for processes that only send, cancel or read (it never runs workflows)."""
    url = prepare_database(settings)
    with _process.lock:
        if url not in _process.clients:
            shared = _journal(url).engine if url.startswith("sqlite") else None
            _process.clients[url] = DBOSClient(
                system_database_url=url, system_database_engine=shared
            )
        return _process.clients[url]


def journal(url: str) -> Journal:
    """The process's journal of a state database (its connection pool is shared, with DBOS too)."""
    return _journal(prepared(url))


def _journal(url: str) -> Journal:
    with _process.lock:
        if url not in _process.journals:
            _process.journals[url] = Journal(url)
        return _process.journals[url]


def prepare_database(settings: Settings) -> str:
    """The state database URL, with the SQLite file's directory created and WAL mode on."""
    return prepared(settings.state_database_url())


def prepared(url: str) -> str:
    """`url`, once its SQLite file's directory exists and WAL mode is on."""
    with _process.lock:
        if url not in _process.prepared:
            _prepare(url)
            _process.prepared.add(url)
    return url


def _prepare(url: str) -> None:
    if url.startswith("sqlite:///"):
        file = Path(url.removeprefix("sqlite:///"))
        file.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(file)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")


def _config(settings: Settings, url: str) -> DBOSConfig:
    shared = _journal(url).engine if url.startswith("sqlite") else None
    return {
        "system_database_engine": shared,
        "name": APP_NAME,
        "system_database_url": url,
        "application_version": application_version(),
        "executor_id": settings.host_executor_id(),
        "log_level": "WARNING",
        "notification_listener_polling_interval_sec": 0.1,
    }
