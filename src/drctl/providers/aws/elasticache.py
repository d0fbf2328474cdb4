"""ElastiCache Global Datastore: readiness of the DR member, failover of the primary role to a region.

`FailoverGlobalReplicationGroup` makes the named secondary the primary and every other
member a secondary (ElastiCache API reference); it is refused with
`InvalidGlobalReplicationGroupState` while the datastore is not `available` (for instance
during another failover). A failover in progress therefore counts as requested.
"""

from __future__ import annotations

from typing import Literal

from drctl.errors import NotFoundError, StateError
from drctl.model import Frozen
from drctl.providers.aws._action import AwsAction, dump
from drctl.providers.aws.clients import AwsClients, aws_errors
from drctl.providers.base import Outcome, Output, Params

Role = Literal["PRIMARY", "SECONDARY"]


HINT = "list members with `aws elasticache describe-global-replication-groups --show-member-info`"


class DatastoreMember(Frozen):
    """One replication group of a global datastore."""

    replication_group: str
    region: str
    role: str
    status: str


class GlobalDatastore(Frozen):
    """A global datastore as `DescribeGlobalReplicationGroups` reports it."""

    identifier: str
    status: str
    members: tuple[DatastoreMember, ...]

    def member(self, replication_group: str) -> DatastoreMember | None:
        """The member replication group with this id, if any."""
        return next((m for m in self.members if m.replication_group == replication_group), None)

    @property
    def primary(self) -> DatastoreMember | None:
        """The member that takes writes, if any."""
        return next((m for m in self.members if m.role == "PRIMARY"), None)


def read_global_datastore(clients: AwsClients, datastore: str, region: str) -> GlobalDatastore:
    """Describe a global datastore and its members through `region`'s endpoint."""
    with aws_errors(f"global datastore {datastore}", region):
        found = clients.client("elasticache", region).describe_global_replication_groups(
            GlobalReplicationGroupId=datastore, ShowMemberInfo=True
        )["GlobalReplicationGroups"]
    if not found:
        raise NotFoundError(
            f"global datastore {datastore} does not exist",
            hint=HINT,
            where=f"global datastore {datastore} in {region}",
            code="GlobalReplicationGroupNotFoundFault",
        )
    g = found[0]
    members = tuple(
        DatastoreMember(
            replication_group=m["ReplicationGroupId"],
            region=m["ReplicationGroupRegion"],
            role=m.get("Role", ""),
            status=m.get("Status", ""),
        )
        for m in g.get("Members", [])
    )
    return GlobalDatastore(
        identifier=g["GlobalReplicationGroupId"], status=g["Status"], members=members
    )


def member_problem(ds: GlobalDatastore, replication_group: str, role: Role) -> str:
    """What keeps `replication_group` from being an associated member in `role` ('' if nothing)."""
    member = ds.member(replication_group)
    if member is None:
        return f"{replication_group} is not a member of global datastore {ds.identifier}"
    if member.role != role:
        return f"{replication_group} is {member.role or 'without a role'}, not {role}"
    if member.status != "associated":
        return f"{replication_group} is {member.status}, not associated"
    return ""


class MemberParams(Params):
    """Which member of which global datastore, asked through which region."""

    global_datastore: str
    region: str
    replication_group: str


class VerifyMemberParams(MemberParams):
    """The role the member must have and be associated in."""

    role: Role = "SECONDARY"


class VerifyMember(AwsAction[VerifyMemberParams]):
    """Read-only: the replication group is an associated member of the datastore in `role`."""

    kind = "aws.elasticache.verify-member"
    Params = VerifyMemberParams

    def describe(self) -> str:
        p = self.params
        return (
            f"check {p.replication_group} is the {p.role} of global datastore {p.global_datastore}"
        )

    def _read(self) -> GlobalDatastore:
        p = self.params
        return read_global_datastore(self.clients, p.global_datastore, p.region)

    def current(self) -> Output:
        return dump(self._read())

    def apply(self) -> Outcome:
        return Outcome(changed=False, detail="read-only")

    def verify(self, deadline: float) -> Output:
        p = self.params
        ds = self.wait(
            self._read,
            lambda d: member_problem(d, p.replication_group, p.role),
            deadline,
            f"global datastore {p.global_datastore} in {p.region}",
        )
        return dump(ds)


class FailoverDatastore(AwsAction[MemberParams]):
    """Make `replication_group` (in `region`) the primary of its global datastore."""

    kind = "aws.elasticache.failover-global"
    events = frozenset({"FailoverGlobalReplicationGroup"})
    Params = MemberParams

    def describe(self) -> str:
        p = self.params
        return f"fail over global datastore {p.global_datastore} to {p.replication_group} in {p.region}"

    def _read(self) -> GlobalDatastore:
        p = self.params
        return read_global_datastore(self.clients, p.global_datastore, p.region)

    def current(self) -> Output:
        return dump(self._read())

    def apply(self) -> Outcome:
        p, ds = self.params, self._read()
        member = ds.member(p.replication_group)
        if member is None:
            raise StateError(
                f"{p.replication_group} is not a member of global datastore {p.global_datastore}",
                hint=HINT,
                where=f"global datastore {p.global_datastore} in {p.region}",
                code="NotAGlobalMember",
            )
        if member.role == "PRIMARY":
            return Outcome(changed=False, detail=f"{p.replication_group} is already the primary")
        if ds.status == "modifying":  # a failover requested before a crash is still running
            return Outcome(changed=False, detail=f"{ds.identifier} is already failing over")
        with aws_errors(f"global datastore {p.global_datastore}", p.region):
            self.client("elasticache", p.region).failover_global_replication_group(
                GlobalReplicationGroupId=p.global_datastore,
                PrimaryRegion=p.region,
                PrimaryReplicationGroupId=p.replication_group,
            )
        return Outcome(changed=True, detail=f"failover to {p.replication_group} requested")

    def verify(self, deadline: float) -> Output:
        p = self.params

        def problem(ds: GlobalDatastore) -> str:
            # Only the new primary matters: the old one may be in a region that is down.
            member = ds.member(p.replication_group)
            if member is None or member.role != "PRIMARY":
                return f"{p.replication_group} is not the primary yet"
            return "" if ds.status != "modifying" else f"{ds.identifier} is still modifying"

        ds = self.wait(self._read, problem, deadline, f"global datastore {p.global_datastore}")
        return {"primary": p.replication_group, "region": p.region, "status": ds.status}
