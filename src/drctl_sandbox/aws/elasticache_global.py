"""ElastiCache Global Datastore, which moto 5.2.5 lacks: create, describe, fail over.

Follows the ElastiCache API reference: `CreateGlobalReplicationGroup` prefixes the
suffix with a region-specific id prefix and makes the source replication group the
PRIMARY member; `CreateReplicationGroup` with `GlobalReplicationGroupId` joins as a
SECONDARY (moto records the role, this module the membership);
`DescribeGlobalReplicationGroups` lists members only with `ShowMemberInfo`;
`FailoverGlobalReplicationGroup` makes the named member PRIMARY and every other one
SECONDARY, and is refused with `InvalidGlobalReplicationGroupState` unless the datastore
is `available`. Changes are instant here (see docs/sandbox.md).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.core.responses import ActionResult
from moto.elasticache.exceptions import ElastiCacheException, InvalidParameterValueException
from moto.elasticache.models import ElastiCacheBackend, ReplicationGroup, elasticache_backends
from moto.elasticache.responses import ElastiCacheResponse

_lock = threading.RLock()


class GlobalReplicationGroupNotFound(ElastiCacheException):
    code = "GlobalReplicationGroupNotFoundFault"

    def __init__(self, identifier: str) -> None:
        super().__init__(f"Global datastore {identifier} not found.")


class InvalidGlobalReplicationGroupState(ElastiCacheException):
    code = "InvalidGlobalReplicationGroupState"


@dataclass
class Member:
    """A replication group of a datastore, by region."""

    replication_group: str
    region: str
    role: str


@dataclass
class Datastore:
    """One global datastore of an account."""

    identifier: str
    description: str
    status: str = "available"
    members: list[Member] = field(default_factory=list)

    def shape(self, account: str, with_members: bool) -> dict[str, Any]:
        """The `GlobalReplicationGroup` shape of the API."""
        primary = next((m for m in self.members if m.role == "PRIMARY"), None)
        group = _replication_group(account, primary) if primary else None
        shape: dict[str, Any] = {
            "GlobalReplicationGroupId": self.identifier,
            "GlobalReplicationGroupDescription": self.description,
            "Status": self.status,
            "CacheNodeType": group.cache_node_type if group else "",
            "Engine": group.engine if group else "redis",
            "EngineVersion": group.engine_version if group else "",
            "ClusterEnabled": False,
            "ARN": f"arn:aws:elasticache::{account}:globalreplicationgroup:{self.identifier}",
        }
        if with_members:
            shape["Members"] = [
                {
                    "ReplicationGroupId": m.replication_group,
                    "ReplicationGroupRegion": m.region,
                    "Role": m.role,
                    "AutomaticFailover": "enabled",
                    "Status": "associated",
                }
                for m in self.members
            ]
        return shape


_datastores: dict[str, dict[str, Datastore]] = {}  # account -> id -> datastore
_installed = False


def install() -> None:
    """Add the Global Datastore actions to moto's ElastiCache (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    ElastiCacheResponse.create_global_replication_group = _create  # type: ignore[attr-defined]
    ElastiCacheResponse.describe_global_replication_groups = _describe  # type: ignore[attr-defined]
    ElastiCacheResponse.failover_global_replication_group = _failover  # type: ignore[attr-defined]
    ElastiCacheBackend.create_replication_group = _joining(  # type: ignore[method-assign]
        ElastiCacheBackend.create_replication_group
    )


def reset() -> None:
    """Forget every datastore (a new sandbox server starts empty)."""
    with _lock:
        _datastores.clear()


# The id prefix AWS applies per region ("Using global datastores (CLI)", ElastiCache guide).
PREFIXES = {
    "us-east-1": "ldgnf",
    "us-east-2": "fpkhr",
    "us-west-1": "virxk",
    "us-west-2": "sgaui",
    "ca-central-1": "bxodz",
    "ap-south-1": "erpgt",
    "ap-northeast-1": "quwsw",
    "ap-northeast-2": "lfqnh",
    "ap-northeast-3": "nlapn",
    "ap-southeast-1": "vlqxn",
    "ap-southeast-2": "vbgxd",
    "eu-central-1": "iudkw",
    "eu-west-1": "gxeiz",
    "eu-west-2": "okuqm",
    "eu-west-3": "fgjhi",
    "sa-east-1": "juxlw",
    "ap-east-1": "knjmp",
}


