"""The data canary against the machine's PostgreSQL: acknowledged writes and survivors agree."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from drctl.probes.canary import Canary
from drctl.probes.measure import measure_rpo
from drctl.probes.stores import PostgresStore

DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres"


def test_canary_acknowledged_writes_all_survive_on_the_same_server() -> None:
    store = PostgresStore("primary", DSN)
    run_id = f"test-{uuid.uuid4().hex[:8]}"
    canary = Canary(run_id, lambda: store, interval=timedelta(milliseconds=20))
    canary.start()
    time.sleep(0.4)
    failure_at = canary.clock.now()
    canary.stop()
    acks = canary.snapshot()
    assert len(acks) >= 5
    assert [a.seq for a in acks] == list(range(1, len(acks) + 1))
    surviving = store.surviving(run_id, [a.seq for a in acks] + [10_000])
    assert surviving == {a.seq for a in acks}, "every acknowledged write, nothing else"
    result = measure_rpo(acks, surviving, failure_at, "primary")
    assert result.lost == []
    assert result.rpo == timedelta(0)


def test_unreachable_store_is_not_acknowledged() -> None:
    store = PostgresStore("gone", "host=127.0.0.1 port=1 dbname=test user=postgres")
    canary = Canary("run", lambda: store)
    canary.tick()
    assert canary.acks == []
    assert canary.failures == 1
