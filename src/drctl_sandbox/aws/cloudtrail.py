"""A CloudTrail stand-in: every API call the sandbox serves is recorded and `LookupEvents` answers from it.

moto 5.2.5 records nothing and answers LookupEvents with 500. Here each request is recorded
once, after moto has worked out its service, region and action (`BaseResponse.setup_class`),
with the fields CloudTrail's event history has: event id/name/time/source, region, access
key, read-only flag and the request parameters (secret values hidden, as CloudTrail does).
Like event history, lookups are per region and newest first; global services (Route 53,
IAM) are recorded in the region their requests are signed for (us-east-1 with boto3).
"""

from __future__ import annotations

import functools
import json
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import botocore.exceptions
import botocore.session
from botocore.model import OperationNotFoundError
from moto.cloudtrail.responses import CloudTrailResponse
from moto.core.exceptions import JsonRESTError
from moto.core.parse import PROTOCOL_PARSERS
from moto.core.request import determine_request_protocol
from moto.core.responses import BaseResponse
from moto.core.utils import get_service_model

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
_SECRET_KEYS = {"SecretString", "SecretBinary", "MasterUserPassword", "Password", "Value"}
_READ_PREFIXES = (
    "Describe",
    "Get",
    "List",
    "Lookup",
    "Head",
    "Query",
    "Scan",
    "BatchGet",
    "Select",
)
_ATTRIBUTE_KEYS = {"EventId", "EventName", "ReadOnly", "Username", "EventSource", "AccessKeyId"}
_MARK = "drctl.trail.recorded"
USERNAME = "sandbox-user"


@dataclass(frozen=True)
class TrailEvent:
    """One recorded API call, in CloudTrail's event-history shape."""

    event_id: str
    event_name: str
    event_time: datetime
    event_source: str
    region: str
    account_id: str
    access_key_id: str
    read_only: bool
    request_parameters: dict[str, Any]

    def attribute(self, key: str) -> str:
        """The value LookupAttributes compares for `key`."""
        return {
            "EventId": self.event_id,
            "EventName": self.event_name,
            "ReadOnly": str(self.read_only).lower(),
            "Username": USERNAME,
            "EventSource": self.event_source,
            "AccessKeyId": self.access_key_id,
        }[key]

    def as_lookup_result(self) -> dict[str, Any]:
        """The `Events[]` element of a LookupEvents answer."""
        detail = {
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "IAMUser",
                "accessKeyId": self.access_key_id,
                "accountId": self.account_id,
                "userName": USERNAME,
            },
            "eventTime": self.event_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": self.event_source,
            "eventName": self.event_name,
            "awsRegion": self.region,
            "requestParameters": self.request_parameters,
            "eventID": self.event_id,
            "readOnly": self.read_only,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": self.account_id,
        }
        return {
            "EventId": self.event_id,
            "EventName": self.event_name,
            "ReadOnly": str(self.read_only).lower(),
            "AccessKeyId": self.access_key_id,
            "EventTime": self.event_time.timestamp(),
            "EventSource": self.event_source,
            "Username": USERNAME,
            "Resources": [],
            "CloudTrailEvent": json.dumps(detail, default=str),
        }


class Recorder:
    """Thread-safe, bounded store of recorded events."""

    def __init__(self, limit: int = 200_000) -> None:
        self._events: deque[TrailEvent] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add(self, event: TrailEvent) -> None:
        with self._lock:
            self._events.append(event)

    def events(self) -> list[TrailEvent]:
        """Every recorded event, oldest first."""
        with self._lock:
            return list(self._events)

    def clear(self) -> None:
        """Forget every event (a new sandbox server starts with an empty trail)."""
        with self._lock:
            self._events.clear()


RECORDER = Recorder()


class _LookupError(JsonRESTError):
    code = 400


def _redact(value: Any, service: str) -> Any:
    if isinstance(value, dict):
        return {
            k: HIDDEN
            if k in _SECRET_KEYS and (k != "Value" or service == "ssm")
            else _redact(v, service)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact(v, service) for v in value]
    return value


