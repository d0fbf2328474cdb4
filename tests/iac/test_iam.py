"""`drctl iac render --only iam`: the policies follow the plan and the one table of operations."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from drctl.iac.context import RenderContext
from drctl.iac.files import Kind, RenderedFile
from drctl.iac.iam import NO_RESOURCE_LEVEL, allows, needed
from drctl.iac.iam_table import CONDITIONAL, OPERATIONS, RULE_CALLS, STEP_CALLS
from drctl.iac.render import render
from drctl.plan.load import load_plan
from drctl.providers.registry import kinds

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _policies(plan: str) -> dict[str, dict[str, object]]:
    files = render(load_plan(EXAMPLES / plan), RenderContext(account_id="111122223333"), [Kind.IAM])
    return {f.path: json.loads(f.content) for f in files if f.path.endswith(".json")}


def _actions(document: dict[str, object]) -> set[str]:
    statements = document["Statement"]
    assert isinstance(statements, list)
    return {a for s in statements for a in s["Action"]}


@pytest.mark.parametrize("key", sorted(OPERATIONS))
def test_every_operation_in_the_table_is_a_real_botocore_operation(key: str) -> None:
    service, operation = key.split(":")
    model = boto3.session.Session().client("sts", region_name="us-east-1")  # loader only
    loaded = model._loader.load_service_model(service, "service-2")
    assert operation in loaded["operations"]


def test_every_aws_step_kind_and_every_table_reference_is_known() -> None:
    aws_kinds = {k for k in kinds() if k.startswith("aws.")}
    assert aws_kinds <= {k.split("[")[0] for k in STEP_CALLS}
    named = {op for ops in (*STEP_CALLS.values(), *RULE_CALLS.values()) for op in ops}
    assert named | set(CONDITIONAL) <= set(OPERATIONS)


def test_one_policy_per_scenario_plus_readiness() -> None:
    assert sorted(_policies("seed-estate.yaml")) == [
        f"iam/drctl-{n}.json"
        for n in ("az-failure", "drill", "failback", "readiness", "region-failure")
    ]


def test_a_plan_without_aurora_gets_no_aurora_actions() -> None:
    seed, pilot = _policies("seed-estate.yaml"), _policies("pilot-light.yaml")
    assert "rds:FailoverGlobalCluster" in _actions(pilot["iam/drctl-region-failure.json"])
    assert "rds:PromoteReadReplica" in _actions(seed["iam/drctl-region-failure.json"])
    assert "rds:PromoteReadReplica" not in _actions(pilot["iam/drctl-region-failure.json"])
    assert "elasticache:FailoverGlobalReplicationGroup" not in _actions(
        pilot["iam/drctl-region-failure.json"]
    )


def test_resources_are_the_plans_arns_and_star_only_where_iam_has_no_resource_level() -> None:
    rf = _policies("seed-estate.yaml")["iam/drctl-region-failure.json"]
    gc = "arn:aws:rds::111122223333:global-cluster:orders-global"
    assert allows(rf, "rds:FailoverGlobalCluster", gc)
    assert not allows(rf, "rds:FailoverGlobalCluster", gc.replace("orders", "billing"))
    statements = rf["Statement"]
    assert isinstance(statements, list)
    star = [s for s in statements if s["Resource"] == "*"]
    assert [s["Sid"] for s in star] == [NO_RESOURCE_LEVEL]
    assert "route53:TestDNSAnswer" in star[0]["Action"]


def test_a_recorded_call_maps_to_its_iam_action_and_arn() -> None:
    assert needed("efs", "DeleteReplicationConfiguration", "ap-southeast-1", "1", "SourceFileSystemId=fs-1") == [
        ("elasticfilesystem:DeleteReplicationConfiguration",
         "arn:aws:elasticfilesystem:ap-southeast-1:1:file-system/fs-1")
    ]  # fmt: skip
    assert needed("s3", "HeadObject", "us-east-1", "1", "Bucket=b") == [
        ("s3:GetObject", "arn:aws:s3:::b/*")
    ]
    assert needed("sts", "GetCallerIdentity", "us-east-1", "1", "") == []
    batch = needed("s3control", "CreateJob", "us-east-1", "1", "RoleArn=arn:aws:iam::1:role/b")
    assert batch == [("s3:CreateJob", "*"), ("iam:PassRole", "arn:aws:iam::1:role/b")]


def test_the_eks_access_entry_scopes_edit_to_the_plans_namespaces() -> None:
    files = render(load_plan(EXAMPLES / "seed-estate.yaml"), RenderContext(), [Kind.IAM])
    (dr,) = [f for f in files if f.path == "iam/eks-access-my-cluster-ap-southeast-1.yaml"]
    assert "principalARN: ${DRCTL_ROLE_ARN}" in dr.content
    assert "type: namespace\n        namespaces:\n        - my-app\n" in dr.content
    assert "AmazonEKSClusterAdminPolicy" not in dr.content


def test_with_plan_roles_each_region_names_its_role_and_the_roles_file_lists_them(
    tmp_path: Path,
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        (EXAMPLES / "seed-estate.yaml").read_text(encoding="utf-8")
        + "aws:\n  roles:\n"
        + "    - {role_arn: 'arn:aws:iam::111111111111:role/drctl', regions: [ap-northeast-1]}\n"
        + "    - {role_arn: 'arn:aws:iam::222222222222:role/drctl-dr', external_id: '${EXT}'}\n",
        encoding="utf-8",
    )
    files = {f.path: f for f in render(load_plan(plan), RenderContext(), [Kind.IAM])}
    dr = files["iam/eks-access-my-cluster-ap-southeast-1.yaml"].content
    assert "principalARN: arn:aws:iam::222222222222:role/drctl-dr" in dr
    assert "role/drctl\n" in files["iam/eks-access-my-cluster-ap-northeast-1.yaml"].content
    roles = json.loads(files["iam/drctl-roles.json"].content)
    assert roles["role_by_region"] == {
        "ap-northeast-1": "arn:aws:iam::111111111111:role/drctl",
        "ap-southeast-1": "arn:aws:iam::222222222222:role/drctl-dr",
        "us-east-1": "arn:aws:iam::222222222222:role/drctl-dr",
    }
    assert roles["attach_policies_to"] == sorted(set(roles["role_by_region"].values()))
    assert "EXT" not in files["iam/drctl-roles.json"].content


@pytest.mark.parametrize("plan", ["seed-estate.yaml", "pilot-light.yaml", "backup-restore.yaml"])
def test_every_scenario_policy_grants_the_fis_injector_in_a_statement_of_its_own(
    plan: str,
) -> None:
    # `drctl run --inject fis:...` is accepted for every scenario (a plan with --scenario, or
    # a runbook with --plan), not only the drill
    policies = _policies(plan)
    scenarios = [n for n in policies if n != "iam/drctl-readiness.json"]
    assert len(scenarios) == 4
    for name in scenarios:
        statements = policies[name]["Statement"]
        assert isinstance(statements, list)
        (fis,) = [s for s in statements if any(a.startswith("fis:") for a in s["Action"])]
        assert fis["Sid"] == "FisInjectionWithInjectOnly", name
        assert fis["Action"] == ["fis:GetExperiment", "fis:StartExperiment", "fis:StopExperiment"]
        assert fis["Resource"] == [
            "arn:aws:fis:ap-northeast-1:111122223333:experiment/*",
            "arn:aws:fis:ap-northeast-1:111122223333:experiment-template/*",
        ]
    assert not any(a.startswith("fis:") for a in _actions(policies["iam/drctl-readiness.json"]))


def test_the_fis_statement_allows_the_injectors_calls_in_the_primary_region_only() -> None:
    policies = _policies("seed-estate.yaml")
    drill = policies["iam/drctl-drill.json"]
    region = "ap-northeast-1"
    start = needed("fis", "StartExperiment", region, "111122223333", "experimentTemplateId=EXT1")
    assert start == [
        ("fis:StartExperiment", "arn:aws:fis:ap-northeast-1:111122223333:experiment-template/EXT1"),
        ("fis:StartExperiment", "arn:aws:fis:ap-northeast-1:111122223333:experiment/*"),
    ]
    assert all(allows(drill, action, arn) for action, arn in start)
    assert not allows(drill, "fis:StartExperiment", start[0][1].replace(region, "us-west-2"))


def _with_signing_key(tmp_path: Path, key: str) -> list[RenderedFile]:
    tmp_path.mkdir(exist_ok=True)
    plan = tmp_path / "plan.yaml"
    text = (EXAMPLES / "seed-estate.yaml").read_text(encoding="utf-8")
    text = text.replace("audit:\n", f"audit:\n  signing_key: '{key}'\n", 1)
    plan.write_text(text, encoding="utf-8")
    return render(load_plan(plan), RenderContext(account_id="111122223333"), [Kind.IAM])


def test_a_kms_signing_key_gets_exactly_the_kms_calls_of_sign_and_verify_on_that_key(
    tmp_path: Path,
) -> None:
    key = "arn:aws:kms:ap-southeast-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    files = {f.path: f for f in _with_signing_key(tmp_path, key)}
    signing = json.loads(files["iam/drctl-audit-signing.json"].content)
    assert signing["Statement"] == [
        {
            "Sid": "SignAndVerifyTheAuditChainHead",
            "Effect": "Allow",
            "Action": ["kms:GetPublicKey", "kms:Sign", "kms:Verify"],
            "Resource": key,
        }
    ]
    assert needed("kms", "Sign", "ap-southeast-1", "111122223333", f"KeyId={key}") == [
        ("kms:Sign", key)
    ]
    scenarios = [json.loads(f.content) for p, f in files.items() if p != "iam/drctl-audit-signing.json" and p.endswith(".json")]  # fmt: skip
    assert not any(a.startswith("kms:") for d in scenarios for s in d.get("Statement", []) for a in s["Action"])  # fmt: skip

    local = [f.path for f in _with_signing_key(tmp_path / "local", "audit-key.pem")]
    assert "iam/drctl-audit-signing.json" not in local  # an Ed25519 key file needs no KMS


def test_backup_restore_policies_point_to_eksctls_minimum_iam_policies() -> None:
    plan = load_plan(EXAMPLES / "backup-restore.yaml")
    files = {f.path: f for f in render(plan, RenderContext(account_id="1"), [Kind.IAM])}
    note = files["iam/EKSCTL-PERMISSIONS.md"]
    assert "https://eksctl.io/usage/minimum-iam-policies/" in note.content
    assert "`iam/drctl-region-failure.json`" in note.content
    rf = files["iam/drctl-region-failure.json"]
    assert rf.note == "eksctl's own calls are not in it: see iam/EKSCTL-PERMISSIONS.md"
    assert files["iam/drctl-readiness.json"].note == ""
    seed = render(load_plan(EXAMPLES / "seed-estate.yaml"), RenderContext(), [Kind.IAM])
    assert "iam/EKSCTL-PERMISSIONS.md" not in [f.path for f in seed]
