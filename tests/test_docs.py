"""The docs stay true: every command has an example in its help and is named in the README."""

from __future__ import annotations

from pathlib import Path

import typer.main

from drctl.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _commands() -> list[tuple[str, str]]:
    root = typer.main.get_command(app)
    found: list[tuple[str, str]] = []

    def walk(command: object, prefix: str) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, f"{prefix} {name}".strip())
        else:
            found.append((prefix, getattr(command, "help", "") or ""))

    walk(root, "")
    return sorted(found)


def test_every_command_help_carries_an_example() -> None:
    missing = [name for name, help_text in _commands() if "Example:" not in help_text]
    assert missing == []


def test_readme_mentions_every_command() -> None:
    missing = [name for name, _ in _commands() if f"drctl {name}" not in README]
    assert missing == []


def test_readme_names_the_two_commands() -> None:
    assert "make demo" in README
    assert "make test" in README
