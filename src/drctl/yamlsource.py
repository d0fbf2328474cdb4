"""YAML file → validated pydantic model, with errors that name file, line, column and field.

Plans, runbooks and review files all load through here: YAML syntax errors, duplicate keys
and pydantic validation errors all become one located error, of the class the caller names
(`PlanError` unless told otherwise; runbooks ask for `RunbookError`), listing every problem.
Callers may add `checks` over the raw data for rules that span fields (duplicate names,
regions), so those point at the offending node too.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from drctl.errors import DrctlError, PlanError

M = TypeVar("M", bound=BaseModel)
Loc = tuple[int | str, ...]


class Located(typing.NamedTuple):
    """A problem a raw-data check found: where in the data (a pydantic-style loc), what, what to do."""

    loc: Loc
    message: str
    hint: str = ""


RawCheck = Callable[[Any], list[Located]]
"""A check over the parsed YAML before validation; it must accept any data without raising."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys instead of keeping the last one."""

    error: type[DrctlError] = PlanError

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                mark = key_node.start_mark
                raise self.error(
                    f"duplicate key `{key}`",
                    hint="each key may appear once per mapping; remove or merge the repeated one",
                    where=f"{self.name}:{mark.line + 1}:{mark.column + 1}",
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path, *, error: type[DrctlError] = PlanError) -> tuple[Any, yaml.Node | None]:
    """Parse a YAML file into data plus its node tree (for line numbers)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror}", hint="check the path") from exc
    return parse_yaml(text, str(path), error=error)


def parse_yaml(
    text: str, name: str, *, error: type[DrctlError] = PlanError
) -> tuple[Any, yaml.Node | None]:
    """Parse YAML text; `name` appears in error locations."""
    try:
        loader = _StrictLoader(text)
    except yaml.reader.ReaderError as exc:
        raise error(
            f"character {exc.character!r} at offset {exc.position} is not allowed in YAML",
            hint="remove control characters from the file",
            where=name,
        ) from exc
    loader.name, loader.error = name, error
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except RecursionError:
        raise error(
            "the YAML is nested too deeply to read",
            hint="a plan or runbook is a few levels deep; look for runaway `[` or `{`",
            where=name,
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise error(
            f"YAML syntax error: {exc.problem or exc.context}",
            hint="check indentation and quoting around this line",
            where=where,
        ) from exc
    except yaml.YAMLError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise error(f"YAML error: {first_line}", hint="check the file is YAML", where=name) from exc
    finally:
        loader.dispose()
    return data, node


def load_model(
    path: Path,
    model: type[M],
    *,
    error: type[DrctlError] = PlanError,
    checks: Sequence[RawCheck] = (),
) -> M:
    """Read `path` and validate it as `model`, raising `error` with a location."""
    data, node = read_yaml(path, error=error)
    return validate_data(data, node, str(path), model, error=error, checks=checks)


def validate_data(
    data: Any,
    node: yaml.Node | None,
    name: str,
    model: type[M],
    *,
    error: type[DrctlError] = PlanError,
    checks: Sequence[RawCheck] = (),
) -> M:
    """Validate parsed YAML against `model`; every problem is listed and points at its YAML node.

    A model-level (root) error is dropped when a raw check already said the same with a location.
    """
    if not isinstance(data, dict):
        raise error(
            "expected a mapping at the top of the file",
            hint="start with `apiVersion:` and `kind:` (see `drctl init`)",
            where=f"{name}:1:1",
        )
    _expect_kind(data, node, name, model, error)
    found = [_place(p.loc, p.message, p.hint, node, name) for c in checks for p in c(data)]
    result: M | None = None
    try:
        result = model.model_validate(data)
    except ValidationError as exc:
        errors = _without_echoes(sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden"))
        found += [_problem(e, node, name, model) for e in errors if not (found and not e["loc"])]
    except RecursionError:
        found.append(_Problem(name, "the file is nested too deeply to validate", ""))
    if found or result is None:
        raise _error(error, found)
    return result


KINDS = {
    "DRPlan": (
        "a DR plan",
        "compile a runbook from it: `drctl compile PLAN --scenario drill -o FILE`",
    ),
    "Runbook": ("a runbook", "run it with `drctl run FILE`, or pass the plan it came from"),
    "CheckBaseline": ("a check baseline", "pass it to `drctl check PLAN --baseline FILE`"),
}
"""The `kind:` of each drctl file, what it is, and where it goes."""


def _expect_kind(
    data: dict[str, Any], node: yaml.Node | None, name: str, model: type[M], error: type[DrctlError]
) -> None:
    """One clear error when the file is another drctl kind (a plan given as a runbook, ...)."""
    field = model.model_fields.get("kind")
    expected = typing.get_args(field.annotation) if field is not None else ()
    given = data.get("kind")
    if not isinstance(given, str) or given not in KINDS or given in expected or not expected:
        return
    what, use = KINDS[given]
    wanted = KINDS.get(str(expected[0]), (f"kind {expected[0]}", ""))[0]
    raise error(
        f"this file is {what} (`kind: {given}`), not {wanted}",
        hint=use,
        where=_place(("kind",), "", "", node, name).where,
    )


def _without_echoes(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """Drop `owner: Field required` when `ownr:` sits in the same mapping: one typo, one problem."""
    typos = {
        (tuple(e["loc"][:-1]), close)
        for e in errors
        if e["type"] == "extra_forbidden" and e["loc"]
        for close in _close_keys(str(e["loc"][-1]), errors)
    }
    return [
        e
        for e in errors
        if not (e["type"] == "missing" and (tuple(e["loc"][:-1]), e["loc"][-1]) in typos)
    ]


def _close_keys(key: str, errors: list[ErrorDetails]) -> list[str]:
    missing = [str(e["loc"][-1]) for e in errors if e["type"] == "missing" and e["loc"]]
    return difflib.get_close_matches(key, missing, n=1)


def _error(error: type[DrctlError], problems: list[_Problem]) -> DrctlError:
    listed = [error(p.message, hint=p.hint, where=p.where) for p in problems]
    first = listed[0]
    return error(first.message, hint=first.hint, where=first.where, problems=listed)


class _Problem(typing.NamedTuple):
    where: str
    message: str
    hint: str


def _problem(
    err: ErrorDetails, root: yaml.Node | None, name: str, model: type[BaseModel]
) -> _Problem:
    loc: Loc = tuple(err["loc"])
    text = err["msg"].removeprefix("Value error, ")
    return _place(loc, text, _hint(err, loc, model), root, name)


def _place(loc: Loc, text: str, hint: str, root: yaml.Node | None, name: str) -> _Problem:
    target, field = _locate(root, loc)
    mark = target.start_mark if target is not None else None
    where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
    return _Problem(where, f"{field}: {text}" if field else text, hint)


def _locate(root: yaml.Node | None, loc: Loc) -> tuple[yaml.Node | None, str]:
    """The YAML node a pydantic loc points at, and the loc as `a.b[0].c` (union tags dropped)."""
    node, key, path = root, root, ""
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if part == "[key]":
            node = key
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else node
            path += f"[{part}]"
        elif isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if pair is None:
                if last:
                    path, node = path + f".{part}", key
                continue
            key, node = pair
            path += f".{part}"
            if last:
                node = key
    return node, path.lstrip(".")


def _hint(err: ErrorDetails, loc: Loc, model: type[BaseModel]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if close:
            return f"did you mean `{close[0]}`?"
        return (
            f"remove it; allowed keys here: {', '.join(sorted(allowed))}"
            if allowed
            else "remove it"
        )
    if kind == "missing":
        return f"add `{loc[-1]}:` here"
    if kind == "string_type":
        return 'quote the value so YAML keeps it as text, e.g. "1.29"'
    if kind in ("enum", "literal_error", "union_tag_invalid"):
        return _did_you_mean(err)
    if kind == "union_tag_not_found":
        return "add `kind:` (see `drctl schema` for the kinds)"
    if kind in ("int_type", "int_parsing"):
        return "write a whole number"
    return ""


def _did_you_mean(err: ErrorDetails) -> str:
    """`did you mean ...?` for a misspelt enum value or `kind:`, else the choices."""
    ctx = err.get("ctx") or {}
    expected = str(ctx.get("expected") or ctx.get("expected_tags") or "")
    choices = re.findall(r"'([^']*)'", expected)
    given = str(ctx.get("tag", err.get("input")))
    # A prefix (`eks` for `eks-cluster`) says more than letter similarity (`efs`).
    close = [c for c in choices if c.startswith(given)] if given else []
    close = close or difflib.get_close_matches(given, choices, n=1)
    if close:
        return f"did you mean `{close[0]}`?"
    key = "kind" if "tag" in ctx else "one"
    return f"{key} of: {', '.join(choices)}" if choices else ""


def _allowed_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """Keys a mapping at `loc` accepts, found by walking the model's type annotations."""
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    current = _unwrap(current, None)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _step(tp: Any, part: int | str) -> Any:
    tp = _unwrap(tp, part)
    origin = typing.get_origin(tp)
    if _kind_of(tp) == part:
        return tp
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for field_name, field in tp.model_fields.items():
            if part in (field_name, field.alias):
                return field.annotation
        return None
    if origin is list and isinstance(part, int):
        return typing.get_args(tp)[0]
    if origin is dict:
        return typing.get_args(tp)[1]
    return None


def _unwrap(tp: Any, part: int | str | None) -> Any:
    """Strip Annotated/Optional; pick the union member whose `kind` equals `part`."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            tagged = [m for m in members if _kind_of(m) == part]
            if tagged:
                return tagged[0]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp


def _kind_of(tp: Any) -> str | None:
    if isinstance(tp, type) and issubclass(tp, BaseModel) and "kind" in tp.model_fields:
        args = typing.get_args(tp.model_fields["kind"].annotation)
        return str(args[0]) if args else None
    return None
