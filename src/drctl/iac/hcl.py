"""A small HCL writer for the Terraform drctl renders: blocks, aligned attributes, maps, heredocs.

Output is already in `terraform fmt` style (tests run `terraform fmt -check` when terraform is
installed), so rendered files diff cleanly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


class Expr(str):
    """An HCL expression written as-is (`var.x`, `aws_iam_role.r.arn`), not quoted."""

    __slots__ = ()


Value = str | int | bool | Expr | dict[str, str]


@dataclass(frozen=True)
class Heredoc:
    """A multi-line string written as `<<-EOT` (JSON policies)."""

    text: str


@dataclass(frozen=True)
class Block:
    """`type "label" { attrs ... nested blocks ... }`."""

    type: str
    labels: tuple[str, ...] = ()
    attrs: tuple[tuple[str, Value | Heredoc], ...] = ()
    blocks: tuple[Block, ...] = field(default=())


def literal(value: Value) -> str:
    """One-line HCL for a scalar value."""
    if isinstance(value, Expr):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value).replace("${", "$${").replace("%{", "%%{")
    raise TypeError(f"not a scalar: {value!r}")


def _key(name: str) -> str:
    return name if name.replace("_", "a").replace("-", "a").isalnum() else json.dumps(name)


def _aligned(pairs: list[tuple[str, str]], pad: str) -> list[str]:
    width = max((len(k) for k, _ in pairs), default=0)
    return [f"{pad}{k.ljust(width)} = {v}" for k, v in pairs]


def emit(block: Block, depth: int = 0) -> list[str]:
    """The lines of `block` at nesting `depth`."""
    pad = "  " * depth
    head = " ".join([block.type, *(json.dumps(label) for label in block.labels)])
    lines = [f"{pad}{head} {{"]
    simple = [(k, literal(v)) for k, v in block.attrs if not isinstance(v, dict | Heredoc)]
    lines += _aligned(simple, pad + "  ")
    for key, value in block.attrs:
        if isinstance(value, dict):
            lines += [*_gap(lines), f"{pad}  {key} = {{"]
            lines += _aligned([(_key(k), literal(v)) for k, v in value.items()], pad + "    ")
            lines.append(f"{pad}  }}")
        elif isinstance(value, Heredoc):
            lines += [*_gap(lines), f"{pad}  {key} = <<-EOT"]
            text = value.text.rstrip("\n").replace("${", "$${").replace("%{", "%%{")
            lines += [f"{pad}    {line}" if line else "" for line in text.split("\n")]
            lines.append(f"{pad}  EOT")
    for child in block.blocks:
        lines += _gap(lines) + emit(child, depth + 1)
    lines.append(f"{pad}}}")
    return lines


def _gap(lines: list[str]) -> list[str]:
    """A blank line between members, but none straight after the opening brace."""
    return [] if len(lines) == 1 else [""]


def document(*blocks: Block) -> str:
    """Top-level blocks separated by blank lines, with a final newline."""
    return "\n\n".join("\n".join(emit(b)) for b in blocks) + "\n"
