"""Step markers: an RDS tag saying "run R step S did this", for actions whose effect cannot be read back.

A failover or reboot leaves no state that says it happened. The tag is written right after
the call, so a crash in between repeats the call once (safe: another failover), never skips it.
"""

from __future__ import annotations

from drctl.providers.aws.clients import AwsClients, aws_errors
from drctl.providers.base import ActionContext

MARKER_KEY = "drctl:last-step"


def marker_value(ctx: ActionContext) -> str:
    """The marker that identifies this run step."""
    return f"{ctx.run_id}/{ctx.step_id}"


def has_marker(clients: AwsClients, ctx: ActionContext, arn: str, region: str) -> bool:
    """Whether the RDS resource carries this run step's marker."""
    with aws_errors(arn, region):
        tags = clients.client("rds", region).list_tags_for_resource(ResourceName=arn)["TagList"]
    return any(t["Key"] == MARKER_KEY and t["Value"] == marker_value(ctx) for t in tags)


def put_marker(clients: AwsClients, ctx: ActionContext, arn: str, region: str) -> None:
    """Tag the RDS resource with this run step's marker."""
    with aws_errors(arn, region):
        clients.client("rds", region).add_tags_to_resource(
            ResourceName=arn, Tags=[{"Key": MARKER_KEY, "Value": marker_value(ctx)}]
        )
