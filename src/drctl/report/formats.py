"""How figures are written in every report format: durations to 0.1 s, times in UTC to the ms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drctl.plan.durations import format_duration

DASH = "—"


def seconds(value: timedelta | None) -> str:
    """`12.4 s`; durations of a minute or more also in plan notation: `1800.0 s (30m)`."""
    if value is None:
        return DASH
    text = f"{value.total_seconds():.1f} s"
    return f"{text} ({format_duration(value)})" if value >= timedelta(minutes=1) else text


def float_seconds(value: float | None) -> str:
    """`seconds` for a figure stored as a number of seconds (measured phases and probes)."""
    return seconds(None if value is None else timedelta(seconds=value))


def duration_text(value: timedelta | None) -> str:
    """A duration as people write it: `12.4 s` under a minute, else plan notation (`30m`)."""
    if value is None:
        return DASH
    if value < timedelta(minutes=1):
        return f"{value.total_seconds():.1f} s"
    return format_duration(timedelta(seconds=round(value.total_seconds())))


def moment(value: datetime | None) -> str:
    """`2026-05-01 10:00:03.123 UTC`."""
    if value is None:
        return DASH
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


def clock_time(value: datetime | None) -> str:
    """`10:00:03.123` (UTC), for tables where the date is the run's."""
    if value is None:
        return DASH
    return value.astimezone(UTC).strftime("%H:%M:%S.%f")[:-3]


def short_hash(value: str | None) -> str:
    """A hash as written in full (auditors compare every character)."""
    return value or DASH


_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[timedelta | None]) -> str:
    """Measured durations across drills as bars (`·` where nothing was measured)."""
    known = [v.total_seconds() for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    marks = []
    for value in values:
        if value is None:
            marks.append("·")
            continue
        level = 0 if high == low else round((value.total_seconds() - low) / (high - low) * 7)
        marks.append(_BARS[level])
    return "".join(marks)
