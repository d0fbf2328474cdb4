"""`--inject fis:TEMPLATE` in the sandbox: the experiment fails its region, stopping it heals it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import httpx
import pytest

from drctl.errors import PlanError
from drctl.measure.fis import FisInjector, fis_template
from drctl.providers.aws.clients import AwsClients
from drctl.settings import Settings
from drctl_sandbox.runtime import Sandbox

pytestmark = pytest.mark.slow  # provisions the seed estate
PRIMARY = "ap-northeast-1"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


def _template(sandbox: Sandbox, action: str) -> str:
    fis = boto3.client("fis", region_name=PRIMARY, endpoint_url=sandbox.endpoint_url,
                       aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    created = fis.create_experiment_template(
        clientToken=secrets.token_hex(8),
        description="AZ power interruption, the network part",
        roleArn="arn:aws:iam::123456789012:role/fis",
        stopConditions=[{"source": "none"}],
        targets={"subnets": {"resourceType": "aws:ec2:subnet", "selectionMode": "ALL",
                             "resourceTags": {"drctl": "sandbox"}}},
        actions={"cut": {"actionId": action, "parameters": {"duration": "PT10M", "scope": "all"},
                         "targets": {"Subnets": "subnets"}}},
    )  # fmt: skip
    return str(created["experimentTemplate"]["id"])


def test_a_disrupt_connectivity_experiment_fails_the_region_from_its_start_until_stopped(
    sandbox: Sandbox,
) -> None:
    template = _template(sandbox, "aws:network:disrupt-connectivity")
    clients = _clients(sandbox)
    injector = FisInjector(clients, PRIMARY, fis_template(f"fis:{template}"), token="run-1")
    app = sandbox.apps[PRIMARY].url

    injection = injector.inject()
    assert httpx.get(f"{app}/health").status_code == 503
    assert injection.reference["fis_template_id"] == template
    assert injection.reference["fis_experiment_id"] == injector.experiment_id
    assert injection.reference["fis_state"]
    assert abs(injection.at - sandbox_now()) < timedelta(seconds=30)

    stopped = injector.stop("run failed")
    assert stopped["fis_stopped"] == "run failed"
    assert httpx.get(f"{app}/health").status_code == 200


def test_an_unsupported_action_is_recorded_and_injects_nothing(sandbox: Sandbox) -> None:
    template = _template(sandbox, "aws:ec2:reboot-instances")
    clients = _clients(sandbox)
    FisInjector(clients, PRIMARY, template, token="run-2").inject()
    assert httpx.get(f"{sandbox.apps[PRIMARY].url}/health").status_code == 200


def _clients(sandbox: Sandbox) -> AwsClients:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    return AwsClients(Settings(aws_endpoint_url=sandbox.endpoint_url), session=session)


def test_an_injector_that_is_not_fis_is_a_clear_error() -> None:
    with pytest.raises(PlanError, match="is not an injector drctl knows"):
        fis_template("chaos:thing")


def sandbox_now() -> datetime:

    return datetime.now(UTC)