def _parameters(response: BaseResponse, request: Any, action: str) -> dict[str, Any]:
    if response.boto3_service_name == "s3":
        return dict(getattr(response, "uri_match", {}) or {})  # object bodies are not evidence
    if getattr(response, "automated_parameter_parsing", False):
        return dict(response.params)
    try:
        model = get_service_model(response.boto3_service_name)
        operation = model.operation_model(action)
        protocol = determine_request_protocol(model, request.content_type)
        parser = PROTOCOL_PARSERS[protocol](operation, map_type=dict)
        parsed = parser.parse(
            {
                "method": request.method,
                "values": request.values,
                "headers": request.headers,
                "body": request.data,
                "url_path": request.path,
                "url_params": response.uri_match,
            }
        )
    except (OperationNotFoundError, NotImplementedError, KeyError, ValueError, TypeError):
        return {}  # a parameter we cannot parse is left out, the call is still recorded
    return dict(parsed)


@functools.cache
def event_source(service: str) -> str:
    """CloudTrail's eventSource: the service's endpoint prefix (`cloudwatch` → `monitoring.amazonaws.com`)."""
    try:
        prefix = botocore.session.get_session().get_service_model(service).endpoint_prefix
    except botocore.exceptions.UnknownServiceError:
        prefix = service
    return f"{prefix}.amazonaws.com"


def _record(response: BaseResponse, request: Any) -> None:
    environ = getattr(request, "environ", None)
    if environ is None or environ.get(_MARK):
        return
    action = response._get_action() or ""
    if not action:
        return
    environ[_MARK] = True
    service = response.boto3_service_name
    RECORDER.add(
        TrailEvent(
            event_id=str(uuid.uuid4()),
            event_name=action,
            event_time=datetime.now(UTC),
            event_source=event_source(service),
            region=response.region,
            account_id=response.current_account,
            access_key_id=response.access_key,
            read_only=action.startswith(_READ_PREFIXES),
            request_parameters=_redact(_parameters(response, request, action), service),
        )
    )


def _lookup_events(self: CloudTrailResponse) -> str:
    attributes = self._get_param("LookupAttributes") or []
    if len(attributes) > 1:
        raise _LookupError(
            "InvalidLookupAttributesException", "Only one lookup attribute is allowed."
        )
    if attributes and attributes[0].get("AttributeKey") not in _ATTRIBUTE_KEYS:
        raise _LookupError(
            "InvalidLookupAttributesException", "The lookup attribute key is not valid."
        )
    max_results = int(self._get_param("MaxResults") or 50)
    if not 1 <= max_results <= 50:
        raise _LookupError("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
    start, end = self._get_param("StartTime"), self._get_param("EndTime")
    if start is not None and end is not None and float(start) > float(end):
        raise _LookupError("InvalidTimeRangeException", "StartTime must be before EndTime.")
    matches = [e for e in reversed(RECORDER.events()) if _matches(self, e, attributes, start, end)]
    # The token is the id of the last event returned, so pages stay stable while calls arrive.
    token = self._get_param("NextToken")
    ids = [e.event_id for e in matches]
    offset = ids.index(token) + 1 if token in ids else 0
    page = matches[offset : offset + max_results]
    answer: dict[str, Any] = {"Events": [e.as_lookup_result() for e in page]}
    if offset + max_results < len(matches):
        answer["NextToken"] = page[-1].event_id
    return json.dumps(answer)


def _matches(
    response: CloudTrailResponse,
    event: TrailEvent,
    attributes: list[dict[str, str]],
    start: Any,
    end: Any,
) -> bool:
    if event.region != response.region or event.account_id != response.current_account:
        return False
    stamp = event.event_time.timestamp()
    if (start is not None and stamp < float(start)) or (end is not None and stamp > float(end)):
        return False
    return all(event.attribute(a["AttributeKey"]) == a["AttributeValue"] for a in attributes)


def install() -> None:
    """Record every request the server handles and answer LookupEvents (call once)."""
    original = BaseResponse.setup_class

    def setup_class(self: BaseResponse, request: Any, *args: Any, **kwargs: Any) -> None:
        original(self, request, *args, **kwargs)
        _record(self, request)

    patches: list[tuple[type, str, Any]] = [
        (BaseResponse, "setup_class", setup_class),
        (CloudTrailResponse, "lookup_events", _lookup_events),
    ]
    for cls, name, function in patches:
        setattr(cls, name, function)
