"""S3 replication for the sandbox: moto stores the configuration but copies nothing.

`install()` hooks moto's S3 backend so each new object version written to a bucket with
an enabled replication rule that matches its key is marked `PENDING`
(`x-amz-replication-status` on GET/HEAD, `ReplicationStatus` in boto3), and
`S3Replicator.sync()` later copies it to the rule's destination bucket with the same
version id, metadata and storage class: the copy reports `REPLICA`, the source
`COMPLETED` (or `FAILED` when the destination is missing or unversioned). As on AWS,
objects written before the rule existed and replicas themselves are not replicated.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from moto.s3.models import FakeBucket, FakeKey, S3Backend

STATUS_ATTR = "_drctl_replication_status"
_local = threading.local()


@dataclass
class _Pending:
    backend: S3Backend
    source: FakeBucket
    key: FakeKey
    destination: str
    storage_class: str | None
    written_at: float


def _rules(bucket: FakeBucket) -> list[dict[str, Any]]:
    config: dict[str, Any] | None = getattr(bucket, "replication", None)
    rules = (config or {}).get("Rule") or []
    return [rules] if isinstance(rules, dict) else list(rules)


def _prefix(rule: dict[str, Any]) -> str:
    filt = rule.get("Filter") or {}
    prefix = filt.get("Prefix") or (filt.get("And") or {}).get("Prefix") or rule.get("Prefix")
    return str(prefix or "")


def matching_destinations(bucket: FakeBucket, key_name: str) -> list[tuple[str, str | None]]:
    """Destination bucket names (and storage class) of enabled rules matching `key_name`."""
    found: dict[str, str | None] = {}
    rules = sorted(_rules(bucket), key=lambda r: -int(r.get("Priority") or 0))
    for rule in rules:
        if rule.get("Status") != "Enabled" or not key_name.startswith(_prefix(rule)):
            continue
        destination = rule.get("Destination") or {}
        name = str(destination.get("Bucket", "")).removeprefix("arn:aws:s3:::")
        found.setdefault(name, destination.get("StorageClass"))
    return list(found.items())


class S3Replicator:
    """New object versions waiting to be copied to their destination buckets."""

    def __init__(self) -> None:
        self.pending: list[_Pending] = []
        self.lock = threading.RLock()

    def enqueue(self, backend: S3Backend, bucket: FakeBucket, key: FakeKey) -> None:
        if getattr(_local, "replicating", False):
            return
        destinations = matching_destinations(bucket, key.name)
        if not destinations:
            return
        setattr(key, STATUS_ATTR, "PENDING")
        with self.lock:
            for name, storage in destinations:
                self.pending.append(_Pending(backend, bucket, key, name, storage, time.monotonic()))

    def sync(self, now: float, lag: float, isolated: frozenset[str]) -> None:
        """Copy every version whose lag has passed, unless its source or destination is isolated."""
        with self.lock:
            due = [p for p in self.pending if now - p.written_at >= lag]
            for item in due:
                if item.source.region_name in isolated or self._region_of(item) in isolated:
                    continue
                self.pending.remove(item)
                self._copy(item)

    @staticmethod
    def _region_of(item: _Pending) -> str | None:
        bucket = item.backend.buckets.get(item.destination)
        return bucket.region_name if bucket is not None else None

    def _copy(self, item: _Pending) -> None:
        target = item.backend.buckets.get(item.destination)
        if target is None or not target.is_versioned:
            setattr(item.key, STATUS_ATTR, "FAILED")
            return
        _local.replicating = True
        try:
            replica = item.backend.put_object(
                target.name,
                item.key.name,
                item.key.value,
                storage=item.storage_class or item.key.storage_class,
                disable_notification=True,
            )
        finally:
            _local.replicating = False
        replica._version_id = item.key.version_id
        replica._metadata.update(item.key.metadata)
        replica.last_modified = item.key.last_modified
        setattr(replica, STATUS_ATTR, "REPLICA")
        if not any(p.key is item.key for p in self.pending):
            setattr(item.key, STATUS_ATTR, "COMPLETED")


REPLICATOR = S3Replicator()

_original_put_object = S3Backend.put_object
_original_response_dict = FakeKey.response_dict


def _put_object(
    self: S3Backend, bucket_name: str, key_name: str, *args: Any, **kwargs: Any
) -> FakeKey:
    key: FakeKey = _original_put_object(self, bucket_name, key_name, *args, **kwargs)
    REPLICATOR.enqueue(self, self.get_bucket(bucket_name), key)
    return key


def _response_dict(self: FakeKey) -> dict[str, Any]:
    headers: dict[str, Any] = _original_response_dict.fget(self)  # type: ignore[attr-defined]
    status = getattr(self, STATUS_ATTR, None)
    if status:
        headers["x-amz-replication-status"] = status
    return headers


def install() -> None:
    """Hook moto's S3 backend and object headers (idempotent)."""
    S3Backend.put_object = _put_object  # type: ignore[method-assign]
    FakeKey.response_dict = property(_response_dict)  # type: ignore[assignment, method-assign]
