"""Help text without typer 0.29's noise: no `<bool>` beside flags, no `{plan_file}` in usage.

Typer prints a value type for every option, flags included (`--json <bool>`), and wraps a
required argument's name in braces (`{plan_file}`). drctl's help reads like click's: flags
show no type, and arguments appear as their upper-case metavar (`PLAN`, `[RUN]`).
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperOption


def _option_type(self: TyperOption, ctx: Any) -> str | None:
    if self.is_flag or self.count:
        return None
    return _option_type_of_typer(self, ctx)


def _argument_name(self: TyperArgument) -> str:
    return (self.metavar or self.name or "").upper()


def _argument_usage(self: TyperArgument) -> str:
    name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
    return name + ("..." if self.nargs != 1 else "")


_option_type_of_typer = TyperOption.display_type_rich


def install() -> None:
    """Make typer's parameters render as described above (idempotent)."""
    TyperOption.display_type_rich = _option_type  # type: ignore[method-assign]
    TyperArgument._usage_display_name = _argument_usage  # type: ignore[method-assign]
    TyperArgument.display_name_raw = property(_argument_name)  # type: ignore[assignment,method-assign]
