"""EFS replication: the configuration to the DR region exists; promote the replica by deleting it.

`DeleteReplicationConfiguration` deletes both sides by default (`ALL_CONFIGURATIONS`), which
fails when the source region is down; `LOCAL_CONFIGURATION_ONLY` deletes only the caller's side
and is meant for exactly that case. Deletion can take several minutes (EFS API reference,
DeleteReplicationConfiguration), so the promote step's timeout allows for it.
"""

from __future__ import annotations

from typing import Literal

from drctl.errors import NotFoundError, ProviderError
from drctl.model import Frozen
from drctl.providers.aws._action import AwsAction, dump
from drctl.providers.aws.clients import AwsClients, aws_errors
from drctl.providers.aws.ebs_efs import read_file_system
from drctl.providers.base import Outcome, Output, Params


class EfsReplication(Frozen):
    """One replication configuration: source file system and its destinations (region → id, status)."""

    source_file_system: str
    source_region: str
    destinations: dict[str, tuple[str, str]]


def read_efs_replication(
    clients: AwsClients, file_system: str, region: str
) -> EfsReplication | None:
    """The replication configuration `file_system` (source or destination) takes part in, if any."""
    try:
        with aws_errors(f"EFS file system {file_system}", region):
            found = clients.client("efs", region).describe_replication_configurations(
                FileSystemId=file_system
            )
    except NotFoundError as err:
        if err.code == "ReplicationNotFound":
            return None
        raise
    if not found["Replications"]:
        return None
    r = found["Replications"][0]
    return EfsReplication(
        source_file_system=r["SourceFileSystemId"],
        source_region=r["SourceFileSystemRegion"],
        destinations={d["Region"]: (d["FileSystemId"], d["Status"]) for d in r["Destinations"]},
    )


class VerifyParams(Params):
    """The source file system and the DR region it must replicate to."""

    region: str
    file_system: str
    target_region: str


class VerifyReplication(AwsAction[VerifyParams]):
    """Read-only: the file system replicates to the DR region (destination ENABLED)."""

    kind = "aws.efs.verify-replication"
    Params = VerifyParams

    def describe(self) -> str:
        p = self.params
        return f"verify EFS {p.file_system} in {p.region} replicates to {p.target_region}"

    def _read(self) -> EfsReplication | None:
        return read_efs_replication(self.clients, self._id(), self.params.region)

    def _id(self) -> str:
        return read_file_system(self.clients, self.params.file_system, self.params.region).id

    def current(self) -> Output:
        state = self._read()
        return {"replication": dump(state) if state else None}

    def apply(self) -> Outcome:
        return Outcome(changed=False, detail="read-only")

    def verify(self, deadline: float) -> Output:
        target = self.params.target_region

        def problem(state: EfsReplication | None) -> str:
            if state is None or target not in state.destinations:
                return f"no replication to {target}"
            status = state.destinations[target][1]
            return "" if status == "ENABLED" else f"replication to {target} is {status}"

        state = self.wait(
            self._read,
            problem,
            deadline,
            f"EFS file system {self.params.file_system} in {self.params.region}",
        )
        assert state is not None  # problem() guarantees it
        return {"destination_file_system": state.destinations[target][0]}


DeletionMode = Literal["auto", "ALL_CONFIGURATIONS", "LOCAL_CONFIGURATION_ONLY"]


class PromoteParams(Params):
    """The replica file system in the DR region to make writable; `auto` deletes both sides of
    the replication when the source region answers, else only the local side."""

    region: str
    file_system: str
    deletion_mode: DeletionMode = "auto"


class PromoteReplica(AwsAction[PromoteParams]):
    """`delete_replication_configuration` from the DR region: the destination file system becomes writable."""

    kind = "aws.efs.promote-replica"
    events = frozenset({"DeleteReplicationConfiguration"})
    Params = PromoteParams

    def describe(self) -> str:
        return f"stop EFS replication into {self.params.file_system} in {self.params.region} so it becomes writable"

    def _read(self) -> EfsReplication | None:
        file_system = read_file_system(self.clients, self.params.file_system, self.params.region)
        return read_efs_replication(self.clients, file_system.id, self.params.region)

    def current(self) -> Output:
        state = self._read()
        return {"replication": dump(state) if state else None}

    def apply(self) -> Outcome:
        p, state = self.params, self._read()  # _read fails with NotFoundError if it does not exist
        if state is None:
            return Outcome(
                changed=False, detail=f"{p.file_system} is not replicated into (already writable)"
            )
        if any(status == "DELETING" for _, status in state.destinations.values()):
            # After a crash mid-step: the deletion requested before is still running (it takes
            # minutes); a second DeleteReplicationConfiguration would be refused. Go to verify.
            return Outcome(
                changed=False,
                detail=f"deletion of the replication from {state.source_file_system} in progress",
            )
        mode = self._deletion_mode(state)
        with aws_errors(f"EFS file system {p.file_system}", p.region):
            self.client("efs", p.region).delete_replication_configuration(
                SourceFileSystemId=state.source_file_system, DeletionMode=mode
            )
        return Outcome(
            changed=True,
            detail=f"replication from {state.source_file_system} ({state.source_region}) deleted",
            output={"deletion_mode": mode},
        )

    def _deletion_mode(self, state: EfsReplication) -> str:
        if self.params.deletion_mode != "auto":
            return self.params.deletion_mode
        if state.source_region == self.params.region:
            return "ALL_CONFIGURATIONS"  # same-Region replication: LOCAL is a BadRequest
        try:
            read_efs_replication(
                self.clients.for_probing(), state.source_file_system, state.source_region
            )
        except ProviderError as err:
            if not err.retryable:
                raise
            self.ctx.log(f"{state.source_region} does not answer ({err.code}): local side only")
            return "LOCAL_CONFIGURATION_ONLY"
        return "ALL_CONFIGURATIONS"

    def verify(self, deadline: float) -> Output:
        self.wait(
            self._read,
            lambda s: "" if s is None else "replication configuration still present",
            deadline,
            f"EFS file system {self.params.file_system} in {self.params.region}",
        )
        return {"file_system": self.params.file_system, "writable": True}
