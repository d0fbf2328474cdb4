"""CloudTrail events of a run's window for the API calls the run made (`LookupEvents` by name and time).

Event history answers one lookup attribute per call, per region, 50 events a page, and is
throttled at 2 calls a second: the shared AWS client factory's adaptive retries absorb the
throttling. A lookup that still fails is reported in the evidence, not silently dropped.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

import yaml
from pydantic import JsonValue

from drctl.errors import DrctlError, ProviderError
from drctl.model import Frozen
from drctl.providers.aws.clients import AwsClients, aws_errors

LOOKUP_KIND = "aws.cloudtrail.lookup"
# CloudTrail delivers events to event history within about 5 minutes of the call.
DELIVERY_SLACK = timedelta(minutes=5)
_MAX_PAGES = 20


class TrailWindow(Frozen):
    """Which calls to look up: names, regions and a time window."""

    start: datetime
    end: datetime
    regions: list[str]
    event_names: list[str]


class TrailEvidence(Frozen):
    """What CloudTrail answered for a window, and any lookups that failed."""

    window: TrailWindow
    events: list[dict[str, JsonValue]] = []
    errors: list[str] = []


REGION_DOWN_CODES = frozenset(
    {
        "ServiceUnavailable",
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ConnectionClosedError",
        "ReadTimeoutError",
        "ConnectionError",
    }
)
"""Errors that say a region's endpoint is not answering (a 503 from the whole region, or
no connection at all), as opposed to one call being refused."""


def down_regions(scenario: str | None, primary: str | None) -> list[str]:
    """Regions a run already knows are down: a region failure's failed (primary) region."""
    return [primary] if scenario == "region-failure" and primary else []


def lookup_run_calls(
    clients: AwsClients, window: TrailWindow, *, down: Collection[str] = ()
) -> TrailEvidence:
    """Every event of `window`, per region and event name; failures become `errors`.

    A region in `down` (known failed in this run) is not asked at all, and a region whose
    endpoint fails to answer once is not asked again for the other names: each would only
    spend the client's retries (seconds each) to learn the same thing.
    """
    events: list[dict[str, JsonValue]] = []
    errors: list[str] = []
    failed = set(down)
    for region in window.regions:
        if region in failed:
            errors.append(f"{region}: not looked up, the region is down in this run")
            continue
        for i, name in enumerate(window.event_names):
            try:
                events.extend(_lookup(clients, region, name, window))
            except DrctlError as exc:
                errors.append(f"{name} in {region}: {exc.message}")
                down_code = getattr(exc, "code", "") in REGION_DOWN_CODES
                unanswered = isinstance(exc, ProviderError) and exc.retryable
                if down_code or unanswered:
                    # The region does not answer (a failed region may hang every call until
                    # the client's timeout): say so once instead of waiting once per name.
                    skipped = window.event_names[i + 1 :]
                    if skipped:
                        errors.append(
                            f"{', '.join(skipped)} in {region}: not looked up, "
                            "the region did not answer"
                        )
                    break
    events.sort(key=lambda e: (str(e.get("EventTime")), str(e.get("EventId"))))
    return TrailEvidence(window=window, events=events, errors=errors)


def _lookup(
    clients: AwsClients, region: str, name: str, window: TrailWindow
) -> list[dict[str, JsonValue]]:
    client = clients.client("cloudtrail", region)
    request: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": name}],
        "StartTime": window.start,
        "EndTime": window.end + DELIVERY_SLACK,
    }
    found: list[dict[str, JsonValue]] = []
    with aws_errors(f"CloudTrail event history ({name})", region):
        for _ in range(_MAX_PAGES):
            page = client.lookup_events(**request)
            found.extend(_plain(e, region) for e in page.get("Events", []))
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
    return found


def _plain(event: dict[str, Any], region: str) -> dict[str, JsonValue]:
    detail = event.get("CloudTrailEvent")
    return {
        "EventId": str(event.get("EventId", "")),
        "EventName": str(event.get("EventName", "")),
        "EventTime": _iso(event.get("EventTime")),
        "EventSource": str(event.get("EventSource", "")),
        "Username": str(event.get("Username", "")),
        "Region": region,
        "CloudTrailEvent": json.loads(detail) if isinstance(detail, str) else None,
    }


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def event_names_from_runbook(runbook_text: str) -> tuple[list[str], list[str]]:
    """(event names, regions) named by the runbook's `aws.cloudtrail.lookup` steps."""
    try:
        data = yaml.safe_load(runbook_text) or {}
    except yaml.YAMLError:
        return [], []
    names: list[str] = []
    regions: list[str] = []
    for step in data.get("steps", []) if isinstance(data, dict) else []:
        if isinstance(step, dict) and step.get("action") == LOOKUP_KIND:
            params = step.get("params") or {}
            names += [str(n) for n in params.get("event_names", []) if str(n) not in names]
            region = params.get("region") or step.get("region")
            if region and str(region) not in regions:
                regions.append(str(region))
    return names, regions
