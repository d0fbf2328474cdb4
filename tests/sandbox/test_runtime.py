"""`Sandbox` lifecycle: one after another in a process, and errors that say what to do."""

from __future__ import annotations

import pytest

from drctl.errors import ConfigError
from drctl_sandbox.runtime import Sandbox

pytestmark = pytest.mark.slow  # provisions the seed estate twice


def test_a_second_sandbox_in_the_same_process_starts_from_a_clean_account() -> None:
    with Sandbox() as first:
        first_zone = first.estate.failover().zone_id
    with Sandbox() as second:
        assert second.estate.failover().zone_id != first_zone
        assert second.resolve(second.estate.failover().record_name) == ["127.0.0.2"]


def test_the_estate_of_an_unstarted_sandbox_is_a_config_error_with_a_hint() -> None:
    with pytest.raises(ConfigError) as caught:
        _ = Sandbox().estate
    assert caught.value.hint == "use `with Sandbox(plan) as sb:`"


def test_failing_an_unknown_region_names_the_regions_there_are() -> None:
    sandbox = Sandbox()
    with pytest.raises(ConfigError) as caught:
        sandbox.fail_region("us-west-2")
    assert str(caught.value) == "the sandbox has no region us-west-2"
    assert caught.value.hint == "use one of ap-northeast-1, ap-southeast-1"
