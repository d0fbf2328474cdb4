from __future__ import annotations

from datetime import timedelta

import pytest

from drctl.plan.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("5m", timedelta(minutes=5)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("10s", timedelta(seconds=10)),
        ("365d", timedelta(days=365)),
        ("2w", timedelta(days=14)),
        ("250ms", timedelta(milliseconds=250)),
        ("1.5h", timedelta(minutes=90)),
    ],
)
def test_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [(30, "`30` needs a unit, e.g. `30m`"), ("30", "needs a unit"), ("30 minutes", "is not a duration"),
     ("m30", "is not a duration"), ("", "is not a duration"), (True, "a duration is text")],
)  # fmt: skip
def test_bad_durations_say_how_to_fix_them(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(value)


@pytest.mark.parametrize("text", ["30m", "1h30m", "10s", "1d2h", "250ms", "0s"])
def test_format_round_trips(text: str) -> None:
    assert format_duration(parse_duration(text)) == text
