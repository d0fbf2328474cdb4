"""CloudTrail and CloudWatch reads: API events in a time window, trail status, replication lag."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field

from drctl.errors import NotFoundError
from drctl.model import Frozen
from drctl.plan.durations import Duration
from drctl.providers.aws._action import AwsAction, dump
from drctl.providers.aws.clients import AwsClients, aws_errors
from drctl.providers.base import Outcome, Output, Params


class EventSummary(Frozen):
    """One CloudTrail event: what, when, who, where from."""

    event_id: str
    event_name: str
    event_time: datetime
    event_source: str
    username: str
    access_key_id: str
    read_only: bool


class TrailStatus(Frozen):
    """A trail's logging state and scope."""

    name: str
    region: str
    is_logging: bool
    multi_region: bool


def lookup_events(
    clients: AwsClients,
    region: str,
    event_name: str,
    start: datetime,
    end: datetime,
    limit: int = 200,
) -> list[EventSummary]:
    """Events named `event_name` in `region` between `start` and `end`, newest first."""
    pages = (
        clients.client("cloudtrail", region)
        .get_paginator("lookup_events")
        .paginate(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": event_name}],
            StartTime=start,
            EndTime=end,
        )
    )
    found: list[EventSummary] = []
    with aws_errors(f"CloudTrail events {event_name}", region):
        for page in pages:
            found += [
                EventSummary(
                    event_id=e["EventId"],
                    event_name=e["EventName"],
                    event_time=e["EventTime"],
                    event_source=e.get("EventSource", ""),
                    username=e.get("Username", ""),
                    access_key_id=e.get("AccessKeyId", ""),
                    read_only=e.get("ReadOnly") == "true",
                )
                for e in page["Events"]
            ]
            if len(found) >= limit:
                break
    return found[:limit]


def read_trail_status(clients: AwsClients, trail: str, region: str) -> TrailStatus:
    """Whether `trail` is logging and whether it covers every region."""
    client = clients.client("cloudtrail", region)
    with aws_errors(f"trail {trail}", region):
        trails = client.describe_trails(trailNameList=[trail])["trailList"]
        if not trails:
            raise NotFoundError(
                f"trail {trail} does not exist",
                where=f"trail {trail} in {region}",
                hint="list trails with `aws cloudtrail describe-trails`",
                code="TrailNotFoundException",
            )
        status = client.get_trail_status(Name=trail)
    return TrailStatus(
        name=trails[0]["Name"],
        region=region,
        is_logging=bool(status.get("IsLogging")),
        multi_region=bool(trails[0].get("IsMultiRegionTrail")),
    )


class LookupParams(Params):
    """Event names to look up in a region over the last `window`."""

    region: str
    event_names: list[str] = Field(min_length=1)
    window: Duration = timedelta(hours=1)
    expect_at_least: int = 0


class Lookup(AwsAction[LookupParams]):
    """Read-only evidence: CloudTrail events by name in a time window (e.g. FailoverGlobalCluster)."""

    kind = "aws.cloudtrail.lookup"
    Params = LookupParams

    def describe(self) -> str:
        p = self.params
        return f"look up CloudTrail events {', '.join(p.event_names)} in {p.region} over the last {p.window}"

    def _events(self) -> list[EventSummary]:
        end = self.ctx.clock.now()
        return [
            e
            for name in self.params.event_names
            for e in lookup_events(
                self.clients, self.params.region, name, end - self.params.window, end
            )
        ]

    def current(self) -> Output:
        return {"events": [dump(e) for e in self._events()]}

    def apply(self) -> Outcome:
        return Outcome(changed=False, detail="read-only")

    def verify(self, deadline: float) -> Output:
        want = self.params.expect_at_least
        events = self.wait(
            self._events,
            lambda es: "" if len(es) >= want else f"{len(es)} event(s), expected {want}",
            deadline,
            f"CloudTrail in {self.params.region}",
        )
        return {"events": [dump(e) for e in events]}


