"""EFS replication configurations, which moto 5.2.5 lacks (Create/Describe/DeleteReplicationConfiguration).

Follows the EFS API reference: creating one makes (or uses) a destination file system in the
destination region, which stays read-only (`ReplicationOverwriteProtection: REPLICATING`)
until the configuration is deleted; then it is writable (`ENABLED`). File data is not copied.
Deletion honours `deletionMode`: `ALL_CONFIGURATIONS` (the default) must reach both regions and
fails while the other one is out (`outage.block`); `LOCAL_CONFIGURATION_ONLY` removes only the
caller's side, and the other side keeps its (now unrecoverable) configuration.
Deletion takes `efs_replication_delete` on the sandbox clock: meanwhile the configuration is
still described, with its destination `DELETING`, the destination stays read-only, and a
second delete is refused with `ConflictException` (unconfirmed: AWS documents the DELETING
status, not what a second call gets; refusing it is the conservative reading).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from moto.efs import urls
from moto.efs.exceptions import EFSError, FileSystemNotFound
from moto.efs.models import EFSBackend, FileSystem, efs_backends
from moto.efs.responses import EFSResponse

from drctl_sandbox import latencies
from drctl_sandbox.aws import outage
from drctl_sandbox.clock import CLOCK

TYPE_RESPONSE = tuple[str, dict[str, Any]]
# (account, source file system id) → replication description
_CONFIGS: dict[tuple[str, str], dict[str, Any]] = {}
# the regions that still hold each configuration (LOCAL_CONFIGURATION_ONLY removes one side)
_SIDES: dict[tuple[str, str], set[str]] = {}
# deletions in progress: key -> (done at, in AWS seconds; the regions being removed)
_DELETING: dict[tuple[str, str], tuple[float, set[str]]] = {}


def reset() -> None:
    """Forget every configuration (the server's reset)."""
    _CONFIGS.clear()
    _SIDES.clear()
    _DELETING.clear()


def _settle() -> None:
    """Finish the deletions whose time has come."""
    now = CLOCK.now()
    for key, (done_at, removed) in list(_DELETING.items()):
        if now >= done_at:
            del _DELETING[key]
            _finish_delete(key, removed)


class ReplicationNotFound(EFSError):
    """No replication configuration for the file system (HTTP 404)."""

    code = 404

    def __init__(self, file_system_id: str) -> None:
        super().__init__(
            "ReplicationNotFound", f"No replication configuration found for {file_system_id}."
        )


def _file_system(backend: EFSBackend, file_system_id: str) -> FileSystem:
    if file_system_id not in backend.file_systems_by_id:
        raise FileSystemNotFound(file_system_id)
    found: FileSystem = backend.file_systems_by_id[file_system_id]
    return found


def _destination(account: str, wanted: dict[str, Any], source: FileSystem) -> FileSystem:
    backend: EFSBackend = efs_backends[account][wanted["Region"]]
    if wanted.get("FileSystemId"):
        return _file_system(backend, wanted["FileSystemId"])
    options: dict[str, Any] = {
        "creation_token": f"replica-of-{source.file_system_id}",
        "performance_mode": source.performance_mode,
        "encrypted": source.encrypted,
        "kms_key_id": None,
        "throughput_mode": source.throughput_mode,
        "provisioned_throughput_in_mibps": None,
        "availability_zone_name": wanted.get("AvailabilityZoneName"),
        "backup": None,
        "tags": [],
    }
    created: FileSystem = backend.create_file_system(**options)
    return created


def _protect(file_system: FileSystem, state: str) -> None:
    # moto serialises every public attribute of a FileSystem: this one shows as FileSystemProtection.
    protection = {"ReplicationOverwriteProtection": state}
    vars(file_system)["file_system_protection"] = protection


def _create(self: EFSResponse) -> TYPE_RESPONSE:
    _settle()
    source = _file_system(self.efs_backend, self._get_param("SourceFileSystemId"))
    key = (self.current_account, source.file_system_id)
    if key in _CONFIGS:
        raise EFSError(
            "ConflictException", f"{source.file_system_id} already has a replication configuration."
        )
    wanted = (self._get_param("Destinations") or [{}])[0]
    if not wanted.get("Region"):
        raise EFSError("ValidationException", "Destinations[0].Region is required.")
    destination = _destination(self.current_account, wanted, source)
    _protect(destination, "REPLICATING")
    _SIDES[key] = {self.region, wanted["Region"]}
    _CONFIGS[key] = {
        "SourceFileSystemId": source.file_system_id,
        "SourceFileSystemRegion": self.region,
        "SourceFileSystemArn": source.file_system_arn,
        "OriginalSourceFileSystemArn": source.file_system_arn,
        "CreationTime": datetime.now(UTC).timestamp(),
        "Destinations": [
            {
                "Status": "ENABLED",
                "FileSystemId": destination.file_system_id,
                "Region": wanted["Region"],
            }
        ],
    }
    return json.dumps(_CONFIGS[key]), {"status": 200, "Content-Type": "application/json"}


def _matching(account: str, file_system_id: str, region: str) -> list[dict[str, Any]]:
    return [
        c
        for (acct, source), c in _CONFIGS.items()
        if acct == account
        and region in _SIDES[(acct, source)]
        and (
            c["SourceFileSystemId"] == file_system_id
            or any(d["FileSystemId"] == file_system_id for d in c["Destinations"])
        )
    ]


def _describe(self: EFSResponse) -> TYPE_RESPONSE:
    _settle()
    file_system_id = self._get_param("FileSystemId")
    found = (
        _matching(self.current_account, file_system_id, self.region)
        if file_system_id
        else [
            c
            for (acct, source), c in _CONFIGS.items()
            if acct == self.current_account and self.region in _SIDES[(acct, source)]
        ]
    )
    if file_system_id and not found:
        raise ReplicationNotFound(file_system_id)
    return json.dumps({"Replications": found}), {"status": 200, "Content-Type": "application/json"}


def _deletion_sides(self: EFSResponse, key: tuple[str, str]) -> set[str]:
    """The regions this delete removes the configuration from, per `deletionMode`."""
    mode = (self.querystring.get("deletionMode") or ["ALL_CONFIGURATIONS"])[0]
    sides = _SIDES[key]
    if mode == "LOCAL_CONFIGURATION_ONLY":
        if _CONFIGS[key]["SourceFileSystemRegion"] == _CONFIGS[key]["Destinations"][0]["Region"]:
            raise EFSError(
                "BadRequest", "LOCAL_CONFIGURATION_ONLY is not valid for same-Region replication."
            )
        return {self.region}
    if mode != "ALL_CONFIGURATIONS":
        raise EFSError("BadRequest", f"Invalid DeletionMode {mode}.")
    unreachable = sorted((sides - {self.region}) & outage.blocked())
    if unreachable:
        raise EFSError(
            "BadRequest",
            f"Cannot delete the replication configuration in {', '.join(unreachable)}; "
            "use DeletionMode LOCAL_CONFIGURATION_ONLY to delete only the local configuration.",
        )
    return set(sides)


def _delete(self: EFSResponse) -> TYPE_RESPONSE:
    _settle()
    file_system_id = self._get_param("SourceFileSystemId")
    found = _matching(self.current_account, file_system_id, self.region)
    if not found:
        raise ReplicationNotFound(file_system_id)
    key = (self.current_account, found[0]["SourceFileSystemId"])
    if key in _DELETING:
        raise EFSError(
            "ConflictException",
            f"The replication configuration of {file_system_id} is being deleted.",
        )
    removed = _deletion_sides(self, key)
    took = latencies.seconds("efs_replication_delete")
    if took <= 0:
        _finish_delete(key, removed)
    else:
        for dest in _CONFIGS[key]["Destinations"]:
            dest["Status"] = "DELETING"
        _DELETING[key] = (CLOCK.now() + took, removed)
    return "", {"status": 204, "Content-Type": "application/json"}


def _finish_delete(key: tuple[str, str], removed: set[str]) -> None:
    account = key[0]
    _SIDES[key] -= removed
    config = _CONFIGS[key]
    if not _SIDES[key]:
        del _CONFIGS[key], _SIDES[key]
    else:
        for dest in config["Destinations"]:
            dest["Status"] = "ENABLED" if dest["Status"] == "DELETING" else dest["Status"]
    for dest in config["Destinations"]:
        if dest["Region"] not in removed:
            continue
        backend: EFSBackend = efs_backends[account][dest["Region"]]
        if dest["FileSystemId"] in backend.file_systems_by_id:
            _protect(backend.file_systems_by_id[dest["FileSystemId"]], "ENABLED")


def install() -> None:
    """Give moto's EFS response class the three replication actions, and route their URLs."""
    routes = {
        "/2015-02-01/file-systems/replication-configurations": urls.response.dispatch,
        "/2015-02-01/file-systems/<file_system_id>/replication-configuration": urls.response.dispatch,
    }
    urls.url_paths.update(routes)
    patches: list[tuple[str, Any]] = [
        ("create_replication_configuration", _create),
        ("describe_replication_configurations", _describe),
        ("delete_replication_configuration", _delete),
    ]
    for name, function in patches:
        setattr(EFSResponse, name, function)
