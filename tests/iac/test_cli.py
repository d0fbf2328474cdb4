"""`drctl iac render` and `drctl iac drift` as a user runs them (exit codes, files, JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from tests.iac.estate import apply_all, apply_route53
from tests.iac.plans import plan, plan_data, resource_data

from drctl.cli import main
from drctl.providers.aws.clients import AwsClients

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed-estate.yaml"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(args)
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def test_render_only_route53_writes_just_the_template(
    seed_plan_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(
        ["iac", "render", str(seed_plan_path), "-o", str(tmp_path), "--only", "route53"], capsys
    )
    assert code == 0
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.*")] == [
        "route53/my-app-dns.cfn.yaml"
    ]
    assert out.endswith("1 files from plan my-app\n")


def test_render_json_lists_files_and_the_placeholders_they_need(
    seed_plan_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(
        ["iac", "render", str(seed_plan_path), "-o", str(tmp_path), "--only", "s3", "--json"],
        capsys,
    )
    rows = {row["path"]: row["variables"] for row in json.loads(out)}
    assert code == 0 and rows["s3/assets/replication.json"] == ["AWS_ACCOUNT_ID"]


def test_an_unknown_kind_is_refused_with_the_list_of_kinds(
    seed_plan_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(
        ["iac", "render", str(seed_plan_path), "-o", str(tmp_path), "--only", "helm"], capsys
    )
    assert code == 2
    assert "unknown kind `helm` for --only" in err
    assert "eksctl, route53, change-batch, s3, gitops, terraform" in err


def test_drift_exits_0_when_clean_and_1_naming_the_changed_health_check(
    clients: AwsClients,
    account_env: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in account_env.items():
        monkeypatch.setenv(name, value)
    data = plan_data()
    data["resources"] = [
        resource_data(data, "route53-failover"),
        resource_data(data, "eks-cluster"),
    ]
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    ids = apply_all(clients, plan(data))
    assert _run(["iac", "drift", str(plan_file)], capsys)[:2] == (
        0,
        "no drift in my-app-dns, my-cluster\n",
    )
    check = ids["my-app-dns/PrimaryHealthCheck"]
    clients.client("route53", "us-east-1").update_health_check(
        HealthCheckId=check, FailureThreshold=1
    )
    code, out, _ = _run(["iac", "drift", str(plan_file), "--json"], capsys)
    report = json.loads(out)
    assert code == 1 and report["drifted"] is True
    assert [
        (d["resource"], d["target"], d["field"], d["intended"], d["live"])
        for d in report["differences"]
    ] == [("my-app-dns", f"primary health check {check}", "failure_threshold", "3", "1")]
    code, out, _ = _run(["iac", "drift", str(plan_file)], capsys)
    assert code == 1 and "drift in my-app-dns" in out and "failure_threshold" in out


def test_render_live_fills_the_account_and_health_check_ids_from_the_sandbox(
    clients: AwsClients,
    account_env: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in account_env.items():
        monkeypatch.setenv(name, value)
    data = plan_data()
    data["resources"] = [
        resource_data(data, "route53-failover"),
        resource_data(data, "s3-replication"),
    ]
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    ids = apply_route53(clients, plan(data))
    out_dir = tmp_path / "out"
    args = [
        "iac",
        "render",
        str(plan_file),
        "-o",
        str(out_dir),
        "--live",
        "--only",
        "change-batch",
        "--only",
        "s3",
    ]
    code, out, _ = _run(args, capsys)
    assert code == 0 and "needs" not in out
    failover = json.loads((out_dir / "route53/my-app-dns-failover.json").read_text())
    assert (
        failover["Changes"][0]["ResourceRecordSet"]["HealthCheckId"]
        == ids["my-app-dns/SecondaryHealthCheck"]
    )
    account = clients.client("sts", "us-east-1").get_caller_identity()["Account"]
    role = json.loads((out_dir / "s3/assets/replication.json").read_text())["Role"]
    assert role == f"arn:aws:iam::{account}:role/drctl-my-app-assets-replication"


def test_render_live_resolves_a_kms_alias_with_describe_key_or_says_why_it_cannot(
    clients: AwsClients, in_account: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kms = clients.client("kms", "ap-northeast-1")
    key = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]
    kms.create_alias(AliasName="alias/drctl-audit", TargetKeyId=key["KeyId"])
    # no Route 53 records in this account: render only what the alias needs
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    data["resources"] = [r for r in data["resources"] if r["kind"] != "route53-failover"]
    data["audit"]["signing_key"] = "alias/drctl-audit"
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    out_dir = tmp_path / "out"
    args = ["iac", "render", str(plan_file), "-o", str(out_dir), "--live", "--only", "iam"]
    code, out, err = _run(args, capsys)
    assert code == 0, out + err
    signing = json.loads((out_dir / "iam/drctl-audit-signing.json").read_text())
    assert signing["Statement"][0]["Resource"] == key["Arn"]

    data["audit"]["signing_key"] = "alias/not-there"
    plan_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    code, out, err = _run(args, capsys)
    assert code == 3 and "Traceback" not in out + err
    assert (
        "--live could not fill ${AUDIT_SIGNING_KEY_ARN}: DescribeKey of alias/not-there in "
        "ap-northeast-1: DescribeKey failed with NotFoundException" in " ".join((out + err).split())
    )
