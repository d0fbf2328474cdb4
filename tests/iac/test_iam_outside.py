"""IAM for drctl's calls outside runbook steps: data canaries, CloudTrail evidence, KMS key aliases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from drctl.iac.context import RenderContext
from drctl.iac.files import Kind, RenderedFile
from drctl.iac.iam import allows, needed
from drctl.iac.render import render
from drctl.plan.load import load_plan

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ACCOUNT = "111122223333"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


def _plan_file(tmp_path: Path, change: dict[str, Any]) -> Path:
    data = yaml.safe_load((EXAMPLES / "seed-estate.yaml").read_text(encoding="utf-8"))
    for section, values in change.items():
        data[section] = {**data.get(section, {}), **values}
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _files(path: Path, ctx: RenderContext | None = None) -> dict[str, RenderedFile]:
    found = render(load_plan(path), ctx or RenderContext(account_id=ACCOUNT), [Kind.IAM])
    return {f.path: f for f in found}


def _statements(files: dict[str, RenderedFile], scenario: str) -> dict[str, dict[str, Any]]:
    document = json.loads(files[f"iam/drctl-{scenario}.json"].content)
    return {s["Sid"]: s for s in document["Statement"]}


def _table(region: str) -> str:
    return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/sessions"


APNE1, APSE1 = "ap-northeast-1", "ap-southeast-1"


def test_a_dynamodb_canary_writes_where_the_service_was_and_is_read_back_where_it_went() -> None:
    files = _files(EXAMPLES / "seed-estate.yaml")
    for scenario, old, new in (("drill", APNE1, APSE1), ("region-failure", APNE1, APSE1),
                               ("failback", APSE1, APNE1)):  # fmt: skip
        sids = _statements(files, scenario)
        assert sids["DynamoDbCanaryWrites"]["Action"] == [
            "dynamodb:DescribeTable",
            "dynamodb:PutItem",
        ]
        assert sids["DynamoDbCanaryWrites"]["Resource"] == [_table(old)]
        assert sids["DynamoDbCanaryReadBack"]["Action"] == [
            "dynamodb:BatchGetItem", "dynamodb:DescribeTable"]  # fmt: skip
        assert sids["DynamoDbCanaryReadBack"]["Resource"] == [_table(new)]
    az = _statements(files, "az-failure")
    assert az["DynamoDbCanaryWritesAndReadBack"]["Resource"] == [_table(APNE1)]
    assert not any("Canary" in sid for sid in _statements(files, "readiness"))
    # the read-back names its table in RequestItems: the journal records it, the policy allows it
    drill = json.loads(files["iam/drctl-drill.json"].content)
    (call,) = needed("dynamodb", "BatchGetItem", APSE1, ACCOUNT, "TableName=sessions")
    assert allows(drill, *call)
    assert not allows(drill, "dynamodb:BatchGetItem", _table(APSE1).replace("sessions", "orders"))


def test_an_s3_canary_may_list_its_replica_bucket_only_under_its_prefix(tmp_path: Path) -> None:
    canary = {"kind": "s3", "target": "canary-apne1", "dr_target": "canary-apse1", "prefix": "dr/"}
    files = _files(_plan_file(tmp_path, {"probes": {"canary": canary}}))
    sids = _statements(files, "region-failure")
    assert sids["S3CanaryWrites"] == {"Sid": "S3CanaryWrites", "Effect": "Allow",
                                      "Action": ["s3:PutObject"],
                                      "Resource": ["arn:aws:s3:::canary-apne1/dr/*"]}  # fmt: skip
    assert sids["S3CanaryReadBackUnderItsPrefix"] == {
        "Sid": "S3CanaryReadBackUnderItsPrefix", "Effect": "Allow", "Action": ["s3:ListBucket"],
        "Resource": ["arn:aws:s3:::canary-apse1"],
        "Condition": {"StringLike": {"s3:prefix": ["dr/*"]}},
    }  # fmt: skip
    assert not any(sid.startswith("DynamoDb") for sid in sids)


def test_cloudtrail_lookups_are_granted_only_when_the_plan_looks_them_up(tmp_path: Path) -> None:
    on = _statements(_files(EXAMPLES / "seed-estate.yaml"), "az-failure")
    star = on["ActionsWithoutResourceLevelPermissions"]
    assert "cloudtrail:LookupEvents" in star["Action"] and star["Resource"] == "*"
    off = _files(_plan_file(tmp_path, {"audit": {"cloudtrail_lookup": False}}))
    for scenario in ("drill", "az-failure", "region-failure", "failback"):
        actions = {a for s in _statements(off, scenario).values() for a in s["Action"]}
        assert "cloudtrail:LookupEvents" not in actions, scenario


def _signing(files: dict[str, RenderedFile]) -> tuple[Any, RenderedFile]:
    file = files["iam/drctl-audit-signing.json"]
    (statement,) = json.loads(file.content)["Statement"]
    return statement["Resource"], file


@pytest.mark.parametrize(
    "key",
    ["alias/drctl-audit", f"arn:aws:kms:{APSE1}:{ACCOUNT}:alias/drctl-audit", KEY_ID],
)
def test_a_kms_alias_or_key_id_renders_the_key_arn_placeholder_with_how_to_resolve_it(
    tmp_path: Path, key: str
) -> None:
    resource, file = _signing(_files(_plan_file(tmp_path, {"audit": {"signing_key": key}}),
                                     RenderContext()))  # fmt: skip
    assert resource == "${AUDIT_SIGNING_KEY_ARN}"
    assert file.variables == ("AUDIT_SIGNING_KEY_ARN",)
    region = APSE1 if key.startswith("arn:") else APNE1  # the alias ARN's, else the primary
    assert file.note == (
        f"IAM needs the key ARN, not {key}: set AUDIT_SIGNING_KEY_ARN from `aws kms describe-key "
        f"--key-id {key} --region {region} --query KeyMetadata.Arn` (or --live)"
    )


def test_a_bare_key_id_in_a_known_account_is_the_key_arn_in_the_primary_region(
    tmp_path: Path,
) -> None:
    resource, file = _signing(_files(_plan_file(tmp_path, {"audit": {"signing_key": KEY_ID}})))
    assert resource == f"arn:aws:kms:{APNE1}:{ACCOUNT}:key/{KEY_ID}" and file.note == ""
