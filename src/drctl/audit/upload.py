"""Evidence to S3 under Object Lock: every bundle file, retained until a date nobody can shorten.

The bucket must have Object Lock enabled (it can only be turned on at creation or by AWS
support). Each object gets `ObjectLockMode` (COMPLIANCE: nobody can delete the version
before the date; GOVERNANCE: only with `s3:BypassGovernanceRetention`) and
`ObjectLockRetainUntilDate`. S3 requires an integrity checksum on such PUTs; drctl sends
SHA-256, the same digest the manifest lists.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from drctl.errors import ConfigError, NotFoundError, PlanError, StateError
from drctl.model import Frozen
from drctl.plan.model import EvidenceExport, Plan
from drctl.providers.aws.clients import AwsClients, aws_errors

LockMode = Literal["COMPLIANCE", "GOVERNANCE"]


class S3Target(Frozen):
    """Where a bundle goes: bucket, key prefix and region."""

    bucket: str
    prefix: str = ""
    region: str = "us-east-1"


class LockedObject(Frozen):
    """One uploaded, locked object version."""

    key: str
    version_id: str
    sha256: str
    mode: LockMode
    retain_until: datetime


def parse_s3_url(url: str, region: str) -> S3Target:
    """`s3://bucket/prefix` → `S3Target`."""
    if not url.startswith("s3://") or len(url) <= len("s3://"):
        raise ConfigError(f"not an S3 URL: {url}", hint="write it as s3://bucket/prefix")
    bucket, _, prefix = url[len("s3://") :].partition("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return S3Target(bucket=bucket, prefix=prefix, region=region)


def upload_evidence(
    clients: AwsClients,
    bundle: Path,
    target: S3Target,
    *,
    run_id: str,
    mode: LockMode,
    retention_days: int,
    now: datetime,
) -> list[LockedObject]:
    """Upload the zip and each of its members under `<prefix><run_id>/`, each locked."""
    s3 = clients.client("s3", target.region)
    _require_object_lock(s3, target)
    until = now + timedelta(days=retention_days)
    base = f"{target.prefix}{run_id}/"
    uploaded = [_put(s3, target, f"{base}{bundle.name}", bundle.read_bytes(), mode, until)]
    with zipfile.ZipFile(bundle) as archive:
        for name in archive.namelist():
            body = archive.read(name)
            uploaded.append(_put(s3, target, f"{base}files/{name}", body, mode, until))
    return uploaded


def _require_object_lock(s3: Any, target: S3Target) -> None:
    where = f"s3://{target.bucket}"
    try:
        with aws_errors(where, target.region):
            config = s3.get_object_lock_configuration(Bucket=target.bucket)
    except NotFoundError as exc:
        if exc.code != "ObjectLockConfigurationNotFoundError":
            raise
        config = {}
    if config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") != "Enabled":
        raise StateError(
            "Object Lock is not enabled on the evidence bucket",
            where=where,
            hint="create the bucket with Object Lock enabled (aws s3api create-bucket "
            "--object-lock-enabled-for-bucket) or choose another bucket",
        )


def _put(
    s3: Any, target: S3Target, key: str, body: bytes, mode: LockMode, until: datetime
) -> LockedObject:
    digest = hashlib.sha256(body)
    with aws_errors(f"s3://{target.bucket}/{key}", target.region):
        answer = s3.put_object(
            Bucket=target.bucket,
            Key=key,
            Body=body,
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=base64.b64encode(digest.digest()).decode("ascii"),
            ObjectLockMode=mode,
            ObjectLockRetainUntilDate=until,
        )
    return LockedObject(
        key=key,
        version_id=str(answer.get("VersionId", "")),
        sha256=digest.hexdigest(),
        mode=mode,
        retain_until=until,
    )


def export_destination(plan: Plan | None, url: str | None) -> tuple[S3Target, LockMode, int]:
    """Where and how to lock: `url` if given, else the plan's `audit.export`; its mode and days."""
    section = plan.audit.export if plan else None
    region = (section.region if section else None) or (
        plan.regions.primary if plan else "us-east-1"
    )
    if url is not None:
        target = parse_s3_url(url, str(region))
    elif section is not None:
        target = parse_s3_url(f"s3://{section.bucket}/{section.prefix}", str(region))
    else:
        raise PlanError(
            "no evidence bucket: the plan has no audit.export section",
            hint="add audit.export (bucket, object_lock_mode, retention_days) or pass --to s3://bucket/prefix",
        )
    policy = section or EvidenceExport(bucket=target.bucket)
    return target, policy.object_lock_mode, policy.retention_days
