"""Regional API outage: while a region is failed, every AWS API call scoped to it fails.

Two ways, chosen per failure, as a real outage shows either: `unavailable` answers HTTP 503
`ServiceUnavailable` at once; `hang` holds the request without answering (the client's
timeout, not the sandbox, ends it, as with an endpoint that accepts nothing), up to
`HANG_LIMIT` wall seconds or until the region is unblocked, then answers 503.

A real region failure takes the region's endpoints with it. Blocking them in the sandbox
proves what DESIGN.md demands of a region-failure runbook: it must work entirely from
the surviving side. Global services (Route 53, IAM, STS, Organizations, CloudFront) are
never blocked, even when the failed region is us-east-1, where their control planes live.
"""

from __future__ import annotations

import threading
from typing import Any, Literal
from xml.sax.saxutils import escape

from moto.core.exceptions import JsonRESTError
from moto.core.responses import BaseResponse

GLOBAL_SERVICES = frozenset({"route53", "iam", "sts", "organizations", "cloudfront"})
OutageMode = Literal["unavailable", "hang"]
HANG_LIMIT = 120.0
_blocked: dict[str, OutageMode] = {}
_lock = threading.Lock()
_changed = threading.Condition(_lock)
_installed = False


class RegionUnavailable(JsonRESTError):
    """The AWS error shape of an unavailable regional endpoint (HTTP 503)."""

    code = 503
    include_type_sender = False

    def __init__(self, region: str) -> None:
        super().__init__(
            "ServiceUnavailable", f"Service is unavailable in {region} (sandbox region outage)"
        )


def _xml_body(message: str) -> str:
    """The XML error body query/REST-XML services (S3, EC2, RDS, ...) answer with."""
    return (
        "<ErrorResponse><Error><Code>ServiceUnavailable</Code>"
        f"<Message>{escape(message)}</Message></Error></ErrorResponse>"
    )


def block(region: str, mode: OutageMode = "unavailable") -> None:
    """Fail every API call in `region`: a 503 at once (`unavailable`) or no answer (`hang`)."""
    with _changed:
        _blocked[region] = mode
        _changed.notify_all()


def unblock(region: str) -> None:
    """Serve `region` again (held requests are answered 503: their connection is gone)."""
    with _changed:
        _blocked.pop(region, None)
        _changed.notify_all()


def blocked() -> frozenset[str]:
    """Regions currently out."""
    with _lock:
        return frozenset(_blocked)


def _hold(region: str) -> None:
    """Keep a request to a hanging region unanswered until the limit or the region is back."""
    with _changed:
        _changed.wait_for(lambda: _blocked.get(region) != "hang", timeout=HANG_LIMIT)


def install() -> None:
    """Check every request's region before moto handles it (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    original = BaseResponse.setup_class

    def setup_class(self: BaseResponse, request: Any, *args: Any, **kwargs: Any) -> None:
        original(self, request, *args, **kwargs)
        region = getattr(self, "region", "")
        if region in blocked() and self.service_name not in GLOBAL_SERVICES:
            with _lock:
                mode = _blocked.get(region)
            if mode == "hang":
                _hold(region)
            error = RegionUnavailable(region)
            if "json" not in str(request.headers.get("Content-Type", "")):
                error.content_type = "application/xml"
                error.description = _xml_body(error.message)
            raise error

    BaseResponse.setup_class = setup_class  # type: ignore[method-assign]
