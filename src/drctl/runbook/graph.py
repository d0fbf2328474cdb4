"""Located DAG errors: duplicate step ids, unknown `needs` and cycles, pointing at the YAML line.

The model rejects the same things, but only with the whole file as location; this check
runs first on the parsed YAML so each error names the line to fix.
"""

from __future__ import annotations

import graphlib
from typing import Any, cast

import yaml

from drctl.errors import RunbookError


def check_graph(data: Any, root: yaml.Node | None, name: str) -> None:
    """Raise a located error for duplicate ids, unknown needs or a cycle; ignore malformed input."""
    steps = _steps(data, root)
    if steps is None:
        return
    seen: set[str] = set()
    for raw, node in steps:
        step_id = raw["id"]
        if step_id in seen:
            raise RunbookError(
                f"duplicate step id `{step_id}`",
                hint="each step needs its own id; rename one of them",
                where=where(value_node(node, "id"), name),
            )
        seen.add(step_id)
    for raw, node in steps:
        for index, need in enumerate(raw.get("needs") or []):
            if need not in seen:
                raise RunbookError(
                    f"step `{raw['id']}` needs unknown step `{need}`",
                    hint=f"known steps: {', '.join(sorted(seen))}",
                    where=where(item_node(value_node(node, "needs"), index), name),
                )
    _check_cycle(steps, name)


def _check_cycle(steps: list[tuple[dict[str, Any], yaml.Node]], name: str) -> None:
    graph = {raw["id"]: list(raw.get("needs") or []) for raw, _ in steps}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        cycle: list[str] = exc.args[1]
        node = next(n for raw, n in steps if raw["id"] == cycle[0])
        raise RunbookError(
            f"steps form a cycle: {' -> '.join(cycle)}",
            hint="remove one of these `needs` so the steps can be ordered",
            where=where(value_node(node, "needs") or node, name),
        ) from None


def _steps(data: Any, root: yaml.Node | None) -> list[tuple[dict[str, Any], yaml.Node]] | None:
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        return None
    raws = data["steps"]
    nodes = value_node(root, "steps")
    if not isinstance(nodes, yaml.SequenceNode) or len(nodes.value) != len(raws):
        return None
    valid = all(
        isinstance(r, dict)
        and isinstance(r.get("id"), str)
        and isinstance(r.get("needs", []), list | type(None))
        and all(isinstance(n, str) for n in r.get("needs") or [])
        for r in raws
    )
    return list(zip(raws, nodes.value, strict=True)) if valid else None


def value_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value node under `key` of a mapping node."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            if key_node.value == key:
                return cast(yaml.Node, value)
    return None


def key_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The key node `key` of a mapping node (its line is where a field starts)."""
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if k.value == key:
                return cast(yaml.Node, k)
    return None


def item_node(node: yaml.Node | None, index: int) -> yaml.Node | None:
    """Item `index` of a sequence node (the sequence itself when out of range)."""
    if isinstance(node, yaml.SequenceNode) and index < len(node.value):
        return cast(yaml.Node, node.value[index])
    return node


def where(node: yaml.Node | None, name: str) -> str:
    """`file:line:col` of a node (just the file when unknown)."""
    if node is None:
        return name
    return f"{name}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"
