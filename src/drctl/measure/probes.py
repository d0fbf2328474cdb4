"""Probes of a measured run, built from the plan's `probes:` section.

`ProbeHooks` lets an environment that is not reachable the ordinary way (the sandbox's
Route 53 answers, the lab's servers) supply name resolution and the canary's target; the
product resolves through DNS with TTLs and writes the canary to the old primary's store.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from drctl.errors import PlanError
from drctl.measure.resolve import TtlResolver
from drctl.plan.aws import AwsRole
from drctl.plan.probes import (
    AvailabilitySpec,
    CanarySpec,
    DynamoDbCanary,
    MySqlCanary,
    PostgresCanary,
    S3Canary,
)
from drctl.probes.availability import AvailabilityProbe, Resolver
from drctl.probes.canary import CanaryStore
from drctl.probes.measure import Sample
from drctl.probes.stores import DynamoDbStore, MySqlStore, PostgresStore, S3Store
from drctl.providers.aws.clients import AwsClients
from drctl.settings import Settings

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class ProbeHooks:
    """Environment-specific pieces of a measured run; None means the product's default."""

    resolver: Resolver | None = None
    canary_target: Callable[[], CanaryStore] | None = None
    canary_survivors: Callable[[], CanaryStore] | None = None


def availability_probe(
    spec: AvailabilitySpec,
    hooks: ProbeHooks,
    on_sample: Callable[[Sample], None],
    settings: Settings,
) -> AvailabilityProbe:
    """The availability probe of `spec`, resolving like a client unless `hooks` resolves.

    A client asks the plan's `nameservers`, else the `DRCTL_DNS_SERVERS` setting (e.g. the
    sandbox's own DNS), else the system's resolvers; it keeps an answer for its TTL, in the
    sandbox's time when `DRCTL_TIME_SCALE` says it runs scaled.
    """
    nameservers = [str(ns) for ns in spec.nameservers]
    resolver = hooks.resolver or TtlResolver.of(
        nameservers, settings.dns_servers, settings.time_scale
    )
    return AvailabilityProbe(
        str(spec.url),
        interval=spec.interval,
        timeout=spec.timeout,
        resolver=resolver,
        method=spec.method,
        expect=spec.expect,
        body_match=spec.body_match,
        headers={
            name: expand(value, f"probes.availability.headers.{name}")
            for name, value in spec.headers.items()
        },
        on_sample=on_sample,
    )


def canary_store(
    spec: CanarySpec,
    region: str,
    *,
    dr: bool,
    settings: Settings,
    roles: Sequence[AwsRole] = (),
) -> CanaryStore:
    """The canary's store in `region`: the primary side, or the DR side when `dr`."""
    if isinstance(spec, PostgresCanary):
        field = "dr_dsn" if dr else "dsn"
        return PostgresStore(region, expand(getattr(spec, field), f"probes.canary.{field}"))
    if isinstance(spec, MySqlCanary):
        field = "dr_dsn" if dr else "dsn"
        return MySqlStore(region, expand(getattr(spec, field), f"probes.canary.{field}"))
    clients = AwsClients(settings, roles=roles, max_attempts=1, connect_timeout=1, read_timeout=2)
    if isinstance(spec, DynamoDbCanary):
        return DynamoDbStore(region, clients.client("dynamodb", region), spec.target)
    assert isinstance(spec, S3Canary)
    bucket = spec.dr_target if dr else spec.target
    return S3Store(region, clients.client("s3", region), bucket, spec.prefix)


def expand(text: str, where: str) -> str:
    """`${NAME}` replaced by the environment variable NAME (credentials stay out of the plan)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise PlanError(
                f"{where} names ${{{name}}}, which is not set",
                hint=f"export {name}=... before running, or write the value in the plan",
            )
        return os.environ[name]

    return _VARIABLE.sub(value, text)
