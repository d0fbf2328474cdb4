"""The plan's `probes:` section: the availability probe (RTO) and the data canary (RPO).

Both run beside every runbook started from the plan (`drctl run`, the demo, the lab); see
`drctl.measure`. Text fields that hold credentials (`dsn`, header values) may name
environment variables as `${NAME}`: they are expanded when the probe starts, never stored.
"""

from __future__ import annotations

import re
from datetime import timedelta
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Any, Literal

from pydantic import Field, HttpUrl, field_validator, model_validator

from drctl.model import Strict
from drctl.plan.durations import Duration
from drctl.plan.resources import Name

StatusClass = Literal["1xx", "2xx", "3xx", "4xx", "5xx"]


class AvailabilitySpec(Strict):
    """The service's own probe: a request to its public endpoint every `interval`.

    The host is resolved the way a client does, through DNS with each answer kept for its
    TTL (`nameservers`, else the system's resolvers), so DNS failover and TTLs are part of
    the measured RTO. A sample succeeds when the status is in `expect` and, if set, the
    body matches `body_match`; recovery is `success_threshold` successes in a row.
    """

    name: str = Field(
        default="availability",
        min_length=1,
        max_length=24,
        pattern=r"^[a-z0-9][a-z0-9-]*$",
        description="names the probe when the plan lists several (`availability: [...]`)",
    )
    rto: bool = Field(
        default=False,
        description="in a list, the probe the RTO is measured from (else the first)",
    )
    url: HttpUrl
    method: Literal["GET", "HEAD", "POST"] = "GET"
    expect: list[StatusClass] = Field(default=["2xx", "3xx"], min_length=1)
    body_match: str | None = Field(default=None, description="a regular expression")
    headers: dict[str, str] = {}
    interval: Duration = timedelta(seconds=1)
    timeout: Duration = timedelta(seconds=2)
    success_threshold: int = Field(default=3, ge=1)
    nameservers: list[IPv4Address | IPv6Address] = []
    settle: Duration = Field(
        default=timedelta(seconds=30),
        description="how long to keep probing after the runbook ends, waiting for recovery",
    )

    @field_validator("body_match")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"body_match is not a regular expression: {exc}") from None
        return value


class CanaryBase(Strict):
    """What every canary has: a name (when the plan lists several) and the RPO mark."""

    name: str = Field(
        default="canary",
        min_length=1,
        max_length=24,
        pattern=r"^[a-z0-9][a-z0-9-]*$",
        description="names the canary when the plan lists several (`canaries: [...]`)",
    )
    rpo: bool = Field(
        default=False, description="in a list, the canary the RPO is measured from (else the first)"
    )


class DynamoDbCanary(CanaryBase):
    """Canary items in a DynamoDB global table: written in the old primary region, read in the new."""

    kind: Literal["dynamodb"]
    target: Name = Field(description="the table name (the same in both regions)")
    interval: Duration = timedelta(milliseconds=200)


class PostgresCanary(CanaryBase):
    """Canary rows in a `drctl_canary` table of PostgreSQL or Aurora PostgreSQL."""

    kind: Literal["postgres"]
    dsn: str = Field(min_length=1, description="the primary's DSN (`${VAR}` is expanded)")
    dr_dsn: str = Field(min_length=1, description="the DR side's DSN, the new primary")
    interval: Duration = timedelta(milliseconds=200)


class MySqlCanary(CanaryBase):
    """Canary rows in a `drctl_canary` table of MySQL, MariaDB or Aurora MySQL."""

    kind: Literal["mysql"]
    dsn: str = Field(
        min_length=1,
        description="the primary's DSN, mysql://USER:PASSWORD@HOST:PORT/DATABASE (`${VAR}` is expanded)",
    )
    dr_dsn: str = Field(min_length=1, description="the DR side's DSN, the new primary")
    interval: Duration = timedelta(milliseconds=200)

    @field_validator("dsn", "dr_dsn")
    @classmethod
    def _mysql_url(cls, value: str) -> str:
        if not value.startswith("mysql://"):
            raise ValueError("a MySQL canary DSN is mysql://USER:PASSWORD@HOST:PORT/DATABASE")
        return value


class S3Canary(CanaryBase):
    """Canary objects under a prefix: written to the primary bucket, read from its replica."""

    kind: Literal["s3"]
    target: Name = Field(description="the primary bucket")
    dr_target: Name = Field(description="the replication destination bucket in the DR region")
    prefix: str = "drctl-canary/"
    interval: Duration = timedelta(milliseconds=500)


CanarySpec = Annotated[
    DynamoDbCanary | PostgresCanary | MySqlCanary | S3Canary, Field(discriminator="kind")
]


class Probes(Strict):
    """Probes that run beside every runbook of the plan.

    `availability` is one probe or a list of named ones (e.g. the public endpoint and an
    internal API): the RTO is measured from the one marked `rto: true`, else the first; the
    others (`more_availability`) are measured beside it and reported with their own recovery.
    """

    availability: AvailabilitySpec | None = None
    more_availability: list[AvailabilitySpec] = Field(
        default=[], description="filled from an `availability:` list: the probes beside the RTO's"
    )
    canary: CanarySpec | None = None
    more_canaries: list[CanarySpec] = Field(
        default=[], description="filled from a `canaries:` list: the canaries beside the RPO's"
    )

    @model_validator(mode="before")
    @classmethod
    def _lists(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "canaries" in data:
            if "canary" in data:
                raise ValueError("give `canary` (one) or `canaries` (a list), not both")
            data["canary"] = data.pop("canaries")
        for field, more, mark in (("availability", "more_availability", "rto"),
                                  ("canary", "more_canaries", "rpo")):  # fmt: skip
            listed = data.get(field)
            if not isinstance(listed, list):
                continue
            if not listed:
                raise ValueError(f"{field} lists nothing: give one or leave it out")
            marked = [i for i, p in enumerate(listed) if isinstance(p, dict) and p.get(mark)]
            if len(marked) > 1:
                raise ValueError(f"{field}: only one can be marked `{mark}: true`")
            first = marked[0] if marked else 0
            rest = [p for i, p in enumerate(listed) if i != first]
            data[field], data[more] = listed[first], [*data.get(more, []), *rest]
        return data

    @model_validator(mode="after")
    def _unique_names(self) -> Probes:
        for what, names in (("availability probes", [p.name for p in self.all_availability]),
                            ("canaries", [c.name for c in self.all_canaries])):  # fmt: skip
            if len(set(names)) != len(names):
                raise ValueError(f"{what} need distinct names, got {names}")
        return self

    @property
    def all_canaries(self) -> list[CanarySpec]:
        """The RPO's canary first, then the others."""
        return [c for c in [self.canary, *self.more_canaries] if c is not None]

    @property
    def all_availability(self) -> list[AvailabilitySpec]:
        """The RTO's probe first, then the others."""
        return [p for p in [self.availability, *self.more_availability] if p is not None]