LagMetric = Literal["AuroraGlobalDBReplicationLag", "ReplicaLag", "ReplicationLatency"]
_METRICS: dict[str, tuple[str, str, float]] = {
    # metric → (namespace, dimension, seconds per unit)
    "AuroraGlobalDBReplicationLag": ("AWS/RDS", "DBClusterIdentifier", 0.001),
    "ReplicaLag": ("AWS/RDS", "DBInstanceIdentifier", 1.0),
    "ReplicationLatency": ("AWS/S3", "SourceBucket", 1.0),
}


class LagReading(Frozen):
    """The worst replication lag seen in the window, in seconds (None: no datapoints)."""

    metric: str
    resource: str
    region: str
    max_seconds: float | None


def read_replication_lag(
    clients: AwsClients,
    metric: LagMetric,
    resource: str,
    region: str,
    start: datetime,
    end: datetime,
) -> LagReading:
    """Maximum of a replication-lag metric for `resource` over [start, end], in seconds."""
    namespace, dimension, scale = _METRICS[metric]
    with aws_errors(f"metric {metric} of {resource}", region):
        points = clients.client("cloudwatch", region).get_metric_statistics(
            Namespace=namespace,
            MetricName=metric,
            Dimensions=[{"Name": dimension, "Value": resource}],
            StartTime=start,
            EndTime=end,
            Period=60,
            Statistics=["Maximum"],
        )["Datapoints"]
    worst = max((p["Maximum"] for p in points), default=None)
    return LagReading(
        metric=metric,
        resource=resource,
        region=region,
        max_seconds=None if worst is None else worst * scale,
    )


class LagParams(Params):
    """The lag metric, its resource and region, the window and the largest acceptable lag."""

    region: str
    metric: LagMetric
    resource: str
    max_lag: Duration
    window: Duration = timedelta(minutes=15)


class ReplicationLag(AwsAction[LagParams]):
    """Read-only check: replication lag over the window stays under `max_lag` (the RPO budget)."""

    kind = "aws.cloudwatch.replication-lag"
    Params = LagParams

    def describe(self) -> str:
        p = self.params
        return f"check {p.metric} of {p.resource} in {p.region} stays under {p.max_lag}"

    def _read(self) -> LagReading:
        p, now = self.params, self.ctx.clock.now()
        # CloudWatch compares whole seconds: end a minute ahead so a datapoint of this second counts.
        end = now + timedelta(minutes=1)
        return read_replication_lag(
            self.clients, p.metric, p.resource, p.region, now - p.window, end
        )

    def current(self) -> Output:
        return dump(self._read())

    def apply(self) -> Outcome:
        return Outcome(changed=False, detail="read-only")

    def verify(self, deadline: float) -> Output:
        limit = self.params.max_lag.total_seconds()

        def problem(r: LagReading) -> str:
            if r.max_seconds is None:
                return f"no {r.metric} datapoints for {r.resource}"
            return f"lag {r.max_seconds:.3f}s exceeds {limit:.3f}s" if r.max_seconds > limit else ""

        return dump(
            self.wait(
                self._read, problem, deadline, f"{self.params.resource} in {self.params.region}"
            )
        )


class TrailState(Frozen):
    """A trail visible in a region (its own or a multi-region trail's shadow) and how it logs."""

    name: str
    home_region: str
    multi_region: bool
    log_file_validation: bool
    is_logging: bool


def read_trails(clients: AwsClients, region: str) -> list[TrailState]:
    """Every trail that covers `region`, shadow trails of multi-region trails included."""
    client = clients.client("cloudtrail", region)
    with aws_errors("CloudTrail trails", region):
        trails = client.describe_trails(includeShadowTrails=True)["trailList"]
        logging = {t["TrailARN"]: client.get_trail_status(Name=t["TrailARN"]) for t in trails}
    return [
        TrailState(
            name=t["Name"],
            home_region=t.get("HomeRegion", region),
            multi_region=bool(t.get("IsMultiRegionTrail")),
            log_file_validation=bool(t.get("LogFileValidationEnabled")),
            is_logging=bool(logging[t["TrailARN"]].get("IsLogging")),
        )
        for t in trails
    ]
