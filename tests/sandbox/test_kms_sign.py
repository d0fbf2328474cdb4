"""Chain heads signed with an AWS KMS asymmetric key, against the sandbox (moto implements kms:Sign)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest

from drctl.audit.kms_sign import sign_head_kms, verify_with_kms
from drctl.audit.log import AuditLog, Entry
from drctl.audit.sign import check_signatures
from drctl.iac.context import RenderContext
from drctl.iac.files import Kind
from drctl.iac.iam import allows, needed
from drctl.iac.render import render
from drctl.plan.load import load_plan
from drctl.providers import intents
from drctl.providers.aws.clients import AwsClients
from drctl.runbook.run import WriteIntent
from drctl.settings import Settings
from drctl_sandbox.aws.server import SandboxServer

REGION = "ap-southeast-1"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


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


@dataclass
class Calls:
    """A journal stand-in for calls made outside any run (`drctl audit sign`): keeps each one."""

    made: list[tuple[str, str, str, str]] = field(default_factory=list)

    def intend(
        self, service: str, operation: str, region: str, resource: str, client_token: str
    ) -> WriteIntent:
        return WriteIntent(step_id="audit", attempt=1, seq=0, service=service,
                           operation=operation, region=region, resource=resource)  # fmt: skip

    def answered(self, intent: WriteIntent) -> None:
        return None

    def called(
        self, service: str, operation: str, region: str, resource: str, **answer: object
    ) -> None:
        self.made.append((service, operation, region, resource))


def test_the_rendered_signing_policy_allows_every_kms_call_and_no_unused_action(
    log: AuditLog, clients: AwsClients, tmp_path: Path
) -> None:
    kms = clients.client("kms", REGION)
    key = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]["Arn"]
    calls = Calls()
    with intents.recording(calls):
        sig = sign_head_kms(log, clients, key, REGION, "alice")
        assert verify_with_kms(sig, clients, REGION)
    text = (EXAMPLES / "seed-estate.yaml").read_text(encoding="utf-8")
    plan = tmp_path / "plan.yaml"
    plan.write_text(text.replace("audit:\n", f"audit:\n  signing_key: '{key}'\n", 1))
    files = render(load_plan(plan), RenderContext(account_id=key.split(":")[4]), [Kind.IAM])
    document = json.loads(
        next(f.content for f in files if f.path == "iam/drctl-audit-signing.json")
    )
    needs = [n for s, o, r, res in calls.made for n in needed(s, o, r, key.split(":")[4], res)]
    assert sorted({a for a, _ in needs}) == ["kms:GetPublicKey", "kms:Sign", "kms:Verify"]
    assert [n for n in needs if not allows(document, *n)] == []
    assert {a for s in document["Statement"] for a in s["Action"]} == {a for a, _ in needs}
