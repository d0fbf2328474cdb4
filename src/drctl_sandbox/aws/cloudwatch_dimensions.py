"""CloudWatch metrics are identified by their full dimension set, which moto 5.2.5 ignores.

On CloudWatch "each unique combination of dimensions is a separate metric": GetMetricStatistics
and GetMetricData return data only for the exact set that was published (a metric put with
SourceBucket, DestinationBucket and RuleId is not found by SourceBucket alone). moto's
GetMetricStatistics matches any datum whose dimensions *include* the asked ones, so a query
with too few dimensions would find data here and nothing on AWS. `install()` makes it exact;
moto's GetMetricData already compares the whole set.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from moto.cloudwatch.models import CloudWatchBackend, MetricDatumBase, Statistics, daterange

_ORIGINAL = CloudWatchBackend.get_metric_statistics


def _key(dimensions: Iterable[Any]) -> frozenset[tuple[str, str]]:
    return frozenset(
        (str(d["Name"]), str(d["Value"])) if isinstance(d, dict) else (str(d.name), str(d.value))
        for d in dimensions
    )


def _exact(data: list[MetricDatumBase], dimensions: list[dict[str, str]]) -> list[MetricDatumBase]:
    wanted = _key(dimensions)
    return [md for md in data if _key(md.dimensions) == wanted]


def _get_metric_statistics(
    self: CloudWatchBackend,
    namespace: str,
    metric_name: str,
    start_time: datetime,
    end_time: datetime,
    period: int,
    stats: list[str],
    dimensions: list[dict[str, str]],
    unit: str | None = None,
) -> list[Statistics]:
    if start_time.replace(microsecond=0) >= end_time.replace(microsecond=0):
        return _ORIGINAL(  # moto's own InvalidParameterValue
            self, namespace, metric_name, start_time, end_time, period, stats, dimensions, unit
        )
    start, end = start_time.replace(microsecond=0), end_time.replace(microsecond=0)
    found = sorted(
        _exact(
            [
                md
                for md in self.get_all_metrics()
                if md.namespace == namespace
                and md.name == metric_name
                and start <= md.timestamp < end
                and (not unit or md.unit == unit)
            ],
            dimensions,
        ),
        key=lambda md: md.timestamp,
    )
    step = timedelta(seconds=period)
    buckets: list[Statistics] = []
    if not found:
        return buckets
    for begin in daterange(found[0].timestamp, found[-1].timestamp + step, step):
        bucket = Statistics(stats, begin)
        bucket.metric_data = [md for md in found if begin <= md.timestamp < begin + step]
        if bucket.metric_data:
            bucket.unit = bucket.metric_data[-1].unit
            buckets.append(bucket)
    return buckets


def install() -> None:
    """Make GetMetricStatistics match the whole dimension set (idempotent)."""
    CloudWatchBackend.get_metric_statistics = _get_metric_statistics  # type: ignore[method-assign]
