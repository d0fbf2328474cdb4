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


def read_table(clients: AwsClients, table: str, region: str) -> TableState:
    """Describe `table` in `region` (replica region → replica status)."""
    with aws_errors(f"table {table}", region):
        t = clients.client("dynamodb", region).describe_table(TableName=table)["Table"]
    replicas = {r["RegionName"]: r.get("ReplicaStatus", "") for r in t.get("Replicas", [])}
    return TableState(
        name=t["TableName"], region=region, status=t["TableStatus"], replicas=replicas
    )


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
        if replica.status != "ACTIVE":
            return f"replica table is {replica.status}"
        if not self.params.check_source:
            return ""
        source = read_table(self.clients, self.params.table, self.params.source_region)
        listed = source.replicas.get(
            self.params.target_region, "ACTIVE" if not source.replicas else "missing"
        )
        return (
            ""
            if listed == "ACTIVE"
            else f"source lists the {self.params.target_region} replica as {listed}"
        )

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
