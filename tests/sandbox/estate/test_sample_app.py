"""The sample apps: one per region on its own loopback address, with failure injection."""

from __future__ import annotations

import httpx
import pytest
from tests.sandbox.conftest import PRIMARY, SECONDARY

from drctl_sandbox.estate.sample_app import SampleApps


def test_each_region_serves_its_own_name_on_its_own_address_and_the_same_port(
    apps: SampleApps,
) -> None:
    primary, secondary = apps[PRIMARY], apps[SECONDARY]
    assert (primary.host, secondary.host) == ("127.0.0.2", "127.0.0.3")
    assert primary.port == secondary.port == apps.port
    assert httpx.get(primary.url + "/").json()["region"] == PRIMARY
    assert httpx.get(secondary.url + "/").json()["region"] == SECONDARY


def test_health_answers_200_until_the_app_fails_then_503(apps: SampleApps) -> None:
    app = apps[PRIMARY]
    assert httpx.get(app.url + "/health").status_code == 200
    app.fail()
    assert httpx.get(app.url + "/health").status_code == 503
    assert httpx.get(apps[SECONDARY].url + "/health").status_code == 200


def test_a_down_app_refuses_connections_and_recovers_on_the_same_port(apps: SampleApps) -> None:
    app = apps[PRIMARY]
    app.fail("down")
    with pytest.raises(httpx.ConnectError):
        httpx.get(app.url + "/health", timeout=1)
    app.recover()
    assert httpx.get(app.url + "/health").status_code == 200


def test_stop_releases_the_addresses() -> None:
    first = SampleApps([PRIMARY, SECONDARY]).start()
    port = first.port
    first.stop()
    again = SampleApps([PRIMARY, SECONDARY], port=port).start()
    try:
        assert httpx.get(again[SECONDARY].url + "/health").status_code == 200
    finally:
        again.stop()
