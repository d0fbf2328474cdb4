"""EBS snapshots copied to the DR region and restored there; EFS replication checked and promoted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from drctl.errors import NotFoundError, ProviderError
from drctl.model import Frozen
from drctl.providers.aws._action import AwsAction, dump
from drctl.providers.aws.clients import AwsClients, aws_errors
from drctl.providers.base import Outcome, Output, Params

STEP_TAG, VOLUME_TAG, SOURCE_TAG = "drctl:step", "drctl:volume", "drctl:source-snapshot"


class Snapshot(Frozen):
    """One EBS snapshot: id, state and the drctl tags that make copies findable."""

    id: str
    region: str
    state: str
    tags: dict[str, str]
    started: datetime | None = None


def find_snapshots(clients: AwsClients, region: str, tags: dict[str, str]) -> list[Snapshot]:
    """This account's snapshots in `region` carrying every tag in `tags`, newest first."""
    filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in tags.items()]
    with aws_errors(f"snapshots {tags}", region):
        found = clients.client("ec2", region).describe_snapshots(
            OwnerIds=["self"], Filters=filters
        )["Snapshots"]
    found.sort(key=lambda s: s["StartTime"], reverse=True)
    return [
        Snapshot(
            id=s["SnapshotId"],
            region=region,
            state=s["State"],
            tags={t["Key"]: t["Value"] for t in s.get("Tags", [])},
            started=s["StartTime"],
        )
        for s in found
    ]


