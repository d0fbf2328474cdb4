"""What a measured run keeps: its probe set-up, the failure instant and its source, the result.

`MeasureState` is written when measuring starts and updated as it goes, so a resumed run
measures with the same probes against the same failure instant. `Measured` is the result
`drctl runs show RUN --json` shows under `measured`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from drctl.model import Frozen
from drctl.plan.aws import AwsRole
from drctl.plan.probes import Probes

FailureSource = Literal["injector", "failure-at", "sandbox", "probe", "none"]
RpoSource = Literal["run", "standing", "none"]
"""Whose writes the RPO is measured from: the run's own canary, the standing canary
(`drctl canary`, for a failure that came before the run), or nobody's."""


class Session(Frozen):
    """One process measuring the run: from its start to its end (None when it died)."""

    started_at: datetime
    ended_at: datetime | None = None


class Gap(Frozen):
    """A time nobody probed (the measuring process died): samples are missing, not failed."""

    start: datetime
    end: datetime
    probe: str

    @property
    def seconds(self) -> float:
        """Length of the gap."""
        return (self.end - self.start).total_seconds()


class Phase(Frozen):
    """One part of the RTO: what it covers, how long it took, the critical-path steps in it."""

    name: str
    seconds: float
    steps: list[str] = []


class BesideProbe(Frozen):
    """An availability probe measured beside the RTO's own: when it recovered after the failure."""

    name: str
    recovered_at: datetime | None = None
    rto_seconds: float | None = None
    failed_samples: int = 0
    samples: int = 0


class BesideCanary(Frozen):
    """A canary measured beside the RPO's own: its data loss at the same failure instant."""

    name: str
    rpo_seconds: float | None = None
    lost_writes: int | None = None
    acknowledged: int = 0


class Measured(Frozen):
    """Measured RTO and RPO of one run, with where the failure instant came from."""

    rto_seconds: float | None = None
    rpo_seconds: float | None = None
    lost_writes: int | None = None
    rpo_source: RpoSource = "none"
    failure_at: datetime | None = None
    recovered_at: datetime | None = None
    failure_source: FailureSource = "none"
    failure_detail: str = ""
    gaps: list[Gap] = []
    breakdown: list[Phase] = []
    beside: list[BesideProbe] = []
    beside_canaries: list[BesideCanary] = []


class MeasureState(Frozen):
    """A measured run's set-up and progress, journaled in `drctl_measured_runs`."""

    probes: Probes
    rto_target: timedelta
    rpo_target: timedelta
    old_primary: str
    new_primary: str
    failure_at: datetime | None = None
    failure_source: FailureSource = "none"
    failure_detail: str = ""
    injection: dict[str, str] = {}
    sessions: list[Session] = []
    measured: Measured | None = None
    aws_roles: tuple[AwsRole, ...] = ()
    """The plan's `aws.roles`, for AWS canaries (kept so a resumed run's probes use them too)."""
