"""`${steps.<id>.<key>}` references: a step's params may use what an earlier step produced."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import JsonValue

from drctl.errors import RunbookError

REF = re.compile(r"\$\{steps\.([a-z0-9][a-z0-9._-]*?)\.([A-Za-z0-9_-]+)\}")


def references(value: Any) -> Iterator[tuple[str, str]]:
    """Every (step id, key) referenced anywhere inside `value`."""
    if isinstance(value, str):
        yield from ((m.group(1), m.group(2)) for m in REF.finditer(value))
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def substitute(value: Any, outputs: Mapping[str, Mapping[str, JsonValue]]) -> Any:
    """`value` with references replaced by earlier outputs; a whole-string reference keeps type."""
    if isinstance(value, str):
        whole = REF.fullmatch(value)
        if whole:
            return _lookup(whole.group(1), whole.group(2), outputs)
        return REF.sub(lambda m: str(_lookup(m.group(1), m.group(2), outputs)), value)
    if isinstance(value, Mapping):
        return {k: substitute(v, outputs) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, outputs) for v in value]
    return value


def _lookup(step_id: str, key: str, outputs: Mapping[str, Mapping[str, JsonValue]]) -> JsonValue:
    if step_id not in outputs:
        raise RunbookError(
            f"`${{steps.{step_id}.{key}}}`: step `{step_id}` has no recorded output",
            hint=f"add `{step_id}` to this step's `needs` so it runs first",
        )
    if key not in outputs[step_id]:
        known = ", ".join(sorted(outputs[step_id])) or "none"
        raise RunbookError(
            f"`${{steps.{step_id}.{key}}}`: step `{step_id}` produced no `{key}`",
            hint=f"outputs of `{step_id}`: {known}",
        )
    return outputs[step_id][key]
