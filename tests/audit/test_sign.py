"""Head signatures: made with an Ed25519 key from a file or the environment, checked by verify."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from drctl.audit.event import canonical_json, hashed_fields, sha256_text
from drctl.audit.log import AuditLog, Entry
from drctl.audit.sign import (
    KEY_ENV,
    check_signatures,
    generate_key,
    load_private_key,
    load_public_key,
    sign_head,
)
from drctl.audit.verify import verify_chain
from drctl.errors import ConfigError


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    path = tmp_path / "audit-key.pem"
    (tmp_path / "audit-key.pub.pem").write_text(generate_key(path), encoding="ascii")
    return path


def _rewrite_whole_chain(url: str) -> None:
    """An attacker with database access changes event 2 and re-hashes everything after it."""
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    rows = conn.execute(
        "SELECT seq, time, run_id, actor, kind, payload FROM drctl_audit_events ORDER BY seq"
    ).fetchall()
    prev = "0" * 64
    for seq, time, run_id, actor, kind, payload in rows:
        payload = '{"n":-2}' if seq == 2 else payload
        digest = sha256_text(canonical_json(hashed_fields(seq, time, run_id, actor, kind, None, None,
                                                          json.loads(payload), prev)))  # fmt: skip
        conn.execute(
            "UPDATE drctl_audit_events SET payload=?, prev_hash=?, hash=? WHERE seq=?",
            (payload, prev, digest, seq),
        )
        prev = digest
    conn.execute("UPDATE drctl_audit_head SET hash = ?", (prev,))
    conn.close()


def test_key_file_is_private_to_its_owner(key_path: Path) -> None:
    assert key_path.stat().st_mode & 0o777 == 0o600


def test_a_signed_head_verifies_with_the_trusted_public_key(log: AuditLog, key_path: Path) -> None:
    for n in range(3):
        log.append(Entry("run-1", "alice", "note", {"n": n}))
    sig = sign_head(log, load_private_key(key_path), "alice")
    assert (sig.seq, sig.hash) == (3, log.head().hash)
    trusted = load_public_key(key_path.with_name("audit-key.pub.pem"))
    [check] = check_signatures(log, trusted)
    assert check.valid and check.reason == ""


def test_a_rewritten_and_rehashed_chain_passes_the_links_but_fails_the_signature(
    log: AuditLog, key_path: Path
) -> None:
    for n in range(4):
        log.append(Entry("run-1", "alice", "note", {"n": n}))
    sign_head(log, load_private_key(key_path), "alice")
    _rewrite_whole_chain(log.url)
    assert verify_chain(log).ok  # the links alone cannot tell
    [check] = check_signatures(log, load_public_key(key_path.with_name("audit-key.pub.pem")))
    assert not check.valid and check.reason == "signed event 4 is different now"


def test_a_signature_from_another_key_is_rejected(
    log: AuditLog, key_path: Path, tmp_path: Path
) -> None:
    log.append(Entry("run-1", "alice", "note"))
    other = tmp_path / "other.pem"
    generate_key(other)
    sign_head(log, load_private_key(other), "mallory")
    [check] = check_signatures(log, load_public_key(key_path.with_name("audit-key.pub.pem")))
    assert not check.valid and check.reason == "signature does not verify"


def test_signing_key_can_come_from_the_environment(key_path: Path) -> None:
    from_file = load_private_key(key_path)
    from_env = load_private_key(None, {KEY_ENV: key_path.read_text(encoding="ascii")})
    assert from_env.public_key().public_bytes_raw() == from_file.public_key().public_bytes_raw()


def test_missing_or_wrong_keys_are_config_errors_with_hints(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no audit signing key") as caught:
        load_private_key(None, {})
    assert "drctl audit keygen" in caught.value.hint
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key", encoding="ascii")
    with pytest.raises(ConfigError, match="not an unencrypted PEM private key"):
        load_private_key(bad)
    with pytest.raises(ConfigError, match="cannot read key"):
        load_private_key(tmp_path / "missing.pem")
