"""Durations written like `30m`, `5m`, `1h30m`, `10s`, `365d`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_LONGEST = 36500 * 86400.0
"""100 years, in seconds: far beyond any DR objective, far below `timedelta.max` (a sum of
parts, or a float, beyond it would raise OverflowError)."""


def parse_duration(value: object) -> timedelta:
    """Parse `1h30m` style text; bare numbers are rejected because the unit matters."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("a duration is text such as `30m`, `1h30m` or `10s`")
    text = str(value).strip().replace(" ", "")
    if isinstance(value, int | float) or text.replace(".", "", 1).isdigit():
        raise ValueError(f"`{text}` needs a unit, e.g. `{text}m` (units: s, m, h, d, w)")
    pos, total = 0, 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"`{text}` is not a duration; write e.g. `30m`, `1h30m`, `10s`")
    if not total < _LONGEST:
        raise ValueError(f"`{_shorten(text)}` is too long; durations go up to 100 years (`36500d`)")
    return timedelta(seconds=total)


def _shorten(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:20]}…"


def format_duration(value: timedelta) -> str:
    """The shortest `1h30m` style text for a duration (`0s` for zero)."""
    total = value.total_seconds()
    if total < 1 and total > 0:
        return f"{round(total * 1000)}ms"
    seconds = round(total)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^(\d+(\.\d+)?(ms|s|m|h|d|w))+$"}),
]
