"""The probes of one measuring process: started, journaling every sample, then stopped.

A run measured across a crash has several sessions; each journals its samples under its
own number, so the time between two sessions shows as a gap, never as samples. The
canaries' AWS calls (DynamoDB, S3) go to `calls`, the run's `measure:canary` journal,
from the canary threads and from the read-back after the run.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta

from drctl.engine.outside import RunCalls
from drctl.errors import DrctlError
from drctl.measure.probes import ProbeHooks, availability_probe, canary_store
from drctl.measure.record import MeasureState
from drctl.measure.store import AVAILABILITY, CANARY, MeasureStore, beside_canary, beside_probe
from drctl.plan.probes import CanarySpec
from drctl.probes.availability import AvailabilityProbe
from drctl.probes.canary import Canary, CanaryStore
from drctl.probes.measure import Ack, Sample
from drctl.providers import intents
from drctl.settings import Settings


@dataclass(frozen=True)
class BesideCanaryRun:
    """A canary beside the RPO's own: its writer and the DR-side store it is read back from."""

    name: str
    canary: Canary
    new_store: CanaryStore


class ProbeSession:
    """The availability probe and the data canary of one process measuring `run_id`."""

    def __init__(
        self,
        run_id: str,
        state: MeasureState,
        store: MeasureStore,
        hooks: ProbeHooks,
        settings: Settings,
        calls: RunCalls | None = None,
    ) -> None:
        self.run_id, self.state, self.store, self.hooks = run_id, state, store, hooks
        self.calls = calls
        self.number = len(state.sessions) - 1
        self.availability: AvailabilityProbe | None = None
        self.beside: list[AvailabilityProbe] = []
        self.canary: Canary | None = None
        self.old_store: CanaryStore | None = None
        self.new_store: CanaryStore | None = None
        probes = state.probes
        if probes.availability is not None:
            self.availability = availability_probe(
                probes.availability, hooks, self._on_sample, settings
            )
        self.beside = [availability_probe(more, hooks, self._journal(more.name), settings)
                       for more in probes.more_availability]  # fmt: skip
        if probes.canary is not None:
            spec = probes.canary
            old = canary_store(
                spec, state.old_primary, dr=False, settings=settings, roles=state.aws_roles
            )
            self.old_store = old
            self.new_store = canary_store(
                spec, state.new_primary, dr=True, settings=settings, roles=state.aws_roles
            )
            written = [ack.seq for _, ack in store.acks(run_id)]
            target = hooks.canary_target or (lambda: old)
            self.canary = Canary(run_id, target, interval=spec.interval, calls=calls,
                                 first_seq=max(written, default=0) + 1, on_ack=self._on_ack)  # fmt: skip

        self.beside_canaries = [self._beside_canary(more, settings)
                                for more in probes.more_canaries]  # fmt: skip

    def _on_sample(self, sample: Sample) -> None:
        self.store.add(self.run_id, AVAILABILITY, self.number, sample)

    def _beside_canary(self, spec: CanarySpec, settings: Settings) -> BesideCanaryRun:
        state, name = self.state, beside_canary(spec.name)
        old = canary_store(
            spec, state.old_primary, dr=False, settings=settings, roles=state.aws_roles
        )
        new = canary_store(
            spec, state.new_primary, dr=True, settings=settings, roles=state.aws_roles
        )
        written = [ack.seq for _, ack in self.store.beside_acks(self.run_id, spec.name)]

        def journal(ack: Ack) -> None:
            self.store.add(self.run_id, name, self.number, ack)

        # Its rows carry RUN:NAME, so canaries sharing a table keep apart.
        canary = Canary(f"{self.run_id}:{spec.name}", lambda: old, interval=spec.interval,
                        first_seq=max(written, default=0) + 1, on_ack=journal,
                        calls=self.calls)  # fmt: skip
        return BesideCanaryRun(spec.name, canary, new)

    def beside_survivors(self, run: BesideCanaryRun, among: Collection[int]) -> set[int] | None:
        """Which of a beside canary's acknowledged writes (`among`) are on the new primary
        (None if unreadable)."""
        try:
            with self._recording():
                return run.new_store.surviving(f"{self.run_id}:{run.name}", among)
        except DrctlError:
            return None
        finally:
            self.flush()

    def _journal(self, name: str) -> Callable[[Sample], None]:
        probe = beside_probe(name)
        return lambda sample: self.store.add(self.run_id, probe, self.number, sample)

    def _on_ack(self, ack: Ack) -> None:
        self.store.add(self.run_id, CANARY, self.number, ack)

    @property
    def interval(self) -> timedelta:
        """The availability probe's interval (one second without one)."""
        spec = self.state.probes.availability
        return spec.interval if spec else timedelta(seconds=1)

    def start(self) -> None:
        """Start both probes in the background."""
        canaries = [c.canary for c in self.beside_canaries]
        for probe in (self.availability, *self.beside, self.canary, *canaries):
            if probe is not None:
                probe.start()

    def stop(self) -> None:
        """Stop both probes (each finishes its current sample), then store their calls."""
        canaries = [c.canary for c in self.beside_canaries]
        for probe in (*canaries, self.canary, *self.beside, self.availability):
            if probe is not None:
                probe.stop()
        self.flush()

    def flush(self) -> None:
        """Store the canaries' buffered AWS calls."""
        if self.calls is not None:
            self.calls.flush()

    def _recording(self) -> AbstractContextManager[object]:
        return intents.recording(self.calls)

    def survivors(self, among: Collection[int], *series: str) -> set[int] | None:
        """Which of the acknowledged writes `among` of this run's canary (or of the given
        series) are on the new primary; None if unreadable."""
        reader = self.hooks.canary_survivors() if self.hooks.canary_survivors else self.new_store
        if reader is None:
            return None
        try:
            with self._recording():
                return set().union(
                    *(reader.surviving(name, among) for name in series or [self.run_id])
                )
        except DrctlError:
            return None
        finally:
            self.flush()
