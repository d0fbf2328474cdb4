"""A minimal renderer for the Go-template subset the drctl Helm chart uses (helm is not installable here).

Supported, as Helm does it: `{{ .Values.a.b }}`, `.Release.Name`/`.Namespace`, `.Chart.Name`/
`.Version`/`.AppVersion`, `if`/`else`/`end`, the functions `quote`, `toYaml` and `nindent N`
in pipelines, and `{{-`/`-}}` whitespace trimming. Anything else raises `Unsupported`, so a
template using more than this renderer knows fails the test instead of rendering wrongly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

_ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.S)
_FIELD = re.compile(r"^\.(Values|Release|Chart)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)?$")


class Unsupported(Exception):
    """The template uses something this renderer does not implement."""


@dataclass
class _If:
    condition: str
    then: list[Any] = field(default_factory=list)
    otherwise: list[Any] = field(default_factory=list)
    in_else: bool = False


def _tokens(text: str) -> list[str | tuple[str]]:
    """Text and (action,) tuples, with `{{-` / `-}}` trimming applied to the text."""
    out: list[str | tuple[str]] = []
    pos, trim_next = 0, False
    for match in _ACTION.finditer(text):
        chunk = text[pos : match.start()]
        if trim_next:
            chunk = chunk.lstrip()
        if match[1]:
            chunk = chunk.rstrip()
        out += [chunk, (match[2],)]
        pos, trim_next = match.end(), bool(match[3])
    tail = text[pos:]
    out.append(tail.lstrip() if trim_next else tail)
    return out


def _tree(tokens: list[str | tuple[str]]) -> list[Any]:
    root: list[Any] = []
    stack: list[_If] = []

    def target() -> list[Any]:
        if not stack:
            return root
        top = stack[-1]
        return top.otherwise if top.in_else else top.then

    for token in tokens:
        if isinstance(token, str):
            target().append(token)
            continue
        (action,) = token
        if action.startswith("if "):
            node = _If(action[3:].strip())
            target().append(node)
            stack.append(node)
        elif action == "else":
            if not stack or stack[-1].in_else:
                raise Unsupported("`else` outside `if`")
            stack[-1].in_else = True
        elif action == "end":
            if not stack:
                raise Unsupported("`end` without `if`")
            stack.pop()
        elif action.split()[0] in ("range", "with", "define", "template", "include", "block"):
            raise Unsupported(f"`{action.split()[0]}` is not supported")
        else:
            target().append(token)
    if stack:
        raise Unsupported("`if` without `end`")
    return root


def _lookup(path: str, context: dict[str, Any]) -> Any:
    match = _FIELD.match(path)
    if match is None:
        raise Unsupported(f"term `{path}`")
    value: Any = context[match[1]]
    for part in (match[2] or "").lstrip(".").split(".") if match[2] else []:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _to_yaml(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=False, sort_keys=True).rstrip("\n")


def _pipeline(expr: str, context: dict[str, Any]) -> Any:
    stages = [s.strip() for s in expr.split("|")]
    first = stages[0].split()
    if len(first) == 2 and first[0] == "toYaml":
        value: Any = _to_yaml(_lookup(first[1], context))
    elif len(first) == 1:
        value = _lookup(first[0], context)
    else:
        raise Unsupported(f"expression `{stages[0]}`")
    for stage in stages[1:]:
        name, *args = stage.split()
        if name == "quote" and not args:
            value = json.dumps("" if value is None else str(value))
        elif name == "toYaml" and not args:
            value = _to_yaml(value)
        elif name == "nindent" and len(args) == 1 and args[0].isdigit():
            pad = " " * int(args[0])
            value = "\n" + "\n".join(
                pad + line if line else line for line in _text(value).split("\n")
            )
        else:
            raise Unsupported(f"function `{stage}`")
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise Unsupported(f"printing a {type(value).__name__} without toYaml")


def _truthy(value: Any) -> bool:
    return bool(value)  # Go templates: false, 0, nil and empty strings/maps/lists are false


def _emit(nodes: list[Any], context: dict[str, Any]) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, _If):
            branch = node.then if _truthy(_pipeline(node.condition, context)) else node.otherwise
            out.append(_emit(branch, context))
        else:
            out.append(_text(_pipeline(node[0], context)))
    return "".join(out)


def render(
    template: str, values: dict[str, Any], release: dict[str, Any], chart: dict[str, Any]
) -> str:
    """Render one template file."""
    context = {"Values": values, "Release": release, "Chart": chart}
    return _emit(_tree(_tokens(template)), context)
