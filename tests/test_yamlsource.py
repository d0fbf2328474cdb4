"""Any pydantic model loads from YAML with errors located at file:line:col, not only plans."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from drctl.errors import PlanError
from drctl.yamlsource import load_model, parse_yaml, validate_data


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    pager: int = 0


class Roster(BaseModel):
    model_config = ConfigDict(extra="forbid")

    team: str
    contacts: list[Contact]


def test_a_valid_file_becomes_the_model(tmp_path: Path) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text("team: platform\ncontacts:\n  - name: alice\n", encoding="utf-8")
    assert load_model(path, Roster) == Roster(team="platform", contacts=[Contact(name="alice")])


def test_a_misspelt_key_points_at_its_line_and_suggests_the_right_one() -> None:
    text = "team: platform\ncontacts:\n  - name: alice\n    pagr: 3\n"
    data, node = parse_yaml(text, "roster.yaml")
    with pytest.raises(PlanError) as info:
        validate_data(data, node, "roster.yaml", Roster)
    assert (info.value.where, info.value.message) == (
        "roster.yaml:4:5",
        "contacts[0].pagr: Extra inputs are not permitted",
    )
    assert info.value.hint == "did you mean `pager`?"


def test_a_duplicate_key_is_refused_where_it_repeats() -> None:
    with pytest.raises(PlanError) as info:
        parse_yaml("team: a\ncontacts: []\nteam: b\n", "roster.yaml")
    assert (info.value.where, info.value.message) == ("roster.yaml:3:1", "duplicate key `team`")


def test_a_yaml_syntax_error_is_located() -> None:
    with pytest.raises(PlanError) as info:
        parse_yaml("team: [platform\n", "roster.yaml")
    assert info.value.where.startswith("roster.yaml:2:")
    assert info.value.message.startswith("YAML syntax error")
