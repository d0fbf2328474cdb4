"""The data canary: sequenced, timestamped writes to the current primary, and what survived.

A `CanaryStore` is one place the canary can write (a PostgreSQL table, a DynamoDB table,
an S3 prefix) in one region. The canary writes to whatever `primary()` returns at each
tick, so after a failover it follows the new primary; every write the store acknowledged
is kept in order for `measure_rpo`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Protocol

from drctl.clock import Clock
from drctl.errors import DrctlError
from drctl.probes.base import PeriodicProbe
from drctl.probes.measure import Ack
from drctl.providers import intents


class CanaryStore(Protocol):
    """Somewhere canary rows can be written and read back."""

    name: str

    def write(self, run_id: str, seq: int, at_iso: str) -> None:
        """Write one canary row; raising means not acknowledged."""
        ...

    def surviving(self, run_id: str, among: Collection[int]) -> set[int]:
        """Which of `among` (the acknowledged sequence numbers) this run's rows in the store hold."""
        ...


class Canary(PeriodicProbe):
    """Writes seq 1, 2, 3, ... (from `first_seq`) every interval to `primary()`; `on_ack` sees each ack.

    `calls`, when given, journals the AWS calls the writes make (`intents.recording` in the
    canary's own thread).
    """

    def __init__(
        self,
        run_id: str,
        primary: Callable[[], CanaryStore],
        *,
        interval: timedelta = timedelta(milliseconds=200),
        clock: Clock | None = None,
        first_seq: int = 1,
        on_ack: Callable[[Ack], None] | None = None,
        calls: intents.WriteJournal | None = None,
    ) -> None:
        super().__init__(interval, clock)
        self.run_id = run_id
        self.primary = primary
        self.on_ack = on_ack
        self.calls = calls
        self.acks: list[Ack] = []
        self.failures = 0
        self._seq = first_seq - 1
        self._lock = threading.Lock()

    def context(self) -> AbstractContextManager[object]:
        return intents.recording(self.calls)

    def tick(self) -> None:
        self._seq += 1
        store = self.primary()
        when = self.clock.now()
        try:
            store.write(self.run_id, self._seq, when.isoformat())
        except DrctlError:  # an unreachable store or unusable credentials: a failed write
            self.failures += 1
            return
        ack = Ack(seq=self._seq, time=when, target=store.name)
        with self._lock:
            self.acks.append(ack)
        if self.on_ack is not None:
            self.on_ack(ack)

    def snapshot(self) -> list[Ack]:
        """The acknowledged writes so far."""
        with self._lock:
            return list(self.acks)
