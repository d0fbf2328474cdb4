"""The plan: one file stating objectives, strategy, regions and resources (`kind: DRPlan`)."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Literal, TypeVar

from pydantic import BaseModel, Field, model_validator

from drctl.model import Strict
from drctl.plan.aws import AwsAccess
from drctl.plan.durations import Duration
from drctl.plan.notifications import Notifications
from drctl.plan.probes import Probes
from drctl.plan.regions import Region
from drctl.plan.resources import Name, Resource

R = TypeVar("R", bound=BaseModel)


class Strategy(StrEnum):
    """AWS's four DR strategies, cheapest and slowest first."""

    BACKUP_RESTORE = "backup-restore"
    PILOT_LIGHT = "pilot-light"
    WARM_STANDBY = "warm-standby"
    MULTI_SITE = "multi-site"


class Scenario(StrEnum):
    """The situations a plan prepares for (seed section 2)."""

    DRILL = "drill"
    AZ_FAILURE = "az-failure"
    REGION_FAILURE = "region-failure"
    FAILBACK = "failback"


class Contact(Strict):
    """A person or rota to reach during an incident."""

    name: Name
    email: str | None = None
    phone: str | None = None
    role: str | None = None


class Metadata(Strict):
    """Who the plan belongs to and whom to call."""

    name: str = Field(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", max_length=63)
    owner: Name
    contacts: list[Contact] = Field(min_length=1)
    description: str = ""


class Objectives(Strict):
    """Recovery time and recovery point objectives."""

    rto: Duration
    rpo: Duration

    @model_validator(mode="after")
    def _positive(self) -> Objectives:
        if self.rto <= timedelta(0):
            raise ValueError("rto must be longer than 0s")
        if self.rpo < timedelta(0):
            raise ValueError("rpo cannot be negative")
        return self


class Regions(Strict):
    """The primary region, the DR region, and optionally a separate region for drills."""

    primary: Region
    secondary: Region
    test: Region | None = None

    @model_validator(mode="after")
    def _distinct(self) -> Regions:
        if self.primary == self.secondary:
            raise ValueError(f"primary and secondary are both {self.primary}; DR needs two regions")
        return self


class ScenarioPolicy(Strict):
    """Whether a scenario applies and how often it must be drilled (the seed: at least yearly)."""

    enabled: bool = True
    drill_every: Duration = timedelta(days=365)
    auto_approve: bool = False
    """Allow `drctl run --auto-approve` for this scenario outside the sandbox (region-failure
    and failback refuse it otherwise)."""

    @model_validator(mode="after")
    def _at_least_yearly(self) -> ScenarioPolicy:
        if self.drill_every > timedelta(days=365):
            raise ValueError("drill_every may not exceed 365d: every scenario is drilled yearly")
        return self


class ApprovalRule(Strict):
    """Who must approve a gate: N distinct people (by verified identity), optionally from a list.

    An approver entry is an IAM ARN pattern (`arn:aws:sts::123456789012:assumed-role/DR/*`),
    a dashboard identity (`dashboard:NAME`), an OS account (`os:USER@HOST`), `role:NAME`, or
    a bare verified name (IAM user or role session, OS user; never the `--as` label).
    """

    gate: Literal["declare-disaster", "promote-data", "switch-traffic", "failback"]
    required: int = Field(default=2, ge=1, le=10)
    approvers: list[Name] = []

    @model_validator(mode="after")
    def _enough_people(self) -> ApprovalRule:
        if self.approvers and len(set(self.approvers)) < self.required:
            raise ValueError(
                f"{self.required} approvals required but only {len(set(self.approvers))} approvers named"
            )
        return self


class EvidenceExport(Strict):
    """Where evidence bundles go: an S3 bucket with Object Lock."""

    bucket: Name
    prefix: str = "drctl/"
    region: Region | None = None
    object_lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] = "COMPLIANCE"
    retention_days: int = Field(default=365, ge=1)


class Audit(Strict):
    """How evidence is kept.

    `signing_key` may name the KMS key `drctl audit sign --kms-key` signs with: its ARN
    (`arn:aws:kms:REGION:ACCOUNT:key/ID`), an alias (`alias/NAME` or its ARN) or a key id:
    `drctl iac render --only iam` then writes `iam/drctl-audit-signing.json`, granting its KMS
    calls on that key only. IAM needs the key ARN: an alias or id renders as
    `${AUDIT_SIGNING_KEY_ARN}` unless `--live` resolves it (DescribeKey in the alias ARN's
    region, else the primary). `cloudtrail_lookup` looks up the run's calls in CloudTrail (the
    runbook's evidence step, and the evidence `drctl run` and `drctl report` capture).
    """

    export: EvidenceExport | None = None
    signing_key: str | None = None
    cloudtrail_lookup: bool = True


def _all_scenarios() -> dict[Scenario, ScenarioPolicy]:
    return {scenario: ScenarioPolicy() for scenario in Scenario}


class Plan(Strict):
    """A DR plan (`apiVersion: drctl/v1`, `kind: DRPlan`)."""

    api_version: Literal["drctl/v1"] = Field(alias="apiVersion")
    kind: Literal["DRPlan"]
    metadata: Metadata
    objectives: Objectives
    strategy: Strategy
    regions: Regions
    resources: list[Resource] = Field(min_length=1)
    scenarios: dict[Scenario, ScenarioPolicy] = Field(default_factory=_all_scenarios)
    probes: Probes = Probes()
    approvals: list[ApprovalRule] = []
    audit: Audit = Audit()
    notifications: Notifications = Notifications()
    aws: AwsAccess = AwsAccess()

    @model_validator(mode="after")
    def _unique_names(self) -> Plan:
        seen: set[str] = set()
        for resource in self.resources:
            if resource.name in seen:
                raise ValueError(f"two resources are named `{resource.name}`; names must be unique")
            seen.add(resource.name)
        if problem := self.aws.overlap():
            raise ValueError(problem)
        return self

    def resource(self, name: str) -> Resource:
        """The resource called `name`."""
        return next(r for r in self.resources if r.name == name)

    def resources_of(self, kind: type[R]) -> list[R]:
        """All resources of one kind, in plan order."""
        return [r for r in self.resources if isinstance(r, kind)]

    def content_hash(self) -> str:
        """SHA-256 of the plan's canonical JSON: what run provenance and `drctl drills` compare."""
        import hashlib
        import json

        data = self.model_dump(mode="json", by_alias=True)
        if not self.aws.roles:
            del data["aws"]  # a plan written before `aws:` existed keeps its hash (drill history)
        canonical = json.dumps(data, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def serving_regions(self, scenario: str) -> tuple[str, str]:
        """(old primary, new primary) of a scenario: where the service is served before and after
        (failback returns to the primary; an AZ failure stays in it)."""
        primary, secondary = str(self.regions.primary), str(self.regions.secondary)
        return {
            Scenario.FAILBACK.value: (secondary, primary),
            Scenario.AZ_FAILURE.value: (primary, primary),
        }.get(scenario, (primary, secondary))

    def approval_for(self, gate: str) -> ApprovalRule | None:
        """The approval rule for a gate, if the plan sets one."""
        return next((a for a in self.approvals if a.gate == gate), None)
