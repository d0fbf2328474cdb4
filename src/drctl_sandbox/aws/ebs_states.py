"""EBS `CopySnapshot` and `CreateVolume` as state machines: `pending` → `completed`, `creating` → `available`.

AWS: a snapshot copy stays `pending` until its data has been transferred, which takes
minutes for an incremental copy and up to hours for a full one (EBS User Guide, "Copy an
Amazon EBS snapshot" and "Create Amazon EBS snapshots"); `ebs_snapshot_copy` is modelled.
A volume made from a snapshot is `creating`, then `available` (API_CreateVolume: the
volume's `State`); `ebs_volume_create` is modelled. moto has both finished at once.

`CreateSnapshot` stays as moto has it (`completed` at once), and the estate the sandbox
provisions exists before the story starts: inside `eks_creation.provisioning()` nothing
here takes time either.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.ec2.models.elastic_block_store import EBSBackend, Volume

from drctl_sandbox import latencies
from drctl_sandbox.aws import eks_creation, state_changes
from drctl_sandbox.clock import CLOCK

_lock = threading.RLock()
_copies: dict[str, tuple[Any, float]] = {}  # snapshot id -> (moto snapshot, AWS time completed)
_volumes: dict[str, float] = {}  # volume id -> AWS time available


def install() -> None:
    """Wrap moto's snapshot copy and volume creation, and the volume's state."""
    EBSBackend.copy_snapshot = _taking(EBSBackend.copy_snapshot, "ebs_snapshot_copy", _pending)  # type: ignore[method-assign]
    EBSBackend.create_volume = _taking(EBSBackend.create_volume, "ebs_volume_create", _creating)  # type: ignore[method-assign]
    EBSBackend.describe_snapshots = state_changes.settling(EBSBackend.describe_snapshots, _settle)  # type: ignore[method-assign]
    moto_status = Volume.status

    def status(volume: Volume) -> str:
        with _lock:
            ready_at = _volumes.get(volume.id)
            if ready_at is not None and CLOCK.now() < ready_at:
                return "creating"
            _volumes.pop(volume.id, None)
        return str(moto_status.fget(volume))  # type: ignore[attr-defined]

    Volume.status = property(status)  # type: ignore[assignment, method-assign]


def reset() -> None:
    """Forget copies and volumes in progress (the server's reset)."""
    with _lock:
        _copies.clear()
        _volumes.clear()


def _settle() -> None:
    now = CLOCK.now()
    with _lock:
        for snapshot_id, (snapshot, done_at) in list(_copies.items()):
            if now >= done_at:
                snapshot.status = "completed"
                del _copies[snapshot_id]


def _pending(snapshot: Any, done_at: float) -> None:
    snapshot.status = "pending"
    _copies[snapshot.id] = (snapshot, done_at)


def _creating(volume: Any, done_at: float) -> None:
    _volumes[volume.id] = done_at


def _taking(original: Any, latency: str, begin: Callable[[Any, float], None]) -> Any:
    """Wrap a moto create call: what it made is in progress (`begin`) for `latency`."""

    def create(self: EBSBackend, *args: Any, **kwargs: Any) -> Any:
        made = original(self, *args, **kwargs)
        took = latencies.seconds(latency)
        if took > 0 and not eks_creation.provisioning_now():
            with _lock:
                begin(made, CLOCK.now() + took)
        return made

    return create
