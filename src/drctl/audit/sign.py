"""Ed25519 signatures over the chain head, so a rewritten chain cannot pass as the original.

The private key is a PEM file (path) or the PEM text in `DRCTL_AUDIT_SIGNING_KEY`.
The signed message is `drctl-audit-head/v1:<seq>:<hash>`; `check_signatures` verifies each
stored signature with a trusted public key and that the event at `seq` still has `hash`.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from drctl.audit import store
from drctl.audit.event import GENESIS_HASH, ChainHead, utc_text
from drctl.audit.log import AuditLog
from drctl.errors import ConfigError
from drctl.model import Frozen

KEY_ENV = "DRCTL_AUDIT_SIGNING_KEY"


class HeadSignature(Frozen):
    """A signature over the chain head at the time of signing."""

    seq: int
    hash: str
    signed_at: str
    signer: str
    public_key: str
    signature: str


class SignatureCheck(Frozen):
    """Whether one stored signature still holds."""

    seq: int
    signer: str
    signed_at: str
    valid: bool
    reason: str = ""


def head_message(head: ChainHead) -> bytes:
    """The bytes that get signed for a chain head."""
    return f"drctl-audit-head/v1:{head.seq}:{head.hash}".encode()


def generate_key(path: Path) -> str:
    """Write a new Ed25519 private key (PEM, mode 0600) and return its public key PEM."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return public_pem(key.public_key())


def public_pem(key: Ed25519PublicKey) -> str:
    """A public key as PEM text."""
    raw = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return raw.decode("ascii")


def load_private_key(path: Path | None, environ: dict[str, str] | None = None) -> Ed25519PrivateKey:
    """The signing key from `path`, else from `DRCTL_AUDIT_SIGNING_KEY`."""
    env = os.environ if environ is None else environ
    if path is not None:
        data, where = _read(path), str(path)
    elif env.get(KEY_ENV):
        data, where = env[KEY_ENV].encode(), KEY_ENV
    else:
        raise ConfigError(
            "no audit signing key", hint=f"pass --key FILE or set {KEY_ENV} (drctl audit keygen)"
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            "not an unencrypted PEM private key", where=where, hint=_KEY_HINT
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError("the signing key is not an Ed25519 key", where=where, hint=_KEY_HINT)
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A trusted public key (PEM) to check signatures with."""
    try:
        key = serialization.load_pem_public_key(_read(path))
    except ValueError as exc:
        raise ConfigError("not a PEM public key", where=str(path), hint=_KEY_HINT) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError("the public key is not an Ed25519 key", where=str(path), hint=_KEY_HINT)
    return key


_KEY_HINT = "create one with `drctl audit keygen -o audit-key.pem`"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read key: {exc.strerror}", where=str(path)) from exc


def sign_head(log: AuditLog, key: Ed25519PrivateKey, signer: str) -> HeadSignature:
    """Sign the current chain head and store the signature."""
    head = log.head()
    signature = HeadSignature(
        seq=head.seq,
        hash=head.hash,
        signed_at=utc_text(log.clock.now()),
        signer=signer,
        public_key=public_pem(key.public_key()),
        signature=base64.b64encode(key.sign(head_message(head))).decode("ascii"),
    )
    with store.store_errors(log.url), store.write_transaction(log.engine) as conn:
        conn.execute(store.signatures.insert().values(signature.model_dump()))
    return signature


def signatures(log: AuditLog) -> list[HeadSignature]:
    """Every stored head signature, oldest first."""
    query = sa.select(store.signatures).order_by(store.signatures.c.id)
    with store.store_errors(log.url), log.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [HeadSignature.model_validate({**r._mapping}) for r in rows]


def check_signatures(
    log: AuditLog,
    trusted: Ed25519PublicKey | None,
    kms_verify: Callable[[HeadSignature], bool] | None = None,
) -> list[SignatureCheck]:
    """Check every stored signature against `trusted` (or, untrusted, the key stored with it).

    KMS signatures are checked with `kms_verify` (`kms:Verify`) when given, else offline
    with the KMS public key stored beside them.
    """
    return [check_signature(log, s, trusted, kms_verify) for s in signatures(log)]


def check_signature(
    log: AuditLog,
    sig: HeadSignature,
    trusted: Ed25519PublicKey | None,
    kms_verify: Callable[[HeadSignature], bool] | None = None,
) -> SignatureCheck:
    """Whether `sig` is valid and the event it names still has the signed hash."""
    result = {"seq": sig.seq, "signer": sig.signer, "signed_at": sig.signed_at}
    if sig.public_key.startswith("kms:"):
        return _check_kms(log, sig, kms_verify, result)
    key = trusted or serialization.load_pem_public_key(sig.public_key.encode())
    if not isinstance(key, Ed25519PublicKey):
        return SignatureCheck(**result, valid=False, reason="stored key is not Ed25519")
    try:
        key.verify(
            base64.b64decode(sig.signature), head_message(ChainHead(seq=sig.seq, hash=sig.hash))
        )
    except (InvalidSignature, ValueError):
        return SignatureCheck(**result, valid=False, reason="signature does not verify")
    actual = _hash_at(log, sig.seq)
    if actual != sig.hash:
        found = "missing" if actual is None else "different"
        return SignatureCheck(
            **result, valid=False, reason=f"signed event {sig.seq} is {found} now"
        )
    note = "" if trusted else "checked with the key stored beside it (pass --public-key to trust)"
    return SignatureCheck(**result, valid=True, reason=note)


def _check_kms(
    log: AuditLog,
    sig: HeadSignature,
    kms_verify: Callable[[HeadSignature], bool] | None,
    result: dict[str, Any],
) -> SignatureCheck:
    from drctl.audit.kms_sign import kms_key_and_algorithm, verify_offline

    key_id, _ = kms_key_and_algorithm(sig)
    valid = kms_verify(sig) if kms_verify else verify_offline(sig)
    how = "kms:Verify" if kms_verify else "the KMS public key stored beside it"
    if not valid:
        return SignatureCheck(
            **result, valid=False, reason=f"KMS signature does not verify ({how})"
        )
    actual = _hash_at(log, sig.seq)
    if actual != sig.hash:
        found = "missing" if actual is None else "different"
        return SignatureCheck(
            **result, valid=False, reason=f"signed event {sig.seq} is {found} now"
        )
    return SignatureCheck(**result, valid=True, reason=f"KMS key {key_id}, checked with {how}")


def _hash_at(log: AuditLog, seq: int) -> str | None:
    if seq == 0:
        return GENESIS_HASH
    query = sa.select(store.events.c.hash).where(store.events.c.seq == seq)
    with store.store_errors(log.url), log.engine.connect() as conn:
        value = conn.execute(query).scalar()
    return None if value is None else str(value)
