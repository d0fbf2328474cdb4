"""Chain-head signatures made by an AWS KMS asymmetric key (`kms:Sign`), beside the local Ed25519 ones.

The same message as `drctl.audit.sign.head_message` is signed with `kms:Sign` (RAW,
ECDSA_SHA_256 for ECC keys, RSASSA_PSS_SHA_256 for RSA keys). The signature row keeps the
key's public key from `kms:GetPublicKey` in its `public_key` text, marked
`kms:<key arn>:<algorithm>` on the first line, so it verifies offline with the public key
or online with `kms:Verify`.
"""

from __future__ import annotations

import base64
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from drctl.audit import store
from drctl.audit.event import ChainHead, utc_text
from drctl.audit.log import AuditLog
from drctl.audit.sign import HeadSignature, head_message
from drctl.errors import ConfigError
from drctl.providers.aws.clients import AwsClients, aws_errors

MARK = "kms:"
_PREFERRED = ("ECDSA_SHA_256", "RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256")


def is_kms(sig: HeadSignature) -> bool:
    """Whether a stored signature was made by KMS."""
    return sig.public_key.startswith(MARK)


def region_of(key_id: str, default: str) -> str:
    """The region in a key ARN (`arn:aws:kms:REGION:...`), else `default`."""
    parts = key_id.split(":")
    return parts[3] if key_id.startswith("arn:") and len(parts) > 3 and parts[3] else default


def sign_head_kms(
    log: AuditLog, clients: AwsClients, key_id: str, region: str, signer: str
) -> HeadSignature:
    """Sign the current chain head with a KMS key and store the signature."""
    kms = clients.client("kms", region)
    with aws_errors(f"KMS key {key_id}", region):
        public = kms.get_public_key(KeyId=key_id)
        algorithm = _algorithm(public.get("SigningAlgorithms") or [], key_id)
        head = log.head()
        signed = kms.sign(
            KeyId=key_id,
            Message=head_message(head),
            MessageType="RAW",
            SigningAlgorithm=algorithm,
        )
    pem = serialization.load_der_public_key(public["PublicKey"]).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signature = HeadSignature(
        seq=head.seq,
        hash=head.hash,
        signed_at=utc_text(log.clock.now()),
        signer=signer,
        public_key=f"{MARK}{signed.get('KeyId', key_id)}:{algorithm}\n{pem.decode('ascii')}",
        signature=base64.b64encode(signed["Signature"]).decode("ascii"),
    )
    with store.store_errors(log.url), store.write_transaction(log.engine) as conn:
        conn.execute(store.signatures.insert().values(signature.model_dump()))
    return signature


def _algorithm(offered: list[str], key_id: str) -> str:
    for name in _PREFERRED:
        if name in offered:
            return name
    raise ConfigError(
        f"KMS key {key_id} cannot sign with {', '.join(_PREFERRED)}",
        hint="use an asymmetric SIGN_VERIFY key (ECC_NIST_P256 or RSA_2048+)",
    )


def kms_key_and_algorithm(sig: HeadSignature) -> tuple[str, str]:
    """The key ARN and algorithm recorded with a KMS signature."""
    first = sig.public_key.split("\n", 1)[0].removeprefix(MARK)
    key, _, algorithm = first.rpartition(":")
    return key, algorithm


def verify_offline(sig: HeadSignature) -> bool:
    """Check a KMS signature with the public key stored beside it (no AWS call)."""
    _, algorithm = kms_key_and_algorithm(sig)
    key: Any = serialization.load_pem_public_key(sig.public_key.split("\n", 1)[1].encode())
    message = head_message(ChainHead(seq=sig.seq, hash=sig.hash))
    raw = base64.b64decode(sig.signature)
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(raw, message, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(raw, message, _rsa_padding(algorithm), hashes.SHA256())
        else:
            return False
    except InvalidSignature:
        return False
    return True


def verify_with_kms(sig: HeadSignature, clients: AwsClients, default_region: str) -> bool:
    """Check a KMS signature with `kms:Verify`."""
    key_id, algorithm = kms_key_and_algorithm(sig)
    region = region_of(key_id, default_region)
    kms = clients.client("kms", region)
    with aws_errors(f"KMS key {key_id}", region):
        answer = kms.verify(
            KeyId=key_id,
            Message=head_message(ChainHead(seq=sig.seq, hash=sig.hash)),
            MessageType="RAW",
            Signature=base64.b64decode(sig.signature),
            SigningAlgorithm=algorithm,
        )
    return bool(answer.get("SignatureValid"))


def _rsa_padding(algorithm: str) -> padding.AsymmetricPadding:
    if algorithm.startswith("RSASSA_PSS"):
        # KMS uses a salt as long as the digest; moto uses the maximum: accept what verifies.
        return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
    return padding.PKCS1v15()
