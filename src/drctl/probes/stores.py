"""Canary stores: PostgreSQL table, DynamoDB table, S3 prefix. Each translates its SDK's errors."""

from __future__ import annotations

from typing import Any

import psycopg

from drctl.errors import ProviderError
from drctl.providers.aws.clients import aws_errors

CANARY_TABLE = "drctl_canary"


class PostgresStore:
    """Canary rows in a PostgreSQL table (created if missing)."""

    def __init__(self, name: str, dsn: str) -> None:
        self.name = name
        self.dsn = dsn
        self._conn: psycopg.Connection[Any] | None = None

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=2)
            self._conn.execute(
                f"CREATE TABLE IF NOT EXISTS {CANARY_TABLE} "
                "(run_id text, seq integer, written_at timestamptz, PRIMARY KEY (run_id, seq))"
            )
        return self._conn

    def write(self, run_id: str, seq: int, at_iso: str) -> None:
        try:
            self._connection().execute(
                f"INSERT INTO {CANARY_TABLE} VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (run_id, seq, at_iso),
            )
        except psycopg.Error as exc:
            self._conn = None
            raise ProviderError(
                f"canary write to {self.name} failed: {exc}".splitlines()[0], retryable=True
            ) from exc

    def surviving(self, run_id: str) -> set[int]:
        try:
            rows = self._connection().execute(
                f"SELECT seq FROM {CANARY_TABLE} WHERE run_id = %s", (run_id,)
            )
            return {int(r[0]) for r in rows}
        except psycopg.Error as exc:
            self._conn = None
            raise ProviderError(
                f"canary read from {self.name} failed: {exc}".splitlines()[0]
            ) from exc


class DynamoDbStore:
    """Canary items in a DynamoDB table, keyed under the table's own key schema."""

    def __init__(self, name: str, client: Any, table: str) -> None:
        self.name = name
        self.client = client
        self.table = table
        self._where = f"canary table {table}"
        self._keys: list[dict[str, str]] | None = None

    def _key(self, run_id: str, seq: int) -> dict[str, dict[str, str]]:
        if self._keys is None:
            with aws_errors(self._where, self.name):
                self._keys = self.client.describe_table(TableName=self.table)["Table"]["KeySchema"]
        key = {}
        for part in self._keys or []:
            value = (
                f"drctl-canary#{run_id}#{seq:09d}" if part["KeyType"] == "HASH" else "drctl-canary"
            )
            key[part["AttributeName"]] = {"S": value}
        return key

    def write(self, run_id: str, seq: int, at_iso: str) -> None:
        item = {**self._key(run_id, seq), "drctl_run": {"S": run_id}, "drctl_seq": {"N": str(seq)},
                "drctl_written_at": {"S": at_iso}}  # fmt: skip
        with aws_errors(self._where, self.name):
            self.client.put_item(TableName=self.table, Item=item)

    def surviving(self, run_id: str) -> set[int]:
        seqs: set[int] = set()
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": "drctl_run = :run",
            "ExpressionAttributeValues": {":run": {"S": run_id}},
            "ConsistentRead": True,
        }
        with aws_errors(self._where, self.name):
            while True:
                page = self.client.scan(**kwargs)
                seqs.update(int(item["drctl_seq"]["N"]) for item in page.get("Items", []))
                if "LastEvaluatedKey" not in page:
                    return seqs
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class S3Store:
    """Canary objects under a prefix of an S3 bucket."""

    def __init__(self, name: str, client: Any, bucket: str, prefix: str = "drctl-canary/") -> None:
        self.name = name
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self._where = f"canary bucket {bucket}"

    def write(self, run_id: str, seq: int, at_iso: str) -> None:
        with aws_errors(self._where, self.name):
            self.client.put_object(
                Bucket=self.bucket, Key=f"{self.prefix}{run_id}/{seq:09d}", Body=at_iso.encode()
            )

    def surviving(self, run_id: str) -> set[int]:
        seqs: set[int] = set()
        paginator = self.client.get_paginator("list_objects_v2")
        with aws_errors(self._where, self.name):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self.prefix}{run_id}/"):
                seqs.update(int(obj["Key"].rsplit("/", 1)[1]) for obj in page.get("Contents", []))
        return seqs
