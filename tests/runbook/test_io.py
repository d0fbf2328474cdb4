"""Runbook files: located errors for every DAG mistake, params checked per action, stable YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from drctl.errors import DrctlError, PlanError, RunbookError
from drctl.plan.load import load_plan
from drctl.plan.model import Scenario
from drctl.runbook.compile import compile_plan
from drctl.runbook.io import (
    dump_runbook,
    load_runbook,
    parse_runbook,
    parse_stored_runbook,
    runbook_hash,
)
from drctl.runbook.model import Runbook
from drctl.runbook.refs import substitute

GOOD = """\
apiVersion: drctl/v1
kind: Runbook
name: restore
steps:
  - id: snapshot
    title: Find the newest snapshot
    action: shell
    params: {command: "echo snap-1"}
  - id: restore
    title: Restore it
    action: shell
    needs: [snapshot]
    params: {command: "echo ${steps.snapshot.stdout}"}
    retry: {attempts: 3, backoff: 1s}
  - id: approve
    title: Approve the switch
    action: approval
    needs: [restore]
    approval: {required: 2, approvers: [alice, bob, carol]}
"""
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rb.yaml"
    path.write_text(text)
    return path


def test_a_valid_runbook_loads_and_round_trips_through_stable_yaml(tmp_path: Path) -> None:
    runbook = load_runbook(write(tmp_path, GOOD))
    again = parse_runbook(dump_runbook(runbook))
    assert again == runbook
    assert dump_runbook(again) == dump_runbook(runbook)
    assert runbook_hash(again) == runbook_hash(runbook)
    assert "timeout" not in dump_runbook(runbook)  # defaults are left out


def test_a_cycle_is_reported_at_the_needs_of_a_step_in_it(tmp_path: Path) -> None:
    text = GOOD.replace(
        '    action: shell\n    params: {command: "echo snap-1"}',
        '    action: shell\n    needs: [approve]\n    params: {command: "echo snap-1"}',
    )
    with pytest.raises(RunbookError) as err:
        load_runbook(write(tmp_path, text))
    assert "steps form a cycle" in err.value.message
    assert err.value.where.endswith("rb.yaml:8:12")


def test_unknown_needs_names_the_line_of_the_missing_step(tmp_path: Path) -> None:
    text = GOOD.replace("needs: [restore]", "needs: [restor]")
    with pytest.raises(RunbookError) as err:
        load_runbook(write(tmp_path, text))
    assert err.value.message == "step `approve` needs unknown step `restor`"
    assert err.value.where.endswith("rb.yaml:18:13")
    assert "restore" in err.value.hint


def test_a_duplicate_step_id_points_at_the_second_one(tmp_path: Path) -> None:
    text = GOOD.replace("  - id: approve", "  - id: restore")
    with pytest.raises(RunbookError) as err:
        load_runbook(write(tmp_path, text))
    assert err.value.message == "duplicate step id `restore`"
    assert err.value.where.endswith("rb.yaml:15:9")


def test_an_unknown_action_kind_lists_the_known_kinds_at_its_line(tmp_path: Path) -> None:
    text = GOOD.replace("action: approval", "action: aproval")
    with pytest.raises(RunbookError) as err:
        load_runbook(write(tmp_path, text))
    assert err.value.message == "step `approve`: unknown action kind `aproval`"
    assert err.value.where.endswith("rb.yaml:17:5")
    assert "did you mean `approval`?" in err.value.hint
    for kind in ("shell", "http", "wait", "approval", "manual"):
        assert kind in err.value.hint


def test_params_are_validated_against_the_action_at_the_params_line(tmp_path: Path) -> None:
    text = GOOD.replace('params: {command: "echo snap-1"}', 'params: {comand: "echo snap-1"}')
    with pytest.raises(RunbookError) as err:
        load_runbook(write(tmp_path, text))
    assert err.value.message.startswith("step `snapshot` (shell): params.")
    assert err.value.where.endswith("rb.yaml:8:5")
    assert "command" in err.value.hint


def test_a_reference_to_a_step_that_does_not_run_earlier_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("    needs: [snapshot]\n", "")
    with pytest.raises(RunbookError) as err:
        load_runbook(write(tmp_path, text))
    assert "`snapshot` does not run before it" in err.value.message
    assert err.value.hint == "add `snapshot` to `needs` of `restore`"


def test_yaml_and_schema_mistakes_in_a_runbook_are_runbook_errors_not_plan_errors(
    tmp_path: Path,
) -> None:
    for text, message in [
        (GOOD.replace("name: restore", "name: [restore"), "YAML syntax error"),
        (GOOD.replace("name: restore", "name: restore\nname: again"), "duplicate key `name`"),
        (GOOD.replace("    title: Restore it\n", ""), "steps[1].title: Field required"),
    ]:
        with pytest.raises(RunbookError) as err:
            load_runbook(write(tmp_path, text))
        assert err.value.message.startswith(message), err.value.message
        assert not isinstance(err.value, PlanError)
    with pytest.raises(RunbookError, match="cannot read"):
        load_runbook(tmp_path / "missing.yaml")


def test_a_reference_to_an_output_no_step_recorded_is_a_runbook_error() -> None:
    with pytest.raises(RunbookError) as err:
        substitute({"command": "echo ${steps.snapshot.id}"}, {"snapshot": {"stdout": "snap-1"}})
    assert err.value.message == "`${steps.snapshot.id}`: step `snapshot` produced no `id`"
    assert err.value.hint == "outputs of `snapshot`: stdout"


def _compiled_examples() -> list[Runbook]:
    found = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        plan = load_plan(path)
        for scenario in Scenario:
            try:
                found.append(compile_plan(plan, scenario))
            except (ValueError, DrctlError):  # not a scenario of this plan
                continue
    return found


def test_the_fast_dump_writes_pyyamls_text_for_every_example_runbook() -> None:
    """The run's hash and provenance compare dumps: libyaml must not change a byte."""
    runbooks = _compiled_examples()
    assert len(runbooks) >= 10
    for runbook in runbooks:
        data = runbook.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        data = {"apiVersion": runbook.api_version, "kind": runbook.kind, **data}
        slow = yaml.dump(
            data, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=True, width=100
        )
        assert dump_runbook(runbook) == slow, runbook.name


def test_a_stored_runbook_reads_back_as_parse_runbook_reads_it() -> None:
    for runbook in _compiled_examples():
        text = dump_runbook(runbook)
        assert parse_stored_runbook(text, "run r") == parse_runbook(text, "run r") == runbook


def test_a_bad_stored_runbook_fails_with_the_line_parse_runbook_names() -> None:
    broken = GOOD.replace("needs: [snapshot]", "needs: [nowhere]")
    with pytest.raises(RunbookError) as fast:
        parse_stored_runbook(broken, "run r")
    with pytest.raises(RunbookError) as slow:
        parse_runbook(broken, "run r")
    assert (fast.value.message, fast.value.where) == (slow.value.message, slow.value.where)
    assert fast.value.where == "run r:12:13"
