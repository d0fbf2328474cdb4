"""The plan's `probes:` section: the availability probe (RTO) and the data canary (RPO).

Both run beside every runbook started from the plan (`drctl run`, the demo, the lab); see
`drctl.measure`. Text fields that hold credentials (`dsn`, header values) may name
environment variables as `${NAME}`: they are expanded when the probe starts, never stored.
"""

from __future__ import annotations

import re
from datetime import timedelta
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Literal

from pydantic import Field, HttpUrl, field_validator

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


class DynamoDbCanary(Strict):
    """Canary items in a DynamoDB global table: written in the old primary region, read in the new."""

    kind: Literal["dynamodb"]
    target: Name = Field(description="the table name (the same in both regions)")
    interval: Duration = timedelta(milliseconds=200)


class PostgresCanary(Strict):
    """Canary rows in a `drctl_canary` table of PostgreSQL or Aurora PostgreSQL."""

    kind: Literal["postgres"]
    dsn: str = Field(min_length=1, description="the primary's DSN (`${VAR}` is expanded)")
    dr_dsn: str = Field(min_length=1, description="the DR side's DSN, the new primary")
    interval: Duration = timedelta(milliseconds=200)


class MySqlCanary(Strict):
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


class S3Canary(Strict):
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
    """Probes that run beside every runbook of the plan."""

    availability: AvailabilitySpec | None = None
    canary: CanarySpec | None = None
