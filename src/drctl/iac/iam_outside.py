"""IAM for what drctl calls outside runbook steps: FIS injection, data canaries, CloudTrail
evidence, KMS signing, eksctl.

- `drctl run --inject fis:TEMPLATE_ID` starts, reads and (when the run fails) stops an AWS
  FIS experiment in the plan's primary region. Every scenario accepts `--inject` (with
  `--scenario`, or a runbook and `--plan`), so every scenario's policy gets one statement
  (`FisInjectionWithInjectOnly`) on the region's experiment templates and experiments.
  Resource types per the Service Authorization Reference for FIS:
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsfaultinjectionservice.html
- A DynamoDB or S3 data canary (`probes.canary`, `probes.canaries`) writes in the scenario's
  old primary region and is read back in the new one: `DynamoDbCanary…`/`S3Canary…`
  statements on exactly its table (both regions' ARNs) or its bucket and prefix (ListBucket
  only under the prefix, by the `s3:prefix` condition key).
- `audit.cloudtrail_lookup: true`: the run's evidence is looked up with
  `cloudtrail:LookupEvents`, which has no resource-level permissions (in the statement for
  such actions): https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudtrail.html
- `audit.signing_key` (a KMS key ARN, alias name or ARN, or key id): `iam/drctl-audit-signing.json`
  grants `kms:GetPublicKey` and `kms:Sign` (`drctl audit sign --kms-key`) and `kms:Verify`
  (`drctl audit verify --kms-verify`) on that key only. IAM authorizes KMS calls on the key ARN,
  never an alias or a bare id, so those render as `${AUDIT_SIGNING_KEY_ARN}` (`--live` reads
  it with DescribeKey): https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html
- backup-restore's `aws.eks.create-cluster` runs eksctl, which makes its own CloudFormation,
  IAM and EC2 calls: drctl does not enumerate them; `iam/EKSCTL-PERMISSIONS.md` points to
  eksctl's documented minimum IAM policies, and the policy's `wrote` line says so.
"""

from __future__ import annotations

import re
from typing import Any

from drctl.iac.context import RenderContext
from drctl.iac.files import Kind, RenderedFile, to_json
from drctl.iac.iam_arns import arn
from drctl.iac.iam_table import (
    CANARY_CALLS,
    EVIDENCE_CALLS,
    INJECTION_CALLS,
    KMS_SIGNING_CALLS,
    OPERATIONS,
)
from drctl.plan.model import Plan
from drctl.plan.probes import DynamoDbCanary, S3Canary
from drctl.plan.regions import partition_of
from drctl.runbook.model import Runbook

INJECTION_SID = "FisInjectionWithInjectOnly"
KMS_SIGNING = "audit-signing"
EKSCTL_NOTE = "iam/EKSCTL-PERMISSIONS.md"
EKSCTL_POLICIES = "https://eksctl.io/usage/minimum-iam-policies/"
SIGNING_KEY_PLACEHOLDER = "${AUDIT_SIGNING_KEY_ARN}"
_KEY_ID = re.compile(
    r"^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)


def _actions(operations: tuple[str, ...]) -> list[str]:
    return sorted({str(OPERATIONS[op].action) for op in operations})


def injection_statement(plan: Plan, ctx: RenderContext) -> dict[str, Any]:
    """The FIS calls of `--inject fis:…` on the primary region's templates and experiments."""
    region, account = str(plan.regions.primary), ctx.account()
    partition = partition_of(region)
    kinds = ("fis:experiment", "fis:experiment-template")
    return {
        "Sid": INJECTION_SID,
        "Effect": "Allow",
        "Action": _actions(INJECTION_CALLS),
        "Resource": [arn(kind, region, account, "*", partition) for kind in kinds],
    }


def evidence_operations(plan: Plan) -> set[str]:
    """The calls of a run's CloudTrail evidence capture, when the plan looks it up."""
    return set(EVIDENCE_CALLS) if plan.audit.cloudtrail_lookup else set()


def canary_statements(plan: Plan, scenario: str, ctx: RenderContext) -> list[dict[str, Any]]:
    """The DynamoDB and S3 canaries' calls in `scenario`: writes where it starts, read-back
    where it ends, on the canaries' own tables, buckets and prefixes."""
    old, new = plan.serving_regions(scenario)
    account, partition = ctx.account(), partition_of(old)
    by_sid: dict[str, tuple[set[str], set[str], set[str]]] = {}  # actions, ARNs, s3 prefixes
    for spec in plan.probes.all_canaries:
        writes, reads = CANARY_CALLS.get(spec.kind, ((), ()))
        if isinstance(spec, DynamoDbCanary):
            sides = [(writes, old, "Writes"), (reads, new, "ReadBack")]
            if old == new:  # an AZ failure: one region, one statement
                sides = [((*writes, *reads), old, "WritesAndReadBack")]
            for calls, region, what in sides:
                entry = by_sid.setdefault(f"DynamoDbCanary{what}", (set(), set(), set()))
                entry[0].update(_actions(calls))
                entry[1].add(arn("dynamodb:table", region, account, spec.target, partition))
        elif isinstance(spec, S3Canary):
            written = by_sid.setdefault("S3CanaryWrites", (set(), set(), set()))
            written[0].update(_actions(writes))
            written[1].add(f"arn:{partition}:s3:::{spec.target}/{spec.prefix}*")
            read = by_sid.setdefault("S3CanaryReadBackUnderItsPrefix", (set(), set(), set()))
            read[0].update(_actions(reads))
            read[1].add(f"arn:{partition}:s3:::{spec.dr_target}")
            read[2].add(f"{spec.prefix}*")
    return [_statement(sid, *entry) for sid, entry in sorted(by_sid.items())]


def _statement(sid: str, actions: set[str], arns: set[str], prefixes: set[str]) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions),
                                 "Resource": sorted(arns)}  # fmt: skip
    if prefixes:
        statement["Condition"] = {"StringLike": {"s3:prefix": sorted(prefixes)}}
    return statement


