"""IAM for what drctl calls outside runbook steps: the FIS injector, KMS signing, eksctl.

- `drctl run --inject fis:TEMPLATE_ID` starts, reads and (when the run fails) stops an AWS
  FIS experiment in the plan's primary region: the drill's policy gets one statement
  (`FisInjectionWithInjectOnly`) on the region's experiment templates and experiments.
  Resource types per the Service Authorization Reference for FIS:
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsfaultinjectionservice.html
- `audit.signing_key: arn:…:kms:REGION:ACCOUNT:key/ID`: `iam/drctl-audit-signing.json`
  grants `kms:GetPublicKey` and `kms:Sign` (`drctl audit sign --kms-key`) and `kms:Verify`
  (`drctl audit verify --kms-verify`) on that key only.
- backup-restore's `aws.eks.create-cluster` runs eksctl, which makes its own CloudFormation,
  IAM and EC2 calls: drctl does not enumerate them; `iam/EKSCTL-PERMISSIONS.md` points to
  eksctl's documented minimum IAM policies, and the policy's `wrote` line says so.
"""

from __future__ import annotations

from typing import Any

from drctl.iac.context import RenderContext
from drctl.iac.files import Kind, RenderedFile, to_json
from drctl.iac.iam_arns import arn
from drctl.iac.iam_table import INJECTION_CALLS, KMS_SIGNING_CALLS, OPERATIONS
from drctl.plan.model import Plan
from drctl.plan.regions import partition_of
from drctl.runbook.model import Runbook

INJECTION_SID = "FisInjectionWithInjectOnly"
KMS_SIGNING = "audit-signing"
EKSCTL_NOTE = "iam/EKSCTL-PERMISSIONS.md"
EKSCTL_POLICIES = "https://eksctl.io/usage/minimum-iam-policies/"


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


def kms_key(plan: Plan) -> str | None:
    """The plan's `audit.signing_key` when it is a KMS key ARN, else None (a local key)."""
    key = plan.audit.signing_key or ""
    parts = key.split(":")
    is_key = len(parts) == 6 and parts[0] == "arn" and parts[2] == "kms"
    return key if is_key and parts[5].startswith("key/") else None


def kms_signing_policy(plan: Plan) -> list[RenderedFile]:
    """`iam/drctl-audit-signing.json` for a KMS `audit.signing_key`: its KMS calls on that key."""
    key = kms_key(plan)
    if key is None:
        return []
    statement = {
        "Sid": "SignAndVerifyTheAuditChainHead",
        "Effect": "Allow",
        "Action": _actions(KMS_SIGNING_CALLS),
        "Resource": key,
    }
    document = {"Version": "2012-10-17", "Statement": [statement]}
    path = f"iam/drctl-{KMS_SIGNING}.json"
    return [RenderedFile(path=path, kind=Kind.IAM, content=to_json(document))]


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
