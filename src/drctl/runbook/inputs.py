"""The plan's input checks, applied to runbook files: regions, URLs and timeouts in steps.

They run over the raw YAML so each problem points at its line, and all are listed at once.
Values holding a `${steps...}` reference are filled in at run time and are not checked here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from pydantic import HttpUrl, TypeAdapter, ValidationError

from drctl.errors import DrctlError
from drctl.plan.durations import parse_duration
from drctl.plan.regions import check_region
from drctl.yamlsource import Loc, Located

_URL = TypeAdapter(HttpUrl)
_MAX_DEPTH = 20


def _steps(data: Any) -> list[tuple[int, dict[str, Any]]]:
    steps = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(steps, list):
        return []
    return [(i, s) for i, s in enumerate(steps) if isinstance(s, dict)]


def _fields(value: Any, loc: Loc, depth: int = 0) -> Iterator[tuple[Loc, str, Any]]:
    """(loc, key, value) for every mapping entry below `value`."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*loc, str(key)), str(key), item
            yield from _fields(item, (*loc, str(key)), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _fields(item, (*loc, index), depth + 1)


def _step_fields(data: Any) -> Iterator[tuple[Loc, str, Any]]:
    """The step's own keys (`region`, `timeout`) and every key inside its `params`."""
    for index, step in _steps(data):
        for key in ("region", "timeout"):
            if key in step:
                yield ("steps", index, key), key, step[key]
        yield from _fields(step.get("params"), ("steps", index, "params"))


def _plain(value: Any) -> bool:
    return isinstance(value, str) and "${" not in value


def unknown_regions(data: Any) -> list[Located]:
    """`region`, `*_region` and `regions` values that are not AWS regions."""
    found: list[Located] = []
    for loc, key, value in _step_fields(data):
        if key == "region" or key.endswith("_region"):
            candidates = [(loc, value)]
        elif key == "regions" and isinstance(value, list):
            candidates = [((*loc, i), v) for i, v in enumerate(value)]
        else:
            continue
        for where, name in candidates:
            if not _plain(name):
                continue
            try:
                check_region(name)
            except ValueError as exc:
                found.append(
                    Located(where, str(exc), "use a region from `aws ec2 describe-regions`")
                )
    return found


def malformed_urls(data: Any) -> list[Located]:
    """`url` and `*_url` values that are not absolute http(s) URLs."""
    found: list[Located] = []
    for loc, key, value in _step_fields(data):
        if not (key == "url" or key.endswith("_url")) or not _plain(value):
            continue
        try:
            _URL.validate_python(value)
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"].removeprefix("Input should be a valid URL, ")
            found.append(
                Located(
                    loc,
                    f"`{value}` is not a valid http(s) URL ({reason})",
                    "write an absolute URL, e.g. https://app.example.com/health",
                )
            )
    return found


def zero_timeouts(data: Any) -> list[Located]:
    """`timeout` and `*_timeout` values of zero: the step would time out before it starts."""
    found: list[Located] = []
    for loc, key, value in _step_fields(data):
        if not (key == "timeout" or key.endswith("_timeout")):
            continue
        try:
            zero = parse_duration(value) <= timedelta(0)
        except (DrctlError, ValueError, TypeError, OverflowError):
            continue  # not a duration: the model says so with its own message
        if zero:
            found.append(
                Located(
                    loc,
                    f"a timeout of `{value}` ends the step before it starts",
                    "give it a positive duration, e.g. `5m`",
                )
            )
    return found


RUNBOOK_CHECKS = (unknown_regions, malformed_urls, zero_timeouts)
