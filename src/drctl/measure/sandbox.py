"""The failure instant a running `drctl sandbox up` knows: the start of its fault in force.

`drctl sandbox fail REGION|AZ` injects a failure outside any run, so a user can then run
`drctl run` by hand. The serving sandbox answers `GET {control_url}/faults` with the faults
in force, earliest first; a measured run against it (`DRCTL_SANDBOX_CONTROL_URL`, exported
by `drctl sandbox status --env`) takes the earliest one's start as the failure instant,
with source "sandbox", unless an injector or `--failure-at` says otherwise.
"""

from __future__ import annotations

from datetime import datetime

import httpx

from drctl.measure.injector import Injection


def sandbox_failure(control_url: str, timeout: float = 2.0) -> Injection | None:
    """The earliest fault in force in the sandbox at `control_url`; None if none or no answer."""
    try:
        response = httpx.get(f"{control_url.rstrip('/')}/faults", timeout=timeout)
        faults = response.json().get("faults", []) if response.status_code == 200 else []
        first = faults[0] if faults else None
        if first is None:
            return None
        at = datetime.fromisoformat(str(first["failed_at"]))
    except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no sandbox answering there: the first failed probe sample decides
    what = "region" if first.get("kind") == "region" else "availability zone"
    return Injection(
        at=at,
        detail=f"`drctl sandbox fail {first['target']}`: {what} {first['target']} failed",
        reference={"sandbox_fault": str(first["target"])},
    )
