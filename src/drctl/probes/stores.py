"""Canary stores: PostgreSQL/MySQL table, DynamoDB table, S3 prefix. Each translates its SDK's errors."""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
import pymysql

from drctl.errors import ProviderError
from drctl.providers.aws.clients import aws_errors
from drctl.providers.retry import DEFAULT_BACKOFF

CANARY_TABLE = "drctl_canary"
_BATCH_GET = 100
"""Keys per `BatchGetItem` (DynamoDB's limit)."""
_BATCH_ROUNDS = 8
"""Tries of one batch while DynamoDB hands keys back unprocessed."""


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

    def surviving(self, run_id: str, among: Collection[int]) -> set[int]:
        try:
            rows = self._connection().execute(
                f"SELECT seq FROM {CANARY_TABLE} WHERE run_id = %s", (run_id,)
            )
            return {int(r[0]) for r in rows} & set(among)
        except psycopg.Error as exc:
            self._conn = None
            raise ProviderError(
                f"canary read from {self.name} failed: {exc}".splitlines()[0]
            ) from exc


class MySqlStore:
    """Canary rows in a MySQL/MariaDB/Aurora MySQL table (created if missing).

    `dsn` is `mysql://USER:PASSWORD@HOST:PORT/DATABASE`; the password never appears in errors.
    """

    def __init__(self, name: str, dsn: str) -> None:
        self.name = name
        self._params = mysql_params(dsn, name)
        self._conn: pymysql.connections.Connection[Any] | None = None

    def _connection(self) -> pymysql.connections.Connection[Any]:
        if self._conn is None or not self._conn.open:
            self._conn = pymysql.connect(
                **self._params, autocommit=True, connect_timeout=2, read_timeout=5, write_timeout=5
            )
            with self._conn.cursor() as cursor:
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {CANARY_TABLE} (run_id VARCHAR(128), seq INTEGER,"
                    " written_at VARCHAR(40), PRIMARY KEY (run_id, seq))"
                )
        return self._conn

    def write(self, run_id: str, seq: int, at_iso: str) -> None:
        try:
            with self._connection().cursor() as cursor:
                cursor.execute(
                    f"INSERT IGNORE INTO {CANARY_TABLE} VALUES (%s, %s, %s)", (run_id, seq, at_iso)
                )
        except pymysql.MySQLError as exc:
            self._conn = None
            raise ProviderError(
                f"canary write to {self.name} failed: {_mysql_message(exc)}", retryable=True
            ) from exc

    def surviving(self, run_id: str, among: Collection[int]) -> set[int]:
        try:
            with self._connection().cursor() as cursor:
                cursor.execute(f"SELECT seq FROM {CANARY_TABLE} WHERE run_id = %s", (run_id,))
                return {int(r[0]) for r in cursor.fetchall()} & set(among)
        except pymysql.MySQLError as exc:
            self._conn = None
            raise ProviderError(
                f"canary read from {self.name} failed: {_mysql_message(exc)}"
            ) from exc


def mysql_params(dsn: str, name: str) -> dict[str, Any]:
    """Connection arguments of `mysql://USER:PASSWORD@HOST:PORT/DATABASE`; a clear error otherwise."""
    parts = urlsplit(dsn)
    database = parts.path.lstrip("/")
    if parts.scheme != "mysql" or not parts.hostname or not database:
        raise ProviderError(
            f"the MySQL canary DSN of {name} is not mysql://USER:PASSWORD@HOST:PORT/DATABASE",
            hint="e.g. mysql://canary:${CANARY_PASSWORD}@db.example.internal:3306/app",
        )
    return {"host": parts.hostname, "port": parts.port or 3306, "database": unquote(database),
            "user": unquote(parts.username or ""), "password": unquote(parts.password or "")}  # fmt: skip


def _mysql_message(exc: pymysql.MySQLError) -> str:
    return " ".join(str(a) for a in exc.args).splitlines()[0] if exc.args else type(exc).__name__


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

    def surviving(self, run_id: str, among: Collection[int]) -> set[int]:
        """Read back exactly the acknowledged items (`BatchGetItem`, strongly consistent), never
        a `Scan`: the canary shares the user's table, which may hold millions of items."""
        keys = [self._key(run_id, seq) for seq in sorted(set(among))]
        found: set[int] = set()
        delays = DEFAULT_BACKOFF.delays()
        with aws_errors(self._where, self.name):
            for start in range(0, len(keys), _BATCH_GET):
                pending = keys[start : start + _BATCH_GET]
                for _ in range(_BATCH_ROUNDS):
                    page = self.client.batch_get_item(RequestItems={self.table: {
                        "Keys": pending, "ConsistentRead": True, "ProjectionExpression": "drctl_seq"}})  # fmt: skip
                    items = page.get("Responses", {}).get(self.table, [])
                    found.update(int(item["drctl_seq"]["N"]) for item in items)
                    pending = page.get("UnprocessedKeys", {}).get(self.table, {}).get("Keys", [])
                    if not pending:
                        break
                    time.sleep(next(delays))  # throttled: AWS advises backing off
                else:
                    raise ProviderError(
                        f"{len(pending)} canary items of {self.table} stayed unprocessed",
                        hint="the table is throttled; measure again once it has capacity",
                        where=self._where,
                        retryable=True,
                    )
        return found


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

    def surviving(self, run_id: str, among: Collection[int]) -> set[int]:
        seqs: set[int] = set()
        paginator = self.client.get_paginator("list_objects_v2")
        with aws_errors(self._where, self.name):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self.prefix}{run_id}/"):
                seqs.update(int(obj["Key"].rsplit("/", 1)[1]) for obj in page.get("Contents", []))
        return seqs & set(among)
