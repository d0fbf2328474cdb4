"""Cross-region data replication the sandbox simulates, on one background thread.

moto keeps every region's data apart. `Replicator` plays AWS's replication engines:
DynamoDB global tables (`global_tables.py`) and S3 replication (`s3_replication.py`),
each delivering a change `lag` seconds after it was written: with a faithful latency table
in force, each service's own lag from it (`dynamodb_replication`, `s3_replication`) in the
sandbox's scaled time, unless a lag was injected with `set_lag`. `isolate(region)` models a
region failure: nothing replicates out of (or into) it until `restore(region)`; changes
written meanwhile stay queued, as they would on AWS, and are delivered afterwards.
"""

from __future__ import annotations

import logging
import threading
import time

from moto.dynamodb.exceptions import ResourceNotFoundException

from drctl_sandbox import latencies
from drctl_sandbox.aws import global_tables, s3_replication
from drctl_sandbox.clock import CLOCK

log = logging.getLogger(__name__)


def install() -> None:
    """Patch moto's DynamoDB and S3 so replication is visible through the AWS API."""
    global_tables.install()
    s3_replication.install()


def reset() -> None:
    """Forget every global table and queued S3 copy (after moto's backends were reset)."""
    with global_tables.REGISTRY.lock:
        global_tables.REGISTRY.tables.clear()
    with s3_replication.REPLICATOR.lock:
        s3_replication.REPLICATOR.pending.clear()


class Replicator:
    """Delivers DynamoDB item changes and S3 object versions between regions after a lag."""

    def __init__(self, lag: float = 0.5, tick: float = 0.05) -> None:
        self.lag = lag
        self.tick = tick
        self._injected = False
        self._isolated: set[str] = set()
        self._paused = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def isolated(self) -> frozenset[str]:
        """Regions that replicate nothing right now."""
        return frozenset(self._isolated)

    def set_lag(self, seconds: float) -> None:
        """Deliver changes this many seconds after they were written (inject lag)."""
        self.lag = seconds
        self._injected = True

    def lags(self) -> tuple[float, float]:
        """Wall seconds after which a DynamoDB item change and an S3 object are delivered."""
        table = latencies.table()
        if self._injected or not table.faithful:
            return self.lag, self.lag
        dynamodb, s3 = table.seconds("dynamodb_replication"), table.seconds("s3_replication")
        return CLOCK.wall(dynamodb), CLOCK.wall(s3)

    def isolate(self, region: str) -> None:
        """Stop replication out of and into `region` (a simulated region failure)."""
        self._isolated.add(region)

    def restore(self, region: str) -> None:
        """Let `region` replicate again; queued changes are delivered."""
        self._isolated.discard(region)

    def pause(self) -> None:
        """Stop all replication (changes keep queueing) until `resume()`."""
        self._paused.set()

    def resume(self) -> None:
        """Resume replication after `pause()`."""
        self._paused.clear()

    def sync_once(self) -> None:
        """One pass: detect writes and deliver every change whose lag has passed."""
        if self._paused.is_set():
            return
        now, isolated = time.monotonic(), self.isolated
        dynamodb_lag, s3_lag = self.lags()
        with global_tables.REGISTRY.lock:
            for table in list(global_tables.REGISTRY.tables):
                try:
                    table.sync(now, dynamodb_lag, isolated)
                except RuntimeError:
                    # moto's item dict changed size under us (a request in flight): next tick.
                    log.debug("global table %s changed during sync; retrying", table.name)
                except ResourceNotFoundException:
                    # a replica table was deleted (or moto was reset): forget it, keep the rest
                    if not table.prune():
                        global_tables.REGISTRY.tables.remove(table)
        s3_replication.REPLICATOR.sync(now, s3_lag, isolated)

    def _run(self) -> None:
        # A pass at least every half lag, so a change is not held a whole tick past its lag.
        while not self._stop.wait(min(self.tick, max(0.01, min(self.lags()) / 2))):
            self.sync_once()

    def start(self) -> Replicator:
        install()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sandbox-replication", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
