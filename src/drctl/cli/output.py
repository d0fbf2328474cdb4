"""Terminal output: rich when interactive, plain when piped, JSON or YAML with `-o` (or `--json`).

Every read command takes `-o/--output table|json|yaml`; `--json` stays as the alias of
`-o json`. `--quiet` (on `drctl` itself) silences the rich console: only errors on stderr,
and the machine output a command was asked for, remain.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
import yaml
from pydantic import BaseModel
from rich.console import Console

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


class OutputFormat(StrEnum):
    """What a read command prints: a table for people, JSON or YAML for machines."""

    TABLE = "table"
    JSON = "json"
    YAML = "yaml"


OutputOption = Annotated[
    OutputFormat | None,
    typer.Option("--output", "-o", help="table (default), json or yaml.", show_default=False),
]


def data_format(output: OutputFormat | None, json_out: bool = False) -> OutputFormat | None:
    """JSON or YAML when asked for (`--json` means `-o json`); None means print the table."""
    chosen = OutputFormat.JSON if json_out else output
    return None if chosen in (None, OutputFormat.TABLE) else chosen


def print_data(value: Any, fmt: OutputFormat = OutputFormat.JSON) -> None:
    """Print a model, list of models or plain data as JSON or YAML on stdout."""
    text = json.dumps(_plain(value), indent=2, ensure_ascii=False, default=str)
    if fmt is OutputFormat.YAML:
        # Through JSON first, so YAML shows exactly the JSON's values (paths and dates as text).
        text = yaml.safe_dump(json.loads(text), sort_keys=False, allow_unicode=True).rstrip("\n")
    sys.stdout.write(text + "\n")


def print_json(value: Any) -> None:
    """Print a model, list of models or plain data as indented JSON on stdout."""
    print_data(value, OutputFormat.JSON)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, StrEnum):
        return str(value)
    return value
