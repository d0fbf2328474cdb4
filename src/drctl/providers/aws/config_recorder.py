"""AWS Config: whether the configuration recorder of a region is recording (read-only)."""

from __future__ import annotations

from drctl.model import Frozen
from drctl.providers.aws.clients import AwsClients, aws_errors


class RecorderStatus(Frozen):
    """One configuration recorder's status in a region."""

    name: str
    region: str
    recording: bool
    last_status: str


def read_recorder_status(clients: AwsClients, region: str) -> list[RecorderStatus]:
    """Every configuration recorder of `region` and whether it records (none → empty list)."""
    with aws_errors("AWS Config recorder", region):
        found = clients.client("config", region).describe_configuration_recorder_status()[
            "ConfigurationRecordersStatus"
        ]
    return [
        RecorderStatus(
            name=r["name"],
            region=region,
            recording=bool(r.get("recording")),
            last_status=r.get("lastStatus", ""),
        )
        for r in found
    ]
