"""Audit log speed: events appended per second, and `verify` throughput over 100,000 events.

Each is printed beside a baseline measured in the same run: SHA-256 over the same canonical
JSON in memory, without a database. The ratio is the price of a durable, locked, shared
chain (one transaction and fsync per single append).
"""

from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from pydantic import JsonValue

from drctl.audit.event import GENESIS_HASH, canonical_json, hashed_fields, sha256_text
from drctl.audit.log import AuditLog, Entry
from drctl.audit.verify import verify_chain

SINGLE_APPENDS = 2000
VERIFY_EVENTS = 100_000
BATCH = 5000
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def entry(i: int) -> Entry:
    """A typical step event: a few fields of output."""
    payload: dict[str, JsonValue] = {
        "output": {"cluster": "shop-aurora-dr", "writer": i % 2 == 0, "lag_ms": i % 97}
    }
    return Entry(run_id=f"bench-{i // 1000}", actor="engine", kind="step.succeeded",
                 payload=payload, step_id=f"s{i}", event_id=f"bench:{i}")  # fmt: skip


def baseline(n: int) -> float:
    """Seconds to hash `n` chained events in memory (no database)."""
    start, prev = time.perf_counter(), GENESIS_HASH
    for i in range(n):
        e = entry(i)
        fields = hashed_fields(i + 1, "2026-01-01T00:00:00.000000Z", e.run_id, e.actor, e.kind,
                               e.step_id, e.event_id, e.payload, prev)  # fmt: skip
        prev = sha256_text(canonical_json(fields))
    return time.perf_counter() - start


def single_appends(log: AuditLog, n: int) -> float:
    """Seconds for `n` appends, each its own locked transaction."""
    start = time.perf_counter()
    for i in range(n):
        log.append(entry(i))
    return time.perf_counter() - start


def fill(log: AuditLog, n: int, offset: int) -> float:
    """Seconds to append `n` events in batches of `BATCH`."""
    start = time.perf_counter()
    for first in range(offset, offset + n, BATCH):
        log.append_many([entry(i) for i in range(first, min(first + BATCH, offset + n))])
    return time.perf_counter() - start


def report(label: str, n: int, seconds: float, base: float) -> None:
    """One line: rate, and how many times slower than the in-memory baseline."""
    print(f"audit {label:<34} {n / seconds:>10,.0f} events/s  ({seconds:.2f}s for {n:,}; "
          f"{seconds / base:.1f}x the in-memory sha256 baseline)")  # fmt: skip


def bench(url: str, name: str) -> None:
    """Single appends, batched appends and verify on one database."""
    log = AuditLog(url)
    report(
        f"append, single ({name})",
        SINGLE_APPENDS,
        single_appends(log, SINGLE_APPENDS),
        baseline(SINGLE_APPENDS),
    )
    rest = VERIFY_EVENTS - SINGLE_APPENDS
    report(
        f"append, batches of {BATCH} ({name})",
        rest,
        fill(log, rest, SINGLE_APPENDS),
        baseline(rest),
    )
    start = time.perf_counter()
    result = verify_chain(log)
    seconds = time.perf_counter() - start
    assert result.ok and result.checked == VERIFY_EVENTS, result
    report(f"verify ({name})", VERIFY_EVENTS, seconds, baseline(VERIFY_EVENTS))
    log.dispose()


def main() -> None:
    """Run on SQLite, then on the local PostgreSQL if it is up."""
    print(f"in-memory baseline: {VERIFY_EVENTS / baseline(VERIFY_EVENTS):,.0f} events/s hashed")
    with tempfile.TemporaryDirectory(prefix="drctl-bench-audit-") as home:
        bench(f"sqlite:///{Path(home) / 'drctl.sqlite'}", "SQLite")
    name = f"drctl_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        print(f"audit on PostgreSQL skipped: {exc}".splitlines()[0])
        return
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            bench(f"postgresql://postgres@127.0.0.1:5432/{name}", "PostgreSQL")
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
