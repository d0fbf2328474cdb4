"""Which role drctl acts as in a region, and a session on it that botocore keeps fresh.

Per region: the plan's role for that region, else the plan's default role, else
`DRCTL_AWS_ROLE_ARN`, else the ambient credentials (profile, SSO, environment). The
external id is expanded from `${VAR}` only here, when the role is assumed; no message
carries it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from drctl.errors import CouldNotCheck, ProviderError
from drctl.plan.aws import EXTERNAL_ID, AwsAccess, AwsRole, role_arn_problem
from drctl.plan.regions import dns_suffix
from drctl.settings import Settings

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class RoleChoice:
    """The role for one region and where it was declared (`aws.roles[1]`, `DRCTL_AWS_ROLE_ARN`)."""

    arn: str
    external_id: str = field(repr=False)  # as written: `${VAR}`, or the value itself
    session_name: str
    source: str

    @property
    def external_id_field(self) -> str:
        """Where its external id is set, for messages that must not show the id itself."""
        return (
            "DRCTL_AWS_EXTERNAL_ID"
            if self.source == "DRCTL_AWS_ROLE_ARN"
            else f"{self.source}.external_id"
        )


def choose_role(region: str, roles: Sequence[AwsRole], settings: Settings) -> RoleChoice | None:
    """The role drctl acts as in `region`, by the precedence in the module docstring."""
    role = AwsAccess(roles=list(roles)).role_for(region)
    if role is not None:
        source = f"aws.roles[{list(roles).index(role)}]"
        return RoleChoice(role.role_arn, role.external_id or "", role.session_name, source)
    if settings.aws_role_arn:
        return RoleChoice(
            settings.aws_role_arn, settings.aws_external_id, "drctl", "DRCTL_AWS_ROLE_ARN"
        )
    return None


def _external_id(choice: RoleChoice) -> str:
    """The external id with `${VAR}` expanded, checked against what STS accepts."""

    def value(match: re.Match[str]) -> str:
        if match.group(1) not in os.environ:
            raise CouldNotCheck(
                f"the external id of {choice.arn} names ${{{match.group(1)}}}, which is not set",
                hint=f"export {match.group(1)}=... (the sts:ExternalId of the role's trust policy)",
                where=choice.external_id_field,
            )
        return os.environ[match.group(1)]

    expanded = _VARIABLE.sub(value, choice.external_id)
    if expanded and not EXTERNAL_ID.fullmatch(expanded):
        raise CouldNotCheck(
            "the external id is not one STS accepts (2-1224 characters of letters, "
            "digits and +=,.@:/-)",
            hint=f"set {choice.external_id_field} to the value in the role's trust policy",
            where=choice.external_id_field,
        )
    return expanded


def _request(choice: RoleChoice) -> dict[str, Any]:
    if problem := role_arn_problem(choice.arn):
        raise CouldNotCheck(
            problem,
            hint=f"set {choice.source} to arn:aws:iam::<account>:role/<name>",
            where=choice.source,
        )
    request: dict[str, Any] = {"RoleArn": choice.arn, "RoleSessionName": choice.session_name}
    if external_id := _external_id(choice):
        request["ExternalId"] = external_id
    return request


def assumed_session(
    base: boto3.Session, choice: RoleChoice, region: str, endpoint: str | None, config: Config
) -> boto3.Session:
    """A session on the role's credentials, fetched from the region's own STS endpoint
    once and refreshed by botocore shortly before they expire (never once per step)."""
    import boto3
    from botocore.credentials import RefreshableCredentials
    from botocore.session import get_session

    from drctl.providers.aws.clients import aws_errors

    request = _request(choice)
    # The regional STS endpoint of the region being used: never depend on us-east-1 or
    # on the failed region to get credentials during a regional outage.
    sts = base.client(
        "sts",
        region_name=region,
        endpoint_url=endpoint or f"https://sts.{region}.{dns_suffix(region)}",
        config=config,
    )

    def fetch() -> dict[str, str]:
        try:
            with aws_errors(f"role {choice.arn}", region):
                creds = sts.assume_role(**request)["Credentials"]
        except ProviderError as err:
            raise CouldNotCheck(
                f"cannot assume role {choice.arn} in {region}: {' '.join(err.message.split())}",
                hint=err.hint  # unreachable or throttled: not the role's fault
                if err.retryable
                else "check the role's trust policy (principal, sts:ExternalId) and "
                f"{choice.external_id_field}",
                where=f"sts.{region}",
            ) from None
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": creds["Expiration"].isoformat(),
        }

    credentials = RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method="sts-assume-role"
    )
    core = get_session()
    core._credentials = credentials  # botocore has no public setter for this
    return boto3.Session(botocore_session=core, region_name=region)
