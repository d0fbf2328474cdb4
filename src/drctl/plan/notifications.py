"""The plan's `notifications:` section: webhooks told of pending approvals, failed runs and
overdue drills of this plan, as generic JSON or in Slack's format.

A webhook URL is often a secret (Slack's is): write it as `${NAME}` and export NAME; the
dashboard expands it when it starts and never logs it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from drctl.model import Strict

NoticeEvent = Literal["approval.requested", "run.failed", "drill.overdue"]
ALL_EVENTS: list[NoticeEvent] = ["approval.requested", "run.failed", "drill.overdue"]


class Webhook(Strict):
    """One receiver of this plan's notices."""

    url: str = Field(
        min_length=1,
        description="http(s) URL; `${VAR}` is expanded from the environment when `drctl serve` starts",
    )
    format: Literal["generic", "slack"] = Field(
        default="generic", description="`generic`: the notice as JSON; `slack`: an incoming webhook"
    )
    events: list[NoticeEvent] = Field(
        default_factory=lambda: list(ALL_EVENTS), min_length=1, description="what it is told"
    )


class Notifications(Strict):
    """Where the dashboard sends this plan's notices (beside DRCTL_NOTIFY_* settings)."""

    webhooks: list[Webhook] = []
