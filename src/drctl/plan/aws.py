"""The plan's `aws:` section: which IAM role drctl acts as in each region.

Estates often keep the primary region in one account and the DR region in another. Each
entry names the role for its `regions`; one entry without `regions` is the default for
every other region. An external id is written as `${NAME}` to keep it out of the plan: it
is expanded from the environment when the role is assumed, and never printed or audited.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from drctl.model import Strict
from drctl.plan.regions import PARTITIONS, Region, partition_of

_ROLE_ARN = re.compile(r"arn:([a-z-]+):iam::(\d{12}):role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}")
EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}")
"""What STS accepts as an `ExternalId` (AssumeRole API reference)."""


def role_arn_problem(arn: str) -> str:
    """Why `arn` is not an IAM role ARN, or "" when it is one."""
    match = _ROLE_ARN.fullmatch(arn)
    if match is None:
        return f"`{arn}` is not a role ARN (arn:aws:iam::<12-digit account>:role/<name>)"
    if match.group(1) not in PARTITIONS:
        return f"`{match.group(1)}` in `{arn}` is not an AWS partition ({', '.join(sorted(PARTITIONS))})"
    return ""


class AwsRole(Strict):
    """A role drctl assumes (from the region's own STS endpoint) to act in some regions."""

    role_arn: str = Field(description="`arn:<partition>:iam::<account>:role/<name>`")
    regions: list[Region] | None = Field(
        default=None,
        min_length=1,
        description="where this role is used; omitted: every other region",
    )
    external_id: str | None = Field(
        default=None,
        description="the trust policy's sts:ExternalId; write `${VAR}` (expanded at use)",
    )
    session_name: str = Field(default="drctl", pattern=r"^[\w+=,.@-]{2,64}$")

    @field_validator("role_arn")
    @classmethod
    def _role_arn(cls, arn: str) -> str:
        if problem := role_arn_problem(arn):
            raise ValueError(problem)
        return arn

    @field_validator("external_id")
    @classmethod
    def _external_id(cls, value: str | None) -> str | None:
        if value is not None and "${" not in value and not EXTERNAL_ID.fullmatch(value):
            raise ValueError("STS accepts 2-1224 characters of letters, digits and +=,.@:/-")
        return value

    @model_validator(mode="after")
    def _same_partition(self) -> AwsRole:
        partition = self.role_arn.split(":")[1]
        for region in self.regions or []:
            if partition_of(region) != partition:
                raise ValueError(
                    f"{region} is in partition {partition_of(region)}, the role in {partition}"
                )
        return self


class AwsAccess(Strict):
    """The role drctl acts as in each region: the entry naming the region, else the entry
    without `regions`, else `DRCTL_AWS_ROLE_ARN`, else the profile's own credentials."""

    roles: list[AwsRole] = []

    def role_for(self, region: str) -> AwsRole | None:
        """The role for `region`: the entry naming it, else the default entry, else None."""
        named = next((r for r in self.roles if r.regions and region in r.regions), None)
        return named or next((r for r in self.roles if r.regions is None), None)

    def overlap(self) -> str:
        """Why the entries are ambiguous (a region twice, two defaults), or ""."""
        seen: set[str] = set()
        for role in self.roles:
            for region in role.regions or []:
                if region in seen:
                    return f"{region} has two roles under aws.roles; give each region one"
                seen.add(region)
        if sum(r.regions is None for r in self.roles) > 1:
            return "two aws.roles entries have no `regions`; only one can be the default"
        return ""
