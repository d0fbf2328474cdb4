"""Audit fixtures: a fresh SQLite file per test and a fresh PostgreSQL database per session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from drctl.audit.log import AuditLog
from drctl.audit.redact import known_secrets
from drctl_sandbox.aws.server import SandboxServer

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state' / 'drctl.sqlite'}"


@pytest.fixture
def log(sqlite_url: str) -> Iterator[AuditLog]:
    audit = AuditLog(sqlite_url)
    yield audit
    audit.dispose()


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A database created on the local PostgreSQL for this session, dropped afterwards."""
    name = f"drctl_audit_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL on 127.0.0.1:5432 is required: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """The session database with the audit tables emptied (each test starts a new chain)."""
    yield pg_server_url
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(
            "DROP TABLE IF EXISTS drctl_audit_events, drctl_audit_head, "
            "drctl_audit_signatures, drctl_audit_actions"
        )


@pytest.fixture(autouse=True)
def _fresh_secret_registry() -> Iterator[None]:
    """Tests must not pass because another test remembered a secret in the process-wide registry."""
    known_secrets.clear()
    yield
    known_secrets.clear()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def aws_env(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> SandboxServer:
    """boto3 in this test talks to the sandbox (moto over HTTP) with throwaway credentials."""
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-northeast-1")
    monkeypatch.setenv("DRCTL_AWS_ENDPOINT_URL", sandbox.endpoint_url)
    return sandbox
