"""DynamoDB global tables: the replica is ACTIVE in the target region; a canary item crosses regions."""

from __future__ import annotations

from drctl.errors import NotFoundError
from drctl.model import Frozen
from drctl.providers.aws._action import AwsAction, dump
from drctl.providers.aws.clients import AwsClients, aws_errors
from drctl.providers.base import Outcome, Output, Params


class TableState(Frozen):
    """A table in one region and the replicas its global-table description lists."""

    name: str
    region: str
    status: str
    replicas: dict[str, str]
    global_table_version: str | None = None


def read_table(clients: AwsClients, table: str, region: str) -> TableState:
    """Describe `table` in `region` (replica region → replica status)."""
    with aws_errors(f"table {table}", region):
        t = clients.client("dynamodb", region).describe_table(TableName=table)["Table"]
    replicas = {r["RegionName"]: r.get("ReplicaStatus", "") for r in t.get("Replicas", [])}
    return TableState(
        name=t["TableName"],
        region=region,
        status=t["TableStatus"],
        replicas=replicas,
        global_table_version=t.get("GlobalTableVersion"),
    )


def global_replicas(clients: AwsClients, table: TableState) -> dict[str, str]:
    """Region → replica status of the global table `table` belongs to; {} when it is not global.

    Version 2019.11.21 lists replicas in DescribeTable; version 2017.11.29 only in
    DescribeGlobalTable, whose replicas share the global table's status.
    """
    if table.global_table_version == "2019.11.21":
        return dict(table.replicas)
    try:
        with aws_errors(f"global table {table.name}", table.region):
            found = clients.client("dynamodb", table.region).describe_global_table(
                GlobalTableName=table.name
            )["GlobalTableDescription"]
    except NotFoundError:
        return {}
    status = found.get("GlobalTableStatus", "")
    return {r["RegionName"]: status for r in found.get("ReplicationGroup", [])}


class ReplicaParams(Params):
    """A global table and the region whose replica must be ACTIVE."""

    table: str
    source_region: str
    target_region: str
    check_source: bool = True  # False in a region failure: the source region may be unreachable


class VerifyReplica(AwsAction[ReplicaParams]):
    """Read-only: the global table's replica is ACTIVE in the target region."""

    kind = "aws.dynamodb.verify-replica"
    Params = ReplicaParams

    def describe(self) -> str:
        p = self.params
        return f"verify table {p.table} has an ACTIVE replica in {p.target_region} (source {p.source_region})"

    def current(self) -> Output:
        p = self.params
        region = p.source_region if p.check_source else p.target_region
        return {
            "source" if p.check_source else "replica": dump(
                read_table(self.clients, p.table, region)
            )
        }

    def apply(self) -> Outcome:
        return Outcome(changed=False, detail="read-only")

    def _problem(self, replica: TableState) -> str:
        p = self.params
        if replica.status != "ACTIVE":
            return f"replica table is {replica.status}"
        # A same-named table in each region is not a global table: require the replica listing.
        side = read_table(self.clients, p.table, p.source_region) if p.check_source else replica
        listed = global_replicas(self.clients, side)
        if not listed:
            return f"table {p.table} in {side.region} is not a global table (no replicas listed)"
        other = p.target_region if p.check_source else p.source_region
        status = listed.get(other, "missing")
        return "" if status == "ACTIVE" else f"{side.region} lists the {other} replica as {status}"

    def verify(self, deadline: float) -> Output:
        p = self.params
        where = f"table {p.table} in {p.target_region}"
        replica = self.wait(
            lambda: read_table(self.clients, p.table, p.target_region),
            self._problem,
            deadline,
            where,
        )
        return {"replica": dump(replica)}


class DynamoDbCanaryParams(Params):
    """Where to write the canary item and where it must become readable."""

    table: str
    write_region: str
    read_region: str
    key_attribute: str = "pk"


class DynamoDbCanary(AwsAction[DynamoDbCanaryParams]):
    """Write a canary item in one region and read it back in another before the deadline."""

    kind = "aws.dynamodb.canary"
    Params = DynamoDbCanaryParams

    @property
    def key(self) -> dict[str, dict[str, str]]:
        """The canary's primary key: one item per run step."""
        return {
            self.params.key_attribute: {"S": f"drctl-canary#{self.ctx.run_id}#{self.ctx.step_id}"}
        }

    def describe(self) -> str:
        p = self.params
        return f"write a canary item to {p.table} in {p.write_region}, read it in {p.read_region}"

    def _get(self, region: str) -> dict[str, dict[str, str]] | None:
        with aws_errors(f"table {self.params.table}", region):
            item = (
                self.client("dynamodb", region)
                .get_item(TableName=self.params.table, Key=self.key)
                .get("Item")
            )
        return dict(item) if item else None

    def current(self) -> Output:
        return {"written": self._get(self.params.write_region) is not None}

    def apply(self) -> Outcome:
        p = self.params
        if self._get(p.write_region) is not None:
            return Outcome(changed=False, detail="canary item already written")
        item = {**self.key, "written_at": {"S": self.ctx.clock.now().isoformat()}}
        with aws_errors(f"table {p.table}", p.write_region):
            self.client("dynamodb", p.write_region).put_item(TableName=p.table, Item=item)
        return Outcome(changed=True, detail=f"canary {self.key[p.key_attribute]['S']} written")

    def verify(self, deadline: float) -> Output:
        p = self.params
        written = self._get(p.write_region)
        if written is None:
            raise NotFoundError(
                "the canary item was never written",
                hint="run the step again",
                where=f"table {p.table} in {p.write_region}",
                code="CanaryMissing",
            )

        def problem(item: dict[str, dict[str, str]] | None) -> str:
            return "" if item is not None else "canary item not replicated yet"

        self.wait(
            lambda: self._get(p.read_region),
            problem,
            deadline,
            f"table {p.table} in {p.read_region}",
        )
        return {"key": self.key[p.key_attribute]["S"], "written_at": written["written_at"]["S"]}
