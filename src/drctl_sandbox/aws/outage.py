"""Regional API outage: while a region is failed, every AWS API call scoped to it answers 503.

A real region failure takes the region's endpoints with it. Blocking them in the sandbox
proves what DESIGN.md demands of a region-failure runbook: it must work entirely from
the surviving side. Global services (Route 53, IAM, STS, Organizations, CloudFront) are
never blocked, even when the failed region is us-east-1, where their control planes live.
"""

from __future__ import annotations

import threading
from typing import Any
from xml.sax.saxutils import escape

from moto.core.exceptions import JsonRESTError
from moto.core.responses import BaseResponse

GLOBAL_SERVICES = frozenset({"route53", "iam", "sts", "organizations", "cloudfront"})
_blocked: set[str] = set()
_lock = threading.Lock()
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


def block(region: str) -> None:
    """Start answering 503 to every API call in `region`."""
    with _lock:
        _blocked.add(region)


def unblock(region: str) -> None:
    """Serve `region` again."""
    with _lock:
        _blocked.discard(region)


def blocked() -> frozenset[str]:
    """Regions currently out."""
    with _lock:
        return frozenset(_blocked)


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
            error = RegionUnavailable(region)
            if "json" not in str(request.headers.get("Content-Type", "")):
                error.content_type = "application/xml"
                error.description = _xml_body(error.message)
            raise error

    BaseResponse.setup_class = setup_class  # type: ignore[method-assign]
