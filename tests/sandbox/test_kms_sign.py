"""Chain heads signed with an AWS KMS asymmetric key, against the sandbox (moto implements kms:Sign)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from drctl.audit.kms_sign import sign_head_kms, verify_with_kms
from drctl.audit.log import AuditLog, Entry
from drctl.audit.sign import check_signatures
from drctl.providers.aws.clients import AwsClients
from drctl.settings import Settings
from drctl_sandbox.aws.server import SandboxServer

REGION = "ap-southeast-1"


@pytest.fixture
def log(tmp_path: Path) -> Iterator[AuditLog]:
    audit = AuditLog(f"sqlite:///{tmp_path / 'audit.sqlite'}")
    for n in range(3):
        audit.append(Entry("run-1", "alice", "note", {"n": n}))
    yield audit
    audit.dispose()


@pytest.fixture
def clients(server: SandboxServer) -> AwsClients:
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return AwsClients(Settings(aws_endpoint_url=server.endpoint_url), session=session)


@pytest.mark.parametrize("spec", ["ECC_NIST_P256", "RSA_2048"])
def test_a_kms_signed_head_verifies_offline_and_with_kms_verify(
    log: AuditLog, clients: AwsClients, spec: str
) -> None:
    kms = clients.client("kms", REGION)
    key = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec=spec)["KeyMetadata"]["Arn"]
    sig = sign_head_kms(log, clients, key, REGION, "alice")
    assert sig.public_key.startswith(f"kms:{key}:")
    assert (sig.seq, sig.hash) == (3, log.head().hash)
    [offline] = check_signatures(log, None)
    assert offline.valid, offline.reason
    assert offline.reason == f"KMS key {key}, checked with the KMS public key stored beside it"
    [online] = check_signatures(log, None, lambda s: verify_with_kms(s, clients, REGION))
    assert online.valid and online.reason.endswith("checked with kms:Verify")


def test_a_tampered_kms_signature_fails_both_ways(
    log: AuditLog, clients: AwsClients, tmp_path: Path
) -> None:
    kms = clients.client("kms", REGION)
    key = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]["Arn"]
    sign_head_kms(log, clients, key, REGION, "alice")
    conn = sqlite3.connect(tmp_path / "audit.sqlite", isolation_level=None)
    conn.execute("UPDATE drctl_audit_signatures SET hash = ?", ("f" * 64,))
    conn.close()
    [offline] = check_signatures(log, None)
    [online] = check_signatures(log, None, lambda s: verify_with_kms(s, clients, REGION))
    assert not offline.valid and not online.valid
    assert "does not verify" in offline.reason
    assert json.loads(json.dumps(online.model_dump()))["valid"] is False
