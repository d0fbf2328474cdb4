"""DynamoDB global tables (version 2019.11.21) for the sandbox: moto stores none of it.

`install()` patches moto's DynamoDB so `UpdateTable` with `ReplicaUpdates` creates (or
deletes) the replica table in the other region and `DescribeTable` lists `Replicas` and
`GlobalTableVersion` as AWS does. `DescribeGlobalTable` (version 2017.11.29, which the
sandbox does not model) answers `GlobalTableNotFoundException`, as AWS does for a table
that is not a 2017.11.29 global table. `GlobalTable.sync()`, driven by the sandbox's
`Replicator` thread, copies item changes between replicas after a lag, last writer wins.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from moto.dynamodb.exceptions import (
    ERROR_TYPE_PREFIX,
    DynamodbException,
    MockValidationException,
    ResourceNotFoundException,
)
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler, DynamoResult

GROUP_ATTR = "_drctl_global_table"
VERSION = "2019.11.21"
_STREAMS = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}

Key = str  # the item's key attributes as canonical JSON
Image = str | None  # the item's attributes as canonical JSON; None once deleted


@dataclass
class _Change:
    origin: str
    key: Key
    image: Image
    attrs: dict[str, Any] | None
    written_at: float
    targets: set[str]


@dataclass
class GlobalTable:
    """One global table: its replicas, what each replica held last, and changes in flight."""

    name: str
    account_id: str
    status: dict[str, str] = field(default_factory=dict)  # region -> ReplicaStatus
    seen: dict[str, dict[Key, Image]] = field(default_factory=dict)
    written: dict[str, dict[Key, float]] = field(default_factory=dict)
    pending: list[_Change] = field(default_factory=list)
    created_at: dict[str, float] = field(default_factory=dict)

    def table(self, region: str) -> Table:
        table: Table = dynamodb_backends[self.account_id][region].get_table(self.name)
        return table

    def prune(self) -> bool:
        """Forget replicas whose table no longer exists; whether any replica is left."""
        for region in list(self.status):
            try:
                self.table(region)
            except ResourceNotFoundException:
                for state in (self.status, self.seen, self.written, self.created_at):
                    state.pop(region, None)
                for change in self.pending:
                    change.targets.discard(region)
        return bool(self.status)

    def sync(self, now: float, lag: float, isolated: frozenset[str]) -> None:
        """Detect local writes, then deliver changes older than `lag` between reachable regions."""
        for region in [r for r, s in self.status.items() if s == "ACTIVE"]:
            self._detect(region, now)
        for region in [r for r, s in self.status.items() if s == "CREATING"]:
            if now - self.created_at[region] >= lag and region not in isolated:
                self._seed(region, now)
        for change in [c for c in self.pending if now - c.written_at >= lag]:
            if change.origin in isolated:
                continue  # an isolated region replicates nothing out until it is resumed
            for region in sorted(change.targets - isolated):
                if self.status.get(region) == "ACTIVE":
                    self._deliver(change, region)
                change.targets.discard(region)
            if not change.targets:
                self.pending.remove(change)

    def _detect(self, region: str, now: float) -> None:
        current = _snapshot(self.table(region))
        before = self.seen.setdefault(region, {})
        for key in current.keys() | before.keys():
            image = current[key][0] if key in current else None
            if before.get(key) != image:
                attrs = current[key][1] if key in current else None
                targets = set(self.status) - {region}
                self.pending.append(_Change(region, key, image, attrs, now, targets))
                self.written.setdefault(region, {})[key] = now
        self.seen[region] = {k: v[0] for k, v in current.items()}

    def _seed(self, region: str, now: float) -> None:
        source = next(r for r, s in self.status.items() if s == "ACTIVE")
        for key, (image, attrs) in _snapshot(self.table(source)).items():
            self._deliver(_Change(source, key, image, attrs, now, {region}), region)
        self.status[region] = "ACTIVE"

    def _deliver(self, change: _Change, region: str) -> None:
        written = self.written.setdefault(region, {})
        if written.get(change.key, 0.0) > change.written_at:
            return  # the replica holds a newer write: last writer wins
        table = self.table(region)
        if change.attrs is None:
            key = json.loads(change.key)
            rng = DynamoType(key[1]) if key[1] is not None else None
            if table.get_item(DynamoType(key[0]), rng) is not None:
                table.delete_item(DynamoType(key[0]), rng)
        else:
            table.put_item(change.attrs, overwrite=True)
        written[change.key] = change.written_at
        self.seen.setdefault(region, {})[change.key] = change.image


def _snapshot(table: Table) -> dict[Key, tuple[str, dict[str, Any]]]:
    items: dict[Key, tuple[str, dict[str, Any]]] = {}
    for item in table.all_items():
        attrs: dict[str, Any] = item.to_json()["Attributes"]
        rng = item.range_key.to_json() if item.range_key is not None else None
        key = json.dumps([item.hash_key.to_json(), rng], sort_keys=True)
        items[key] = (json.dumps(attrs, sort_keys=True), attrs)
    return items


class Registry:
    """Every global table of the process (moto's backends are process-wide too)."""

    def __init__(self) -> None:
        self.tables: list[GlobalTable] = []
        self.lock = threading.RLock()

    def of(self, table: Table) -> GlobalTable | None:
        group: GlobalTable | None = getattr(table, GROUP_ATTR, None)
        return group


REGISTRY = Registry()


def _create_replica(handler: DynamoHandler, table: Table, region: str) -> None:
    group = REGISTRY.of(table)
    if region == table.region_name or (group is not None and region in group.status):
        raise MockValidationException(
            f"One or more parameter values were invalid: {region} is already a replica of {table.name}"
        )
    target = dynamodb_backends[handler.current_account][region]
    if table.name in target.tables:
        raise MockValidationException(
            f"Failed to create a the new replica of table with name: '{table.name}' because "
            "one or more replicas already existed as tables."
        )
    if group is None:
        group = GlobalTable(table.name, handler.current_account, {table.region_name: "ACTIVE"})
        group.seen[table.region_name] = {k: v[0] for k, v in _snapshot(table).items()}
        setattr(table, GROUP_ATTR, group)
        REGISTRY.tables.append(group)
    table.set_stream_specification(dict(_STREAMS))
    replica = target.create_table(
        table.name,
        schema=table.schema,
        throughput=None if table.billing_mode == "PAY_PER_REQUEST" else dict(table.throughput),
        attr=table.attr,
        global_indexes=[_index_spec(i.describe()) for i in table.global_indexes],
        indexes=[_index_spec(i.describe()) for i in table.indexes],
        streams=dict(_STREAMS),
        billing_mode=table.billing_mode or "PROVISIONED",
        sse_specification=table.sse_specification,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    setattr(replica, GROUP_ATTR, group)
    group.status[region] = "CREATING"
    group.created_at[region] = time.monotonic()


def _index_spec(described: dict[str, Any]) -> dict[str, Any]:
    keep = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
    return {k: v for k, v in described.items() if k in keep}


def _delete_replica(handler: DynamoHandler, table: Table, region: str) -> None:
    group = REGISTRY.of(table)
    if group is None or region not in group.status or region == table.region_name:
        raise MockValidationException(
            f"One or more parameter values were invalid: {region} is not a replica of {table.name}"
        )
    dynamodb_backends[handler.current_account][region].tables.pop(table.name, None)
    del group.status[region]


_original_update_table = DynamoHandler.update_table
_original_describe = Table.describe


def _update_table(self: DynamoHandler) -> Any:
    updates = self.body.get("ReplicaUpdates") or []
    table = self.dynamodb_backend.get_table(self.body["TableName"])
    others = set(self.body) - {"TableName", "ReplicaUpdates"}
    if others or not updates:
        _original_update_table(self)
    with REGISTRY.lock:
        for update in updates:
            if "Create" in update:
                _create_replica(self, table, update["Create"]["RegionName"])
            elif "Delete" in update:
                _delete_replica(self, table, update["Delete"]["RegionName"])
    return DynamoResult(table.describe())


def _describe(self: Table, base_key: str = "TableDescription") -> dict[str, Any]:
    result: dict[str, Any] = _original_describe(self, base_key)
    group = REGISTRY.of(self)
    if group is not None:
        result[base_key]["GlobalTableVersion"] = VERSION
        result[base_key]["Replicas"] = [
            {"RegionName": region, "ReplicaStatus": status}
            for region, status in group.status.items()
            if region != self.region_name
        ]
    return result


def _describe_global_table(self: DynamoHandler) -> Any:
    name = self.body.get("GlobalTableName", "")
    raise DynamodbException(
        ERROR_TYPE_PREFIX + "GlobalTableNotFoundException", f"Global table not found: {name}"
    )


def install() -> None:
    """Patch moto's DynamoDB handler and table description (idempotent)."""
    DynamoHandler.describe_global_table = _describe_global_table  # type: ignore[attr-defined]
    DynamoHandler.update_table = _update_table  # type: ignore[method-assign]
    Table.describe = _describe  # type: ignore[method-assign]