def kms_key(plan: Plan) -> str | None:
    """The plan's `audit.signing_key` when it names a KMS key (key or alias ARN, `alias/NAME`,
    key id), else None (a local key)."""
    key = plan.audit.signing_key or ""
    parts = key.split(":")
    is_arn = len(parts) == 6 and parts[0] == "arn" and parts[2] == "kms"
    if is_arn and parts[5].startswith(("key/", "alias/")):
        return key
    return key if key.startswith("alias/") or _KEY_ID.match(key) else None


def is_key_arn(key: str) -> bool:
    """Whether `key` is a key ARN, the only form IAM authorizes KMS calls on."""
    return key.startswith("arn:") and key.split(":")[-1].startswith("key/")


def signing_key_region(plan: Plan, key: str) -> str:
    """The region of a KMS key reference: an ARN's own, else the plan's primary region."""
    parts = key.split(":")
    return parts[3] if key.startswith("arn:") and len(parts) > 3 else str(plan.regions.primary)


def signing_key_arn(plan: Plan, key: str, ctx: RenderContext) -> str:
    """The key ARN to grant on: the plan's, `--live`'s DescribeKey answer, a key id in the
    known account, else the `${AUDIT_SIGNING_KEY_ARN}` placeholder."""
    if is_key_arn(key):
        return key
    if ctx.signing_key_arn:
        return ctx.signing_key_arn
    if _KEY_ID.match(key) and ctx.account_id:
        region = signing_key_region(plan, key)
        return arn("kms:key", region, ctx.account_id, key, partition_of(region))
    return SIGNING_KEY_PLACEHOLDER


def kms_signing_policy(plan: Plan, ctx: RenderContext) -> list[RenderedFile]:
    """`iam/drctl-audit-signing.json` for a KMS `audit.signing_key`: its KMS calls on that key."""
    key = kms_key(plan)
    if key is None:
        return []
    resource = signing_key_arn(plan, key, ctx)
    statement = {
        "Sid": "SignAndVerifyTheAuditChainHead",
        "Effect": "Allow",
        "Action": _actions(KMS_SIGNING_CALLS),
        "Resource": resource,
    }
    document = {"Version": "2012-10-17", "Statement": [statement]}
    path = f"iam/drctl-{KMS_SIGNING}.json"
    note = ""
    if resource == SIGNING_KEY_PLACEHOLDER:
        where = signing_key_region(plan, key)
        note = (
            f"IAM needs the key ARN, not {key}: set AUDIT_SIGNING_KEY_ARN from `aws kms "
            f"describe-key --key-id {key} --region {where} --query KeyMetadata.Arn` (or --live)"
        )
    return [RenderedFile(path=path, kind=Kind.IAM, content=to_json(document), note=note)]


def runs_eksctl(runbook: Runbook) -> bool:
    """Whether the runbook creates an EKS cluster with eksctl (backup-restore)."""
    return any(step.action == "aws.eks.create-cluster" for step in runbook.steps)


def eksctl_note(scenarios: list[str]) -> RenderedFile:
    """The statement-free note: what eksctl needs besides the scenarios' policies."""
    names = ", ".join(f"`iam/drctl-{s}.json`" for s in scenarios)
    text = f"""# eksctl's own permissions (not in drctl's policies)

The backup-restore step `aws.eks.create-cluster` runs `eksctl create cluster`, which makes
its own CloudFormation, IAM, EC2, Auto Scaling and EKS calls. drctl does not enumerate
them: {names}
grant only the calls drctl itself makes (for that step, `eks:DescribeCluster`).

Also attach eksctl's documented minimum IAM policies to the identity that runs drctl for
these scenarios: AmazonEC2FullAccess and AWSCloudFormationFullAccess (AWS managed), and
EksAllAccess and IamLimitedAccess (customer managed, with your account id), from
{EKSCTL_POLICIES}
"""
    return RenderedFile(path=EKSCTL_NOTE, kind=Kind.IAM, content=text)
