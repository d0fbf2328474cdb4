"""Change batches name the live records' set identifiers; `--live` refuses to leave a placeholder."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.iac.estate import apply_route53
from tests.iac.plans import plan, plan_data, resource_data

from drctl.cli import main
from drctl.iac.context import RenderContext
from drctl.iac.files import Kind
from drctl.iac.live import ROUTE53_REGION, hosted_zone_id
from drctl.iac.render import render
from drctl.providers.aws.clients import AwsClients


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(args)
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def dns_plan(**set_identifiers: str) -> dict[str, Any]:
    data = plan_data()
    resource = resource_data(data, "route53-failover")
    for role, ident in set_identifiers.items():
        resource[role]["set_identifier"] = ident
    data["resources"] = [resource]
    return data


def render_live(
    data: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> tuple[int, str, Path]:
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    out_dir = tmp_path / "out"
    code, out, err = _run(
        ["iac", "render", str(plan_file), "-o", str(out_dir), "--live", "--only", "change-batch"],
        capsys,
    )
    return code, out + err, out_dir


@pytest.fixture
def env(account_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in account_env.items():
        monkeypatch.setenv(name, value)
    return {}


def records(clients: AwsClients) -> list[tuple[str, str]]:
    zone = hosted_zone_id(clients, "example.com")
    sets = clients.client("route53", ROUTE53_REGION).list_resource_record_sets(HostedZoneId=zone)
    return sorted(
        (r["Failover"], r["SetIdentifier"])
        for r in sets["ResourceRecordSets"]
        if "SetIdentifier" in r
    )


def test_the_live_change_batch_upserts_the_records_that_exist_under_their_own_names(
    clients: AwsClients, env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    named = dns_plan(primary="my-app-dns-primary", secondary="my-app-dns-secondary")
    ids = apply_route53(clients, plan(named))  # the estate names its records its own way
    code, out, out_dir = render_live(dns_plan(), tmp_path, capsys, env)  # the plan does not say

    assert code == 0, out
    batch = json.loads((out_dir / "route53/my-app-dns-failover.json").read_text())
    rrset = batch["Changes"][0]["ResourceRecordSet"]
    assert (rrset["SetIdentifier"], rrset["Failover"]) == ("my-app-dns-primary", "PRIMARY")
    assert rrset["HealthCheckId"] == ids["my-app-dns/SecondaryHealthCheck"]
    clients.client("route53", ROUTE53_REGION).change_resource_record_sets(
        HostedZoneId=hosted_zone_id(clients, "example.com"), ChangeBatch=batch
    )
    assert records(clients) == [
        ("PRIMARY", "my-app-dns-primary"),
        ("SECONDARY", "my-app-dns-secondary"),
    ]  # no second PRIMARY record


def test_render_live_fails_clearly_when_the_records_do_not_exist(
    clients: AwsClients, env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, out_dir = render_live(dns_plan(), tmp_path, capsys, env)

    assert code == 3
    assert out.startswith(
        "error: route53/my-app-dns-failback.json: --live could not fill "
        "${MY_APP_DNS_PRIMARY_HEALTH_CHECK_ID}: the PRIMARY failover record my-app.example.com "
        "(A) in zone example.com does not exist"
    ), out
    assert "Traceback" not in out
    assert not out_dir.exists()


def test_without_live_the_batch_uses_the_plans_set_identifier() -> None:
    data = dns_plan(primary="web-apne1")
    batch = json.loads(
        next(
            f.content
            for f in render(plan(copy.deepcopy(data)), RenderContext(), only=[Kind.CHANGE_BATCH])
            if f.path.endswith("failback.json")
        )
    )
    assert batch["Changes"][0]["ResourceRecordSet"]["SetIdentifier"] == "web-apne1"