def region_prefix(region: str) -> str:
    """AWS's id prefix for `region`; for a region the guide does not list, a stable stand-in."""
    if region in PREFIXES:
        return PREFIXES[region]
    digest = hashlib.sha256(region.encode()).digest()
    return "".join(chr(ord("a") + b % 26) for b in digest[:5])


def _replication_group(account: str, member: Member) -> ReplicationGroup | None:
    group: ReplicationGroup | None = elasticache_backends[account][
        member.region
    ].replication_groups.get(member.replication_group)
    return group


def _account(response: ElastiCacheResponse) -> dict[str, Datastore]:
    return _datastores.setdefault(response.current_account, {})


def _find(response: ElastiCacheResponse, identifier: str) -> Datastore:
    found = _account(response).get(identifier)
    if found is None:
        raise GlobalReplicationGroupNotFound(identifier)
    return found


def _create(self: ElastiCacheResponse) -> ActionResult:
    suffix = self._get_param("GlobalReplicationGroupIdSuffix")
    source_id = self._get_param("PrimaryReplicationGroupId")
    group = self.elasticache_backend.replication_groups.get(source_id)
    if group is None:
        raise InvalidParameterValueException(f"Replication group {source_id} not found.")
    if group.global_replication_group_id:
        raise InvalidParameterValueException(
            f"Replication group {source_id} is already a member of a global datastore."
        )
    identifier = f"{region_prefix(self.region)}-{suffix}"
    with _lock:
        if identifier in _account(self):
            raise InvalidParameterValueException(f"Global datastore {identifier} already exists.")
        datastore = Datastore(
            identifier,
            self._get_param("GlobalReplicationGroupDescription", ""),
            members=[Member(source_id, self.region, "PRIMARY")],
        )
        _account(self)[identifier] = datastore
        group.global_replication_group_id = identifier
        group.global_replication_group_member_role = "PRIMARY"
        shape = datastore.shape(self.current_account, with_members=True)
    return ActionResult({"GlobalReplicationGroup": shape})


def _describe(self: ElastiCacheResponse) -> ActionResult:
    identifier = self._get_param("GlobalReplicationGroupId")
    with_members = self._get_bool_param("ShowMemberInfo", False)
    with _lock:
        found = [_find(self, identifier)] if identifier else list(_account(self).values())
        shapes = [d.shape(self.current_account, with_members) for d in found]
    return ActionResult({"GlobalReplicationGroups": shapes})


def _failover(self: ElastiCacheResponse) -> ActionResult:
    identifier = self._get_param("GlobalReplicationGroupId")
    region = self._get_param("PrimaryRegion")
    target_id = self._get_param("PrimaryReplicationGroupId")
    with _lock:
        datastore = _find(self, identifier)
        if datastore.status != "available":
            raise InvalidGlobalReplicationGroupState(
                f"Global datastore {identifier} is {datastore.status}."
            )
        target = next(
            (
                m
                for m in datastore.members
                if (m.replication_group, m.region) == (target_id, region)
            ),
            None,
        )
        if target is None:
            raise InvalidParameterValueException(
                f"Replication group {target_id} in {region} is not a member of {identifier}."
            )
        if target.role == "PRIMARY":
            raise InvalidParameterValueException(
                f"Replication group {target_id} is already the primary of {identifier}."
            )
        for member in datastore.members:
            member.role = "PRIMARY" if member is target else "SECONDARY"
            group = _replication_group(self.current_account, member)
            if group is not None:
                group.global_replication_group_member_role = member.role
        shape = datastore.shape(self.current_account, with_members=True)
    return ActionResult({"GlobalReplicationGroup": shape})


def _joining(
    create: Callable[..., ReplicationGroup],
) -> Callable[..., ReplicationGroup]:
    """`CreateReplicationGroup` with `GlobalReplicationGroupId` joins that datastore."""

    def create_replication_group(self: ElastiCacheBackend, **kwargs: Any) -> ReplicationGroup:
        identifier = kwargs.get("global_replication_group_id")
        if not identifier:
            return create(self, **kwargs)
        with _lock:
            datastore = _datastores.get(self.account_id, {}).get(identifier)
            if datastore is None:
                raise GlobalReplicationGroupNotFound(identifier)
            if any(m.region == self.region_name for m in datastore.members):
                raise InvalidParameterValueException(
                    f"Global datastore {identifier} already has a member in {self.region_name}."
                )
            group = create(self, **kwargs)
            datastore.members.append(
                Member(group.replication_group_id, self.region_name, "SECONDARY")
            )
        return group

    return create_replication_group