def _tags(resource: str, tags: dict[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": resource, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


class CopyParams(Params):
    """Volumes in the source region to snapshot and copy to the target region."""

    source_region: str
    target_region: str
    volumes: list[str] = Field(min_length=1)


class SnapshotAndCopy(AwsAction[CopyParams]):
    """Snapshot each volume and copy the snapshot to the DR region; tags naming the run step make it repeatable."""

    kind = "aws.ebs.snapshot-and-copy"
    events = frozenset({"CreateSnapshot", "CopySnapshot"})
    Params = CopyParams

    def describe(self) -> str:
        p = self.params
        return f"snapshot {', '.join(p.volumes)} in {p.source_region} and copy to {p.target_region}"

    @property
    def step(self) -> str:
        return f"{self.ctx.run_id}/{self.ctx.step_id}"

    def _source(self, volume: str) -> Snapshot | None:
        found = find_snapshots(
            self.clients, self.params.source_region, {STEP_TAG: self.step, VOLUME_TAG: volume}
        )
        return found[0] if found else None

    def _copy(self, volume: str) -> Snapshot | None:
        found = find_snapshots(
            self.clients, self.params.target_region, {STEP_TAG: self.step, VOLUME_TAG: volume}
        )
        return found[0] if found else None

    def current(self) -> Output:
        return {
            v: {
                "source": dump(self._source(v)) if self._source(v) else None,
                "copy": dump(self._copy(v)) if self._copy(v) else None,
            }
            for v in self.params.volumes
        }

    def apply(self) -> Outcome:
        made = [action for volume in self.params.volumes for action in self._ensure(volume)]
        return Outcome(changed=bool(made), detail="; ".join(made) or "snapshots and copies exist")

    def _ensure(self, volume: str) -> list[str]:
        p, made = self.params, []
        tags = {STEP_TAG: self.step, VOLUME_TAG: volume}
        source = self._source(volume)
        if source is None:
            with aws_errors(f"volume {volume}", p.source_region):
                snap = self.client("ec2", p.source_region).create_snapshot(
                    VolumeId=resolve_volume(self.clients, volume, p.source_region),
                    Description=f"drctl {self.step}",
                    TagSpecifications=_tags("snapshot", tags),
                )
            source = Snapshot(
                id=snap["SnapshotId"], region=p.source_region, state=snap["State"], tags=tags
            )
            made.append(f"snapshot {source.id} of {volume}")
        if self._copy(volume) is None:
            with aws_errors(f"snapshot {source.id}", p.target_region):
                copy = self.client("ec2", p.target_region).copy_snapshot(
                    SourceRegion=p.source_region,
                    SourceSnapshotId=source.id,
                    Description=f"drctl {self.step}",
                    TagSpecifications=_tags("snapshot", {**tags, SOURCE_TAG: source.id}),
                )
            made.append(f"copy {copy['SnapshotId']} in {p.target_region}")
        return made

    def verify(self, deadline: float) -> Output:
        def read() -> dict[str, Snapshot | None]:
            return {v: self._copy(v) for v in self.params.volumes}

        def problem(copies: dict[str, Snapshot | None]) -> str:
            return "; ".join(
                f"copy of {v} is {c.state if c else 'missing'}"
                for v, c in copies.items()
                if c is None or c.state != "completed"
            )

        copies = self.wait(
            read, problem, deadline, f"snapshot copies in {self.params.target_region}"
        )
        return {v: c.id for v, c in copies.items() if c is not None}


class RestoreParams(Params):
    """Restore the newest completed copy of `volume`'s snapshots as a new volume in `region`.

    With `source_region`, copies made by anything (Data Lifecycle Manager, AWS Backup, the
    console) count, found as the readiness check finds them; without it, or while the source
    region does not answer, only the copies drctl tagged.
    """

    region: str
    volume: str
    availability_zone: str
    source_region: str | None = None


class RestoreVolume(AwsAction[RestoreParams]):
    """Create a volume in the DR region from the newest completed copy of a source volume's snapshot."""

    kind = "aws.ebs.restore-volume"
    events = frozenset({"CreateVolume"})
    Params = RestoreParams

    def describe(self) -> str:
        p = self.params
        return f"restore {p.volume} in {p.availability_zone} ({p.region}) from its newest copied snapshot"

    def _snapshot(self) -> Snapshot:
        p = self.params
        copies = [
            s
            for s in find_snapshots(self.clients, p.region, {VOLUME_TAG: p.volume})
            if SOURCE_TAG in s.tags and s.state == "completed"
        ]
        copies += self._any_copy()
        if not copies:
            raise NotFoundError(
                f"no completed copied snapshot of {p.volume}",
                where=f"snapshots in {p.region}",
                hint="run aws.ebs.snapshot-and-copy first, or check the copy schedule (DLM, AWS Backup)",
                code="SnapshotNotFound",
            )
        return max(copies, key=lambda s: s.started or datetime.min.replace(tzinfo=UTC))

    def _any_copy(self) -> list[Snapshot]:
        p = self.params
        if p.source_region is None:
            return []
        try:
            # The source region may be the failed one: ask briefly (a hanging region would
            # otherwise cost eight 30 s reads), and fall back to drctl's own copies.
            copy = newest_copy(self.clients.for_probing(), p.volume, p.source_region, p.region)
        except ProviderError as err:
            if not err.retryable:
                raise
            self.ctx.log(f"{p.source_region} does not answer ({err.code}): drctl's copies only")
            return []
        if copy is None:
            return []
        return [
            Snapshot(id=copy.id, region=p.region, state=copy.state, tags={}, started=copy.started)
        ]

    def _restored(self, snapshot: str) -> dict[str, Any] | None:
        p = self.params
        filters = [
            {"Name": "snapshot-id", "Values": [snapshot]},
            {"Name": f"tag:{STEP_TAG}", "Values": [f"{self.ctx.run_id}/{self.ctx.step_id}"]},
        ]
        with aws_errors(f"volumes from {snapshot}", p.region):
            found = self.client("ec2", p.region).describe_volumes(Filters=filters)["Volumes"]
        return dict(found[0]) if found else None

    def current(self) -> Output:
        snap = self._snapshot()
        return {"snapshot": dump(snap), "restored": bool(self._restored(snap.id))}

    def apply(self) -> Outcome:
        p, snap = self.params, self._snapshot()
        if self._restored(snap.id) is not None:
            return Outcome(changed=False, detail=f"volume from {snap.id} exists")
        tags = {STEP_TAG: f"{self.ctx.run_id}/{self.ctx.step_id}", VOLUME_TAG: p.volume}
        with aws_errors(f"snapshot {snap.id}", p.region):
            vol = self.client("ec2", p.region).create_volume(
                SnapshotId=snap.id,
                AvailabilityZone=p.availability_zone,
                TagSpecifications=_tags("volume", tags),
            )
        return Outcome(changed=True, detail=f"volume {vol['VolumeId']} from {snap.id}")

    def verify(self, deadline: float) -> Output:
        snap = self._snapshot()
        vol = self.wait(
            lambda: self._restored(snap.id),
            lambda v: (
                ""
                if v and v["State"] == "available"
                else f"volume is {v['State'] if v else 'missing'}"
            ),
            deadline,
            f"volume from {snap.id} in {self.params.region}",
        )
        assert vol is not None  # the problem check guarantees it
        return {"volume_id": vol["VolumeId"], "snapshot_id": snap.id}


class CleanupParams(Params):
    """The drill's restore steps whose volumes to delete, in `region`."""

    region: str
    restore_steps: list[str] = Field(min_length=1)


class DeleteRestoredVolumes(AwsAction[CleanupParams]):
    """Drill cleanup: delete the volumes this run's restore steps created (found by their tag)."""

    kind = "aws.ebs.delete-restored-volumes"
    events = frozenset({"DeleteVolume"})
    Params = CleanupParams

    def describe(self) -> str:
        steps = ", ".join(self.params.restore_steps)
        return f"delete the volumes restored by {steps} in {self.params.region}"

    def _volumes(self) -> list[dict[str, Any]]:
        p = self.params
        tags = [f"{self.ctx.run_id}/{step}" for step in p.restore_steps]
        with aws_errors("restored volumes", p.region):
            found = self.client("ec2", p.region).describe_volumes(
                Filters=[{"Name": f"tag:{STEP_TAG}", "Values": tags}]
            )["Volumes"]
        return [v for v in found if v["State"] not in ("deleting", "deleted")]

    def current(self) -> Output:
        return {"volumes": [v["VolumeId"] for v in self._volumes()]}

    def apply(self) -> Outcome:
        volumes = [v["VolumeId"] for v in self._volumes()]
        for volume in volumes:
            with aws_errors(f"volume {volume}", self.params.region):
                self.client("ec2", self.params.region).delete_volume(VolumeId=volume)
        detail = f"deleted {', '.join(volumes)}" if volumes else "no restored volume left"
        return Outcome(changed=bool(volumes), detail=detail, output={"deleted": list(volumes)})

    def verify(self, deadline: float) -> Output:
        self.wait(
            self._volumes,
            lambda left: f"{len(left)} volume(s) not deleted yet" if left else "",
            deadline,
            f"restored volumes in {self.params.region}",
        )
        return {"volumes_left": 0}


class SnapshotCopy(Frozen):
    """A copy in the DR region of one of a volume's snapshots, and when it was taken."""

    id: str
    region: str
    state: str
    started: datetime
    source_snapshot: str


def resolve_volume(clients: AwsClients, volume: str, region: str) -> str:
    """A volume id from an id (`vol-…`) or a `Name` tag."""
    if volume.startswith("vol-"):
        return volume
    with aws_errors(f"volume {volume}", region):
        found = clients.client("ec2", region).describe_volumes(
            Filters=[{"Name": "tag:Name", "Values": [volume]}]
        )["Volumes"]
    if not found:
        raise NotFoundError(
            f"no volume is tagged Name={volume}",
            hint="name the volume by id (vol-…) or tag it `Name`",
            where=f"volume {volume} in {region}",
            code="InvalidVolume.NotFound",
        )
    return str(found[0]["VolumeId"])


def newest_copy(
    clients: AwsClients, volume: str, source_region: str, target_region: str
) -> SnapshotCopy | None:
    """The newest completed copy in `target_region` of any snapshot of `volume` (id or Name tag).

    Copies are recognised by drctl's source-snapshot tag or by the source snapshot id in the
    description (`copy_snapshot`'s default description and most tools put it there).
    """
    volume_id = resolve_volume(clients, volume, source_region)
    with aws_errors(f"snapshots of {volume}", source_region):
        sources = [
            s["SnapshotId"]
            for s in clients.client("ec2", source_region).describe_snapshots(
                OwnerIds=["self"], Filters=[{"Name": "volume-id", "Values": [volume_id]}]
            )["Snapshots"]
        ]
    if not sources:
        return None
    ec2 = clients.client("ec2", target_region)
    with aws_errors(f"copies of {volume}", target_region):
        by_tag = ec2.describe_snapshots(
            OwnerIds=["self"], Filters=[{"Name": f"tag:{SOURCE_TAG}", "Values": sources}]
        )["Snapshots"]
        by_text = ec2.describe_snapshots(
            OwnerIds=["self"],
            Filters=[{"Name": "description", "Values": [f"*{s}*" for s in sources]}],
        )["Snapshots"]
    copies = [
        SnapshotCopy(
            id=s["SnapshotId"],
            region=target_region,
            state=s["State"],
            started=s["StartTime"],
            source_snapshot=next((x for x in sources if x in _origin(s)), ""),
        )
        for s in [*by_tag, *by_text]
        if s["State"] == "completed"
    ]
    return max(copies, key=lambda c: c.started, default=None)


def _origin(snapshot: dict[str, Any]) -> str:
    tags = {t["Key"]: t["Value"] for t in snapshot.get("Tags", [])}
    return f"{tags.get(SOURCE_TAG, '')} {snapshot.get('Description', '')}"


class FileSystemState(Frozen):
    """An EFS file system in one region."""

    id: str
    name: str
    region: str
    state: str


def read_file_system(clients: AwsClients, file_system: str, region: str) -> FileSystemState:
    """An EFS file system by id (`fs-…`), `Name` tag or creation token."""
    with aws_errors(f"file system {file_system}", region):
        found = clients.client("efs", region).describe_file_systems()["FileSystems"]
    for fs in found:
        if file_system in (fs["FileSystemId"], fs.get("Name"), fs.get("CreationToken")):
            return FileSystemState(
                id=fs["FileSystemId"],
                name=fs.get("Name") or "",
                region=region,
                state=fs["LifeCycleState"],
            )
    raise NotFoundError(
        f"file system {file_system} does not exist",
        hint="check the id or Name with `aws efs describe-file-systems`",
        where=f"file system {file_system} in {region}",
        code="FileSystemNotFound",
    )
