"""The urgency-ordered semaphore and the per-file SQLite writer queue."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import sqlalchemy as sa

from drctl import priority
from drctl.audit.store import open_engine
from drctl.engine.journal import Journal
from drctl.priority import PrioritySemaphore


def _waiter(lock: PrioritySemaphore, urgency: float, order: list[float]) -> threading.Thread:
    def body() -> None:
        priority.priority.set(urgency)
        with lock:
            order.append(urgency)

    thread = threading.Thread(target=body)
    thread.start()
    return thread


def test_a_freed_slot_goes_to_the_most_urgent_waiter_then_first_come() -> None:
    lock = PrioritySemaphore(1)
    assert lock.acquire(timeout=1)
    order: list[float] = []
    threads = []
    for urgency in (5.0, -3.0, 5.0, -10.0, 0.0):
        threads.append(_waiter(lock, urgency, order))
        time.sleep(0.05)  # arrive in this order
    lock.release()
    for thread in threads:
        thread.join(5)
    assert order == [-10.0, -3.0, 0.0, 5.0, 5.0]


def test_a_waiter_that_times_out_leaves_the_line() -> None:
    lock = PrioritySemaphore(2)
    assert lock.acquire(timeout=1) and lock.acquire(timeout=1)
    start = time.monotonic()
    assert not lock.acquire(timeout=0.2)
    assert time.monotonic() - start >= 0.2
    lock.release()
    assert lock.acquire(timeout=0.2)  # the timed-out waiter did not take the freed slot


def test_journal_and_audit_writers_of_one_file_queue_instead_of_failing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    journal = Journal(url)
    audit = open_engine(url)
    probe = sa.Table("probe", sa.MetaData(), sa.Column("n", sa.Integer))
    probe.create(journal.engine)
    errors: list[BaseException] = []

    def write(engine: sa.Engine, base: int) -> None:
        try:
            for n in range(50):
                with engine.begin() as conn:
                    conn.execute(probe.insert().values(n=base + n))
                    time.sleep(0.001)  # hold the write lock a moment
        except BaseException as exc:  # noqa: BLE001  reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=write, args=(engine, k * 1000))
        for k, engine in enumerate([journal.engine, audit] * 4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with journal.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(probe)).scalar() == 400
    journal.close()
    audit.dispose()
