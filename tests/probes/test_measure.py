"""Measured RTO and RPO from samples: the maths, table by table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drctl.probes.measure import Ack, Sample, measure_rpo, measure_rto

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def samples(pattern: str, start: datetime = T0, step: float = 1.0) -> list[Sample]:
    """`pattern` is one char per second: `+` success, `-` failure."""
    return [
        Sample(time=start + timedelta(seconds=i * step), ok=c == "+") for i, c in enumerate(pattern)
    ]


@pytest.mark.parametrize(
    ("pattern", "failure_second", "threshold", "rto_seconds", "flaps"),
    [
        ("+++-----+++++", 3, 3, 5, 0),   # down at 3, back at 8 for good
        ("+++---+-+++++", 3, 3, 5, 0),   # a lone success at 6 is not recovery
        ("+++---+++-+++", 3, 3, 3, 1),   # recovered at 6, flapped once at 9
        ("+++---+-+++++", 3, 1, 3, 1),   # threshold 1: first success counts, later failure is a flap
        ("+++++++++++++", 3, 3, 0, 0),   # no outage at all
        ("+++----------", 3, 3, None, 0),  # never recovered
    ],
)  # fmt: skip
def test_rto_is_first_sustained_success_after_failure(
    pattern: str, failure_second: int, threshold: int, rto_seconds: int | None, flaps: int
) -> None:
    result = measure_rto(samples(pattern), T0 + timedelta(seconds=failure_second), threshold)
    expected = None if rto_seconds is None else timedelta(seconds=rto_seconds)
    assert result.rto == expected
    assert result.flaps == flaps


def acks(*seqs: int, target: str = "primary") -> list[Ack]:
    return [Ack(seq=s, time=T0 + timedelta(seconds=s), target=target) for s in seqs]


@pytest.mark.parametrize(
    ("written", "surviving", "failure_second", "rpo_seconds", "lost"),
    [
        ((1, 2, 3, 4, 5), {1, 2, 3, 4, 5}, 5.5, 0, []),        # everything survived
        ((1, 2, 3, 4, 5), {1, 2, 3}, 5.5, 2.5, [4, 5]),        # 4 and 5 lost; newest survivor at 3s
        ((1, 2, 3, 4, 5), set(), 5.5, 4.5, [1, 2, 3, 4, 5]),   # nothing survived: since the first write
        ((1, 2, 3, 4, 5, 6, 7), {1, 2, 3, 4, 5}, 5.5, 0, [6, 7]),  # writes after the failure lost, RPO 0
    ],
)  # fmt: skip
def test_rpo_is_failure_minus_newest_surviving_write(
    written: tuple[int, ...],
    surviving: set[int],
    failure_second: float,
    rpo_seconds: float,
    lost: list[int],
) -> None:
    result = measure_rpo(
        acks(*written), surviving, T0 + timedelta(seconds=failure_second), "primary"
    )
    assert result.rpo == timedelta(seconds=rpo_seconds)
    assert result.lost == lost
    assert result.acknowledged == len(written)


def test_a_request_cut_by_the_failure_counts_as_the_outage_seen() -> None:
    """Samples are stamped when their request starts: one that began just before the failure
    and failed when it struck saw the outage, even when every later request succeeds."""
    failure_at = T0 + timedelta(seconds=3)
    cut = Sample(time=failure_at - timedelta(milliseconds=200), ok=False, latency_ms=900)
    before = Sample(time=failure_at - timedelta(seconds=2), ok=False, latency_ms=50)
    later = samples("++++", start=failure_at + timedelta(seconds=2))
    result = measure_rto([before, cut, *later], failure_at, 3)
    assert result.rto == timedelta(seconds=2)  # the first success after it, not zero
    assert (result.first_failed_at, result.failed_samples) == (failure_at, 1)
    # A failure that had ended before the injection is not this outage.
    assert measure_rto([before, *later], failure_at, 3).rto == timedelta(0)


def test_no_failed_request_after_the_failure_is_an_rto_of_zero() -> None:
    probes = samples("++++++", start=T0 + timedelta(milliseconds=700))
    result = measure_rto(probes, T0 + timedelta(milliseconds=500), threshold=3)
    assert result.rto == timedelta(0)
    assert result.failed_samples == 0


def test_writes_to_the_new_primary_do_not_count_as_lost() -> None:
    log = acks(1, 2, 3) + acks(4, 5, target="dr")
    result = measure_rpo(log, {1, 2, 3}, T0 + timedelta(seconds=3.5), "primary")
    assert result.lost == []
    assert result.rpo == timedelta(0)
