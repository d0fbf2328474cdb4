"""Action kind → implementing class. A new provider adds one line to `_KINDS`.

Entries are import paths so that `drctl --help` does not import boto3 or kubernetes.
"""

from __future__ import annotations

import difflib
import importlib
from typing import Any

from drctl.errors import RunbookError
from drctl.providers.base import Action, ActionContext, Params

_KINDS: dict[str, str] = {
    "approval": "drctl.providers.approval:Approval",
    "http": "drctl.providers.http:Http",
    "manual": "drctl.providers.manual:Manual",
    "noop": "drctl.providers.noop:Noop",
    "shell": "drctl.providers.shell:Shell",
    "wait": "drctl.providers.wait:Wait",
    "k8s.wait-ready": "drctl.providers.kube.readiness:WaitReady",
    "k8s.nodes-per-az": "drctl.providers.kube.zones:NodesPerAz",
    "k8s.drain-az": "drctl.providers.kube.drain:DrainAz",
    "k8s.uncordon-az": "drctl.providers.kube.drain:UncordonAz",
    "k8s.verify-rescheduled": "drctl.providers.kube.zones:VerifyRescheduled",
    "k8s.external-secrets-ready": "drctl.providers.kube.external_secrets:ExternalSecretsReady",
    "k8s.capture-evidence": "drctl.providers.kube.evidence:CaptureEvidence",
    "argocd.add-cluster": "drctl.providers.argocd:AddCluster",
    "argocd.sync": "drctl.providers.argocd:Sync",
    "flux.reconcile": "drctl.providers.flux:Reconcile",
    "aws.route53.activate-secondary": "drctl.providers.aws.route53_failover:ActivateSecondary",
    "aws.route53.restore-primary": "drctl.providers.aws.route53_failover:RestorePrimary",
    "aws.route53.health-status": "drctl.providers.aws.route53_failover:HealthStatus",
    "aws.aurora.switchover-global": "drctl.providers.aws.aurora:SwitchoverGlobal",
    "aws.aurora.failover-global": "drctl.providers.aws.aurora:FailoverGlobal",
    "aws.aurora.detach-and-promote": "drctl.providers.aws.aurora_cluster:DetachAndPromote",
    "aws.aurora.failover-cluster": "drctl.providers.aws.aurora_cluster:FailoverCluster",
    "aws.rds.promote-read-replica": "drctl.providers.aws.rds:PromoteReadReplica",
    "aws.rds.reboot-failover": "drctl.providers.aws.rds:RebootFailover",
    "aws.elasticache.failover-global": "drctl.providers.aws.elasticache:FailoverDatastore",
    "aws.elasticache.verify-member": "drctl.providers.aws.elasticache:VerifyMember",
    "aws.dynamodb.verify-replica": "drctl.providers.aws.dynamodb:VerifyReplica",
    "aws.dynamodb.canary": "drctl.providers.aws.dynamodb:DynamoDbCanary",
    "aws.s3.verify-replication": "drctl.providers.aws.s3:VerifyReplication",
    "aws.s3.canary": "drctl.providers.aws.s3:S3Canary",
    "aws.s3.reverse-replication": "drctl.providers.aws.s3:ReverseReplication",
    "aws.ebs.snapshot-and-copy": "drctl.providers.aws.ebs_efs:SnapshotAndCopy",
    "aws.ebs.restore-volume": "drctl.providers.aws.ebs_efs:RestoreVolume",
    "aws.ebs.delete-restored-volumes": "drctl.providers.aws.ebs_efs:DeleteRestoredVolumes",
    "aws.efs.verify-replication": "drctl.providers.aws.efs:VerifyReplication",
    "aws.efs.promote-replica": "drctl.providers.aws.efs:PromoteReplica",
    "aws.secrets.replicate": "drctl.providers.aws.secrets:Replicate",
    "aws.secrets.promote-replica": "drctl.providers.aws.secrets:PromoteReplica",
    "aws.ssm.copy-parameters": "drctl.providers.aws.secrets:CopyParameters",
    "aws.eks.scale-nodegroups": "drctl.providers.aws.eks:ScaleNodegroups",
    "aws.eks.verify-cluster": "drctl.providers.aws.eks:VerifyCluster",
    "aws.eks.create-cluster": "drctl.providers.aws.eks:CreateCluster",
    "aws.cloudtrail.lookup": "drctl.providers.aws.cloudtrail:Lookup",
    "aws.s3.batch-replicate": "drctl.providers.aws.s3_batch:BatchReplicate",
    "aws.cloudwatch.replication-lag": "drctl.providers.aws.cloudtrail:ReplicationLag",
    "postgres.promote": "drctl.providers.postgres:Promote",
    "postgres.fence": "drctl.providers.postgres:Fence",
    "postgres.verify-writable": "drctl.providers.postgres:VerifyWritable",
    "postgres.replication-lag": "drctl.providers.postgres:ReplicationLag",
    "postgres.reprotect": "drctl.providers.postgres_reprotect:Reprotect",
}


def kinds() -> list[str]:
    """Every registered action kind, sorted."""
    return sorted(_KINDS)


def action_class(kind: str) -> type[Action]:
    """The class implementing `kind`; an unknown kind is a clear error listing the known ones."""
    if kind not in _KINDS:
        close = difflib.get_close_matches(kind, kinds(), n=1)
        guess = f"did you mean `{close[0]}`? " if close else ""
        raise RunbookError(
            f"unknown action kind `{kind}`",
            hint=f"{guess}known kinds: {', '.join(kinds())}",
        )
    module_name, _, class_name = _KINDS[kind].partition(":")
    cls: type[Action] = getattr(importlib.import_module(module_name), class_name)
    return cls


def params_for(kind: str, raw: dict[str, Any]) -> Params:
    """Validate raw step params against the action's `Params` model."""
    return action_class(kind).Params.model_validate(raw)


def create(kind: str, raw: dict[str, Any], ctx: ActionContext) -> Action:
    """Build the action for a step."""
    cls = action_class(kind)
    return cls(cls.Params.model_validate(raw), ctx)
