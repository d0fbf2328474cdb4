"""Pure maths from probe samples to measured RTO and RPO.

RTO: the first instant of `threshold` consecutive successful availability samples after
the failure instant, minus the failure instant. Failures after that are flaps.
RPO: zero when the newest write acknowledged before the failure survived on the new
primary; otherwise the failure instant minus the timestamp of the newest surviving
write. Lost writes are acknowledged writes to the old primary missing on the new one.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from drctl.model import Frozen


class Sample(Frozen):
    """One availability request: when, whether it succeeded, and what answered."""

    time: datetime
    ok: bool
    status: int | None = None
    latency_ms: float | None = None
    served_by: str = ""
    error: str = ""


class Ack(Frozen):
    """A canary write the primary acknowledged."""

    seq: int
    time: datetime
    target: str


class RtoResult(Frozen):
    """Measured recovery time, when recovery happened, and flapping after it."""

    failure_at: datetime
    first_failed_at: datetime | None
    recovered_at: datetime | None
    rto: timedelta | None
    flaps: int
    failed_samples: int
    samples: int


class RpoResult(Frozen):
    """Measured data loss: the RPO, the lost acknowledged writes, the newest survivor."""

    failure_at: datetime
    rpo: timedelta | None
    lost: list[int]
    acknowledged: int
    newest_surviving_seq: int | None
    newest_surviving_at: datetime | None


def measure_rto(
    samples: Sequence[Sample],
    failure_at: datetime,
    threshold: int,
    gaps: Sequence[tuple[datetime, datetime]] = (),
) -> RtoResult:
    """RTO from availability samples around an injected or observed failure.

    `gaps` are times nobody probed (the measuring process was down): a streak of successes
    does not span one, since what happened inside it is unknown.
    """
    after = sorted((s for s in samples if s.time >= failure_at), key=lambda s: s.time)
    recovered_index = _first_streak(after, threshold, gaps)
    recovered_at = after[recovered_index].time if recovered_index is not None else None
    flaps = 0
    if recovered_index is not None:
        tail = after[recovered_index:]
        flaps = sum(1 for prev, cur in itertools.pairwise(tail) if prev.ok and not cur.ok)
    # A sample is stamped when its request starts: one that started before the failure and
    # failed once it struck (the kill cut it) saw the outage too, though stamped before it.
    cut = [s for s in samples if s.time < failure_at and not s.ok and _answered(s) >= failure_at]
    first_failed = failure_at if cut else next((s.time for s in after if not s.ok), None)
    if first_failed is None and after:  # the endpoint never went down: nothing to recover from
        recovered_at = failure_at
    return RtoResult(
        failure_at=failure_at,
        first_failed_at=first_failed,
        recovered_at=recovered_at,
        rto=(recovered_at - failure_at) if recovered_at else None,
        flaps=flaps,
        failed_samples=len(cut) + sum(1 for s in after if not s.ok),
        samples=len(samples),
    )


def _answered(sample: Sample) -> datetime:
    """When a sample's request ended (its start when no latency was recorded)."""
    return sample.time + timedelta(milliseconds=sample.latency_ms or 0)


def _first_streak(
    samples: Sequence[Sample], threshold: int, gaps: Sequence[tuple[datetime, datetime]] = ()
) -> int | None:
    """Index of the first sample of the first run of `threshold` successes not broken by a gap."""
    run_start, run_length = 0, 0
    for index, sample in enumerate(samples):
        if index and any(samples[index - 1].time <= g[0] and sample.time >= g[1] for g in gaps):
            run_length = 0
        if not sample.ok:
            run_length = 0
            continue
        if run_length == 0:
            run_start = index
        run_length += 1
        if run_length >= threshold:
            return run_start
    return None


def measure_rpo(
    acks: Iterable[Ack], surviving: set[int], failure_at: datetime, old_primary: str
) -> RpoResult:
    """RPO and lost writes from the canary's acknowledgement log and what survived."""
    written = sorted((a for a in acks if a.target == old_primary), key=lambda a: a.seq)
    lost = [a.seq for a in written if a.seq not in surviving]
    before = [a for a in written if a.time <= failure_at]
    survivors = [a for a in before if a.seq in surviving]
    newest = survivors[-1] if survivors else None
    if not before:
        rpo = None
    elif all(a.seq in surviving for a in before):
        rpo = timedelta(0)
    else:
        rpo = failure_at - (newest.time if newest else before[0].time)
    return RpoResult(
        failure_at=failure_at,
        rpo=rpo,
        lost=lost,
        acknowledged=len(written),
        newest_surviving_seq=newest.seq if newest else None,
        newest_surviving_at=newest.time if newest else None,
    )
