"""CloudTrail and CloudWatch reads: API events in a time window, trail status, replication lag."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field, model_validator

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


# CloudTrail delivers an event to event history within about 5 minutes of the call, at worst
# about 15: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/how-cloudtrail-works.html
DELIVERY_WAIT = timedelta(minutes=15)
WINDOW_SLACK = timedelta(minutes=1)  # clock skew between this host and AWS


class LookupParams(Params):
    """Event names to look up in a region, over the run's own window (outside a run: `window`).

    `expect_from` maps the run's write steps to the events they record in this region: for
    every one of them that changed something, the lookup waits (at most `wait`) until one
    of its events has been delivered.
    """

    region: str
    event_names: list[str] = Field(min_length=1)
    window: Duration = timedelta(hours=1)
    expect_at_least: int = 0
    expect_from: dict[str, list[str]] = {}
    wait: Duration = DELIVERY_WAIT


class Lookup(AwsAction[LookupParams]):
    """Read-only evidence: CloudTrail events by name in the run's window (e.g. FailoverGlobalCluster)."""

    kind = "aws.cloudtrail.lookup"
    Params = LookupParams

    def describe(self) -> str:
        p = self.params
        since = "since the run began" if self.ctx.run_started_at else f"over the last {p.window}"
        return f"look up CloudTrail events {', '.join(p.event_names)} in {p.region} {since}"

    def _start(self, end: datetime) -> datetime:
        started = self.ctx.run_started_at
        return started - WINDOW_SLACK if started is not None else end - self.params.window

    def _events(self) -> list[EventSummary]:
        end = self.ctx.clock.now()
        start = self._start(end)
        return [
            e
            for name in self.params.event_names
            for e in lookup_events(self.clients, self.params.region, name, start, end)
        ]

    def expected(self) -> dict[str, list[str]]:
        """The run's steps that changed something here, and the events one of which each recorded."""
        return {
            step: names
            for step, names in self.params.expect_from.items()
            if step in self.ctx.changed_steps
        }

    def _problem(self, events: list[EventSummary]) -> str:
        seen = {e.event_name for e in events}
        missing = [
            f"{step} ({' or '.join(names)})"
            for step, names in self.expected().items()
            if not seen.intersection(names)
        ]
        if missing:
            return f"no CloudTrail event in {self.params.region} yet for {', '.join(missing)}"
        want = self.params.expect_at_least
        return "" if len(events) >= want else f"{len(events)} event(s), expected {want}"

    def current(self) -> Output:
        return {"events": [dump(e) for e in self._events()]}

    def apply(self) -> Outcome:
        return Outcome(changed=False, detail="read-only")

    def verify(self, deadline: float) -> Output:
        bound = min(deadline, self.ctx.clock.monotonic() + self.params.wait.total_seconds())
        events = self.wait(
            self._events, self._problem, bound, f"CloudTrail in {self.params.region}"
        )
        return {"events": [dump(e) for e in events]}


LagMetric = Literal["AuroraGlobalDBReplicationLag", "ReplicaLag", "ReplicationLatency"]
_METRICS: dict[str, tuple[str, tuple[str, ...], float]] = {
    # metric → (namespace, its documented dimension set, seconds per unit)
    # https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html
    "AuroraGlobalDBReplicationLag": ("AWS/RDS", ("DBClusterIdentifier",), 0.001),
    # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html
    "ReplicaLag": ("AWS/RDS", ("DBInstanceIdentifier",), 1.0),
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/metrics-dimensions.html
    "ReplicationLatency": ("AWS/S3", ("SourceBucket", "DestinationBucket", "RuleId"), 1.0),
}


def metric_dimensions(metric: LagMetric, values: tuple[str, ...]) -> list[dict[str, str]]:
    """The full dimension set of `metric` (CloudWatch finds a metric only by all of them)."""
    names = _METRICS[metric][1]
    if len(values) != len(names):
        raise ValueError(f"{metric} has dimensions {', '.join(names)}; got {len(values)} values")
    return [{"Name": n, "Value": v} for n, v in zip(names, values, strict=True)]


