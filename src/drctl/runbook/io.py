"""Runbook YAML ⇄ `Runbook`, with the same file:line:col errors as plans.

Beyond the model's own checks (duplicate ids, unknown `needs`, cycles) a loaded runbook
must name registered action kinds, its params must validate against each action's
`Params`, and `${steps.<id>.<key>}` references must point at steps that run earlier.
Like a plan's, its regions must be AWS regions, its URLs URLs and its timeouts positive
(`runbook/inputs.py`); a plan given where a runbook belongs says so.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from drctl.errors import RunbookError
from drctl.providers import registry
from drctl.runbook.graph import check_graph, item_node, key_node, value_node, where
from drctl.runbook.inputs import RUNBOOK_CHECKS
from drctl.runbook.model import Runbook, Step
from drctl.runbook.refs import references
from drctl.yamlsource import parse_yaml, read_yaml, validate_data


def load_runbook(path: Path) -> Runbook:
    """Read and fully validate a runbook file."""
    data, node = read_yaml(path, error=RunbookError)
    return _checked(data, node, str(path))


def parse_runbook(text: str, name: str = "<runbook>") -> Runbook:
    """Validate runbook YAML text; `name` appears in error locations."""
    data, node = parse_yaml(text, name, error=RunbookError)
    return _checked(data, node, name)


def parse_stored_runbook(text: str, name: str, data: Any = None) -> Runbook:
    """`parse_runbook` for YAML drctl dumped itself (a run's stored runbook), four times faster.

    libyaml reads it and no node tree is kept for line numbers; the same checks run on
    the data. `data`, when given, is what `text` was dumped from (`runbook_data`), and
    nothing is read at all. Should any check fail, the text is parsed again the slow way,
    so the error names its line as `parse_runbook`'s would.
    """
    try:
        data = yaml.load(text, Loader=_FastLoader) if data is None else data
        return _checked(data, None, name)
    except (yaml.YAMLError, RunbookError):
        return parse_runbook(text, name)


def runbook_data(runbook: Runbook) -> dict[str, Any]:
    """What `dump_runbook` writes, as data: keys in model order, defaults left out."""
    data = runbook.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return {"apiVersion": runbook.api_version, "kind": runbook.kind, **data}


def dump_runbook(runbook: Runbook) -> str:
    """Stable YAML for a runbook (`runbook_data`).

    libyaml's emitter writes the same text as PyYAML's (tests/runbook/test_io.py checks
    every example), four times faster: a 1,000-step run's start spent 0.4 ms a step here.
    """
    return dump_data(runbook_data(runbook))


def dump_data(data: dict[str, Any]) -> str:
    """`runbook_data`'s YAML text."""
    text: str = yaml.dump(data, Dumper=_FastDumper, sort_keys=False, allow_unicode=True, width=100)
    return text


_FastLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FastDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def runbook_hash(runbook: Runbook) -> str:
    """sha256 of the canonical YAML: two runs of the same runbook share it."""
    return hashlib.sha256(dump_runbook(runbook).encode()).hexdigest()


def _checked(data: Any, node: yaml.Node | None, name: str) -> Runbook:
    check_graph(data, node, name)
    runbook = validate_data(data, node, name, Runbook, error=RunbookError, checks=RUNBOOK_CHECKS)
    for index, step in enumerate(runbook.steps):
        _check_action(step, _step_node(node, index), name)
        _check_refs(runbook, step, _step_node(node, index), name)
    return runbook


def _check_action(step: Step, node: yaml.Node | None, name: str) -> None:
    try:
        cls = registry.action_class(step.action)
    except RunbookError as exc:
        raise RunbookError(
            f"step `{step.id}`: {exc.message}", hint=exc.hint, where=_where(node, "action", name)
        ) from None
    try:
        cls.Params.model_validate(step.params)
    except ValidationError as exc:
        problems = [e for e in exc.errors() if "${" not in str(e.get("input"))]
        if problems:
            first = problems[0]
            field = ".".join(str(p) for p in first["loc"]) or "params"
            raise RunbookError(
                f"step `{step.id}` ({step.action}): params.{field}: {first['msg']}",
                hint=f"allowed params: {', '.join(cls.Params.model_fields)}",
                where=_where(node, "params", name),
            ) from None


def _check_refs(runbook: Runbook, step: Step, node: yaml.Node | None, name: str) -> None:
    refs = list(references(step.params))
    earlier = _ancestors(runbook, step.id) if refs else set()
    for ref_step, key in refs:
        if ref_step not in earlier:
            raise RunbookError(
                f"step `{step.id}` uses `${{steps.{ref_step}.{key}}}` but `{ref_step}` "
                "does not run before it",
                hint=f"add `{ref_step}` to `needs` of `{step.id}`",
                where=_where(node, "params", name),
            )


def _ancestors(runbook: Runbook, step_id: str) -> set[str]:
    seen: set[str] = set()
    todo = list(runbook.step(step_id).needs)
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(runbook.step(current).needs)
    return seen


def _step_node(root: yaml.Node | None, index: int) -> yaml.Node | None:
    return item_node(value_node(root, "steps"), index)


def _where(step_node: yaml.Node | None, key: str, name: str) -> str:
    return where(key_node(step_node, key) or step_node, name)
