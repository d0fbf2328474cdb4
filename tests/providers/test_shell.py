"""The `shell` action: output captured, guards make it idempotent, failures say what to do."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from drctl.errors import ProviderError
from drctl.providers import registry
from drctl.providers.base import ActionContext
from drctl.providers.shell import Shell


def shell(**params: object) -> Shell:
    action = registry.create("shell", dict(params), ActionContext())
    assert isinstance(action, Shell)
    return action


def test_output_and_env_are_captured_and_the_env_values_stay_out_of_describe() -> None:
    action = shell(command="printf $TOKEN; printf oops >&2", env={"TOKEN": "s3cret"})
    outcome = action.apply()
    assert outcome.changed
    assert outcome.output == {"exit_code": 0, "stdout": "s3cret", "stderr": "oops"}
    assert "s3cret" not in action.describe()


def test_creates_makes_a_repeat_a_no_op(tmp_path: Path) -> None:
    log = tmp_path / "log"
    action = shell(
        command=f"echo ran >> {log} && touch {tmp_path}/done", creates=str(tmp_path / "done")
    )
    assert action.current() == {"done": False}
    assert action.apply().changed
    assert action.verify(time.monotonic() + 5) == {}
    again = action.apply()
    assert (again.changed, again.detail) == (False, "already done (guard satisfied); not run again")
    assert log.read_text() == "ran\n"


def test_unless_skips_the_command_when_its_check_succeeds(tmp_path: Path) -> None:
    marker = tmp_path / "m"
    action = shell(command=["touch", str(marker)], unless=f"test -e {marker}")
    assert action.describe() == f"run `touch {marker}` unless `test -e {marker}` succeeds"
    assert action.apply().changed
    assert not action.apply().changed


def test_a_failing_command_names_its_status_and_last_line_and_may_be_retried() -> None:
    with pytest.raises(ProviderError) as err:
        shell(command="echo first; echo 'replica not found' >&2; exit 4").apply()
    assert (
        err.value.message
        == "`echo first; echo 'replica not found' >&2; exit 4` exited with status 4: replica not found"
    )
    assert (err.value.code, err.value.retryable) == ("exit 4", True)


def test_a_command_past_its_own_timeout_is_killed() -> None:
    started = time.monotonic()
    with pytest.raises(ProviderError, match=r"ran longer than 0\.5s and was killed"):
        Shell(
            Shell.Params(command="sleep 20", timeout=timedelta(milliseconds=500)), ActionContext()
        ).apply()
    assert time.monotonic() - started < 5


def test_verify_fails_when_the_promised_path_was_not_created(tmp_path: Path) -> None:
    action = shell(command="true", creates=str(tmp_path / "never"))
    action.apply()
    with pytest.raises(ProviderError, match="did not create"):
        action.verify(time.monotonic() + 1)