class LagReading(Frozen):
    """The worst replication lag seen in the window, in seconds (None: no datapoints)."""

    metric: str
    resource: str
    region: str
    max_seconds: float | None


def read_replication_lag(
    clients: AwsClients,
    metric: LagMetric,
    resource: str | tuple[str, ...],
    region: str,
    start: datetime,
    end: datetime,
) -> LagReading:
    """Maximum of a replication-lag metric over [start, end], in seconds.

    `resource` is the value of the metric's one dimension, or all of its dimension values in
    documented order (S3 `ReplicationLatency`: source bucket, destination bucket, rule id).
    """
    values = (resource,) if isinstance(resource, str) else resource
    namespace, _names, scale = _METRICS[metric]
    with aws_errors(f"metric {metric} of {values[0]}", region):
        points = clients.client("cloudwatch", region).get_metric_statistics(
            Namespace=namespace,
            MetricName=metric,
            Dimensions=metric_dimensions(metric, values),
            StartTime=start,
            EndTime=end,
            Period=60,
            Statistics=["Maximum"],
        )["Datapoints"]
    worst = max((p["Maximum"] for p in points), default=None)
    return LagReading(
        metric=metric,
        resource="/".join(values),
        region=region,
        max_seconds=None if worst is None else worst * scale,
    )


def s3_replication_rule_ids(
    clients: AwsClients, source_bucket: str, destination_bucket: str, region: str
) -> list[str]:
    """The ids of the enabled replication rules of `source_bucket` that copy to `destination_bucket`."""
    with aws_errors(f"replication of bucket {source_bucket}", region):
        rules = clients.client("s3", region).get_bucket_replication(Bucket=source_bucket)[
            "ReplicationConfiguration"
        ]["Rules"]
    arn = f"arn:aws:s3:::{destination_bucket}"
    return [
        str(r.get("ID", ""))
        for r in rules
        if r.get("Status") == "Enabled" and r.get("Destination", {}).get("Bucket") == arn
    ]


class LagParams(Params):
    """The lag metric, its resource and region, the window and the largest acceptable lag.

    S3 `ReplicationLatency` also needs `destination` (the destination bucket) and is read per
    replication rule: `rule_id`, or every enabled rule of the source bucket to `destination`.
    """

    region: str
    metric: LagMetric
    resource: str
    max_lag: Duration
    window: Duration = timedelta(minutes=15)
    destination: str | None = None
    rule_id: str | None = None

    @model_validator(mode="after")
    def _s3_needs_destination(self) -> LagParams:
        if self.metric == "ReplicationLatency" and not self.destination:
            raise ValueError(
                "ReplicationLatency is published per SourceBucket, DestinationBucket and RuleId: "
                "give `destination` (the destination bucket)"
            )
        return self


class ReplicationLag(AwsAction[LagParams]):
    """Read-only check: replication lag over the window stays under `max_lag` (the RPO budget)."""

    kind = "aws.cloudwatch.replication-lag"
    Params = LagParams

    def describe(self) -> str:
        p = self.params
        return f"check {p.metric} of {p.resource} in {p.region} stays under {p.max_lag}"

    def _dimension_values(self) -> list[tuple[str, ...]]:
        p = self.params
        if p.metric != "ReplicationLatency" or p.destination is None:
            return [(p.resource,)]
        rules = [p.rule_id] if p.rule_id else None
        if rules is None:
            rules = s3_replication_rule_ids(self.clients, p.resource, p.destination, p.region)
        return [(p.resource, p.destination, rule) for rule in rules]

    def _read(self) -> LagReading:
        p, now = self.params, self.ctx.clock.now()
        # CloudWatch compares whole seconds: end a minute ahead so a datapoint of this second counts.
        end = now + timedelta(minutes=1)
        readings = [
            read_replication_lag(self.clients, p.metric, values, p.region, now - p.window, end)
            for values in self._dimension_values()
        ]
        seen = [r.max_seconds for r in readings if r.max_seconds is not None]
        return LagReading(
            metric=p.metric,
            resource=", ".join(r.resource for r in readings) or p.resource,
            region=p.region,
            max_seconds=max(seen) if seen else None,
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
