"""The Route53 CloudFormation template: health checks from the plan, failover records, cfn-lint clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from tests.iac.plans import plan, plan_data, resource_data

from drctl.iac.files import Kind
from drctl.iac.render import render
from drctl.plan.model import Plan

CFN_LINT = Path(sys.executable).parent / "cfn-lint"


def _template(p: Plan) -> dict[str, Any]:
    (file,) = render(p, only=[Kind.ROUTE53])
    document: dict[str, Any] = yaml.safe_load(file.content)
    return document


def _lint(plans: list[Plan], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    paths = []
    for index, p in enumerate(plans):
        (file,) = render(p, only=[Kind.ROUTE53])
        paths.append(tmp_path / f"template-{index}.yaml")
        paths[-1].write_text(file.content, encoding="utf-8")
    return subprocess.run(
        [str(CFN_LINT), "--format", "parseable", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_seed_and_every_strategy_template_pass_cfn_lint_without_errors_or_warnings(
    tmp_path: Path,
) -> None:
    examples = ["seed-estate", "backup-restore", "pilot-light", "warm-standby", "multi-site"]
    result = _lint([plan(plan_data(name)) for name in examples], tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_a_template_for_plain_ip_targets_passes_cfn_lint_too(tmp_path: Path) -> None:
    data = plan_data()
    dns = resource_data(data, "route53-failover")
    dns["primary"] = {"region": "ap-northeast-1", "value": "192.0.2.10"}
    dns["secondary"] = {"region": "ap-southeast-1", "value": "198.51.100.20"}
    dns["health_check"] = {"protocol": "HTTP", "port": 80, "interval": 30, "failure_threshold": 2}
    result = _lint([plan(data)], tmp_path)
    assert (result.returncode, result.stdout) == (0, "")
    check = _template(plan(data))["Resources"]["PrimaryHealthCheck"]["Properties"][
        "HealthCheckConfig"
    ]
    assert check["IPAddress"] == "192.0.2.10" and "EnableSNI" not in check


def test_health_checks_probe_https_health_with_the_plans_interval_and_threshold() -> None:
    data = plan_data()
    resource_data(data, "route53-failover")["health_check"] = {
        "interval": 30,
        "failure_threshold": 5,
    }
    resources = _template(plan(data))["Resources"]
    for role in ("Primary", "Secondary"):
        config = resources[f"{role}HealthCheck"]["Properties"]["HealthCheckConfig"]
        assert config["Type"] == "HTTPS" and config["ResourcePath"] == "/health"
        assert (config["RequestInterval"], config["FailureThreshold"], config["Port"]) == (
            30,
            5,
            443,
        )
        assert config["FullyQualifiedDomainName"] == {"Ref": f"{role}AlbDnsName"}


def test_failover_records_carry_their_health_check_and_evaluate_target_health() -> None:
    resources = _template(plan(plan_data()))["Resources"]
    for role, failover in (("Primary", "PRIMARY"), ("Secondary", "SECONDARY")):
        props = resources[f"{role}RecordSet"]["Properties"]
        assert props["Failover"] == failover and props["SetIdentifier"] == role
        assert props["HealthCheckId"] == {"Ref": f"{role}HealthCheck"}
        assert props["AliasTarget"] == {
            "DNSName": {"Ref": f"{role}AlbDnsName"},
            "HostedZoneId": {"Ref": f"{role}AlbHostedZoneId"},
            "EvaluateTargetHealth": True,
        }
        assert props["HostedZoneId"] == {"Ref": "HostedZoneId"}


def test_zone_and_alb_names_are_parameters_defaulting_to_the_plan() -> None:
    params = _template(plan(plan_data()))["Parameters"]
    assert params["HostedZoneId"]["Type"] == "AWS::Route53::HostedZone::Id"
    assert (
        params["SecondaryAlbDnsName"]["Default"] == "my-app-apse1.ap-southeast-1.elb.amazonaws.com"
    )
    assert params["PrimaryAlbHostedZoneId"]["Default"] == "Z14GRHDCWA56QT"
