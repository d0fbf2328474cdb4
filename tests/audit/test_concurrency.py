"""Real processes appending at once form one chain; a SIGKILL mid-burst leaves it valid."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from drctl.audit.log import AuditLog, Entry
from drctl.audit.verify import verify_chain

APPENDER = Path(__file__).with_name("appender.py")


def _start(url: str, label: str, count: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(APPENDER), url, label, str(count)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def _two_writers_make_one_chain(url: str) -> None:
    AuditLog(url).dispose()  # tables exist before the race starts
    writers = [_start(url, label, 1000) for label in ("a", "b")]
    for proc in writers:
        assert proc.wait(timeout=300) == 0
    log = AuditLog(url)
    report = verify_chain(log)
    assert report.ok, report.first_break
    assert report.checked == 2000
    assert Counter(e.actor for e in log.events()) == {"a": 1000, "b": 1000}
    assert [e.payload["i"] for e in log.events("run-a")] == list(range(1000))
    log.dispose()


@pytest.mark.slow
def test_two_processes_appending_1000_each_on_sqlite_make_one_valid_chain_of_2000(
    sqlite_url: str,
) -> None:
    _two_writers_make_one_chain(sqlite_url)


@pytest.mark.slow
def test_two_processes_appending_1000_each_on_postgresql_make_one_valid_chain_of_2000(
    pg_url: str,
) -> None:
    _two_writers_make_one_chain(pg_url)


def _count(log: AuditLog) -> int:
    return log.head().seq


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sigkill_during_a_burst_of_appends_leaves_a_valid_chain(
    backend: str, sqlite_url: str, request: pytest.FixtureRequest
) -> None:
    url = sqlite_url if backend == "sqlite" else request.getfixturevalue("pg_url")
    log = AuditLog(url)
    burst = _start(url, "burst", 0)
    deadline = time.monotonic() + 60
    while _count(log) < 300 and time.monotonic() < deadline:
        time.sleep(0.02)
    burst.send_signal(signal.SIGKILL)
    assert burst.wait(timeout=10) == -signal.SIGKILL
    report = verify_chain(log)
    assert report.ok, report.first_break
    assert report.checked >= 300
    after = log.append(Entry("run-next", "alice", "note", {"after": "crash"}))
    assert after.seq == report.checked + 1
    assert verify_chain(log).ok
    log.dispose()
