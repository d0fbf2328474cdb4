"""EBS, EFS, EKS and RDS instance actions against the sandbox over HTTP."""

from __future__ import annotations

import stat
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from drctl.errors import ConfigError, NotFoundError, StateError
from drctl.providers import intents
from drctl.providers.aws import ebs_efs, efs, eks, rds
from drctl.runbook.run import WriteIntent
from drctl_sandbox.aws import outage

PRIMARY, SECONDARY = "ap-northeast-1", "ap-southeast-1"


@pytest.mark.slow
def test_snapshot_and_copy_then_restore_a_volume_in_the_dr_region(aws: Any) -> None:
    volume = aws.client("ec2", PRIMARY).create_volume(AvailabilityZone=f"{PRIMARY}a", Size=8)[
        "VolumeId"
    ]
    copy = ebs_efs.SnapshotAndCopy(
        ebs_efs.CopyParams(source_region=PRIMARY, target_region=SECONDARY, volumes=[volume]),
        aws.ctx("ebs"),
        aws.clients(),
    )

    first, copies = aws.prove_idempotent(copy, PRIMARY, SECONDARY)

    assert first.detail.startswith("snapshot snap-") and f"in {SECONDARY}" in first.detail
    restore = ebs_efs.RestoreVolume(
        ebs_efs.RestoreParams(region=SECONDARY, volume=volume, availability_zone=f"{SECONDARY}b"),
        aws.ctx("restore"),
        aws.clients(),
    )
    restored, verified = aws.prove_idempotent(restore, SECONDARY)
    assert restored.changed is True
    assert verified["snapshot_id"] == copies[volume]
    described = aws.client("ec2", SECONDARY).describe_volumes(VolumeIds=[verified["volume_id"]])[
        "Volumes"
    ][0]
    assert (described["SnapshotId"], described["AvailabilityZone"]) == (
        copies[volume],
        f"{SECONDARY}b",
    )


class _Journal:
    """Like the engine's journal, it holds what cannot be copied (a lock; there, an engine)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.answers: list[WriteIntent] = []

    def intend(
        self, service: str, operation: str, region: str, resource: str, client_token: str
    ) -> WriteIntent:
        seq = len(self.answers) + 1
        return WriteIntent(
            step_id="copy", attempt=1, seq=seq, service=service, operation=operation, region=region
        )

    def answered(self, intent: WriteIntent) -> None:
        with self.lock:
            self.answers.append(intent)


def test_a_journaled_snapshot_copy_survives_botocores_presigning_copy(aws: Any) -> None:
    # botocore deep-copies the CopySnapshot request to presign it for the source region; the
    # pending write intent rode in that request and crashed the step ("cannot pickle").
    volume = aws.client("ec2", PRIMARY).create_volume(AvailabilityZone=f"{PRIMARY}a", Size=8)[
        "VolumeId"
    ]
    copy = ebs_efs.SnapshotAndCopy(
        ebs_efs.CopyParams(source_region=PRIMARY, target_region=SECONDARY, volumes=[volume]),
        aws.ctx("journaled-copy"),
        aws.clients(),
    )
    journal = _Journal()
    with intents.recording(journal):
        copy.apply()
    answered = [(i.operation, i.region, bool(i.request_id)) for i in journal.answers]
    assert answered == [("CreateSnapshot", PRIMARY, True), ("CopySnapshot", SECONDARY, True)]


def test_restore_uses_a_copy_made_outside_drctl_and_drill_cleanup_deletes_the_volume(
    aws: Any,
) -> None:
    ec2, dr = aws.client("ec2", PRIMARY), aws.client("ec2", SECONDARY)
    volume = ec2.create_volume(AvailabilityZone=f"{PRIMARY}a", Size=8)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    copied = dr.copy_snapshot(  # as Data Lifecycle Manager copies: no drctl tags
        SourceRegion=PRIMARY,
        SourceSnapshotId=snapshot,
        Description=f"Copied for DestinationRegion {SECONDARY} from {snapshot}",
    )["SnapshotId"]
    step = aws.name("restore")  # run ids are unique; the session's sandbox is shared
    restore = ebs_efs.RestoreVolume(
        ebs_efs.RestoreParams(
            region=SECONDARY,
            volume=volume,
            availability_zone=f"{SECONDARY}a",
            source_region=PRIMARY,
        ),
        aws.ctx(step),
        aws.clients(),
    )

    _, verified = aws.prove_idempotent(restore, SECONDARY)

    assert verified["snapshot_id"] == copied
    cleanup = ebs_efs.DeleteRestoredVolumes(
        ebs_efs.CleanupParams(region=SECONDARY, restore_steps=[step]),
        aws.ctx("cleanup"),
        aws.clients(),
    )
    first, _ = aws.prove_idempotent(cleanup, SECONDARY)
    assert first.output == {"deleted": [verified["volume_id"]]}
    left = dr.describe_volumes(Filters=[{"Name": "volume-id", "Values": [verified["volume_id"]]}])
    assert left["Volumes"] == []


def test_restoring_without_any_copied_snapshot_says_what_to_run_first(aws: Any) -> None:
    restore = ebs_efs.RestoreVolume(
        ebs_efs.RestoreParams(
            region=SECONDARY, volume="vol-0123456789abcdef0", availability_zone=f"{SECONDARY}a"
        ),
        aws.ctx(),
        aws.clients(),
    )

    with pytest.raises(NotFoundError) as err:
        restore.apply()

    assert err.value.where == f"snapshots in {SECONDARY}"
    assert "snapshot-and-copy" in err.value.hint


def test_efs_replication_is_verified_then_the_replica_is_promoted(aws: Any) -> None:
    source = aws.client("efs", PRIMARY).create_file_system(CreationToken=aws.name("fs"))[
        "FileSystemId"
    ]
    config = aws.client("efs", PRIMARY).create_replication_configuration(
        SourceFileSystemId=source, Destinations=[{"Region": SECONDARY}]
    )
    replica = config["Destinations"][0]["FileSystemId"]
    check = efs.VerifyReplication(
        efs.VerifyParams(region=PRIMARY, file_system=source, target_region=SECONDARY),
        aws.ctx(),
        aws.clients(),
    )

    _, verified = aws.prove_idempotent(check, PRIMARY, SECONDARY)
    assert verified == {"destination_file_system": replica}

    promote = efs.PromoteReplica(
        efs.PromoteParams(region=SECONDARY, file_system=replica), aws.ctx(), aws.clients()
    )
    first, _ = aws.prove_idempotent(promote, PRIMARY, SECONDARY)
    assert first.detail == f"replication from {source} ({PRIMARY}) deleted"
    assert first.output == {"deletion_mode": "ALL_CONFIGURATIONS"}
    fs = aws.client("efs", SECONDARY).describe_file_systems(FileSystemId=replica)["FileSystems"][0]
    assert fs["FileSystemProtection"]["ReplicationOverwriteProtection"] == "ENABLED"


def test_efs_replica_is_promoted_with_local_deletion_while_the_source_region_is_down(
    aws: Any,
) -> None:
    source = aws.client("efs", PRIMARY).create_file_system(CreationToken=aws.name("fs"))[
        "FileSystemId"
    ]
    config = aws.client("efs", PRIMARY).create_replication_configuration(
        SourceFileSystemId=source, Destinations=[{"Region": SECONDARY}]
    )
    replica = config["Destinations"][0]["FileSystemId"]
    promote = efs.PromoteReplica(
        efs.PromoteParams(region=SECONDARY, file_system=replica),
        aws.ctx(),
        aws.clients(max_attempts=1),
    )

    outage.block(PRIMARY)
    try:
        first, _ = aws.prove_idempotent(promote, SECONDARY)
    finally:
        outage.unblock(PRIMARY)

    assert first.output == {"deletion_mode": "LOCAL_CONFIGURATION_ONLY"}
    fs = aws.client("efs", SECONDARY).describe_file_systems(FileSystemId=replica)["FileSystems"][0]
    assert fs["FileSystemProtection"]["ReplicationOverwriteProtection"] == "ENABLED"


def test_promoting_an_efs_replica_that_does_not_exist_names_it(aws: Any) -> None:
    promote = efs.PromoteReplica(
        efs.PromoteParams(region=SECONDARY, file_system="fs-00000000"), aws.ctx(), aws.clients()
    )

    with pytest.raises(NotFoundError) as err:
        promote.apply()

    assert err.value.where == f"file system fs-00000000 in {SECONDARY}"


def eks_cluster(aws: Any, region: str = SECONDARY) -> str:
    cluster: str = aws.name("my-cluster")
    client = aws.client("eks", region)
    client.create_cluster(
        name=cluster,
        version="1.29",
        roleArn="arn:aws:iam::123456789012:role/eks",
        resourcesVpcConfig={"subnetIds": ["subnet-1"]},
    )
    for ng in ("web", "batch"):
        client.create_nodegroup(
            clusterName=cluster,
            nodegroupName=ng,
            subnets=["subnet-1"],
            nodeRole="arn:aws:iam::123456789012:role/node",
            scalingConfig={"minSize": 0, "maxSize": 3, "desiredSize": 0},
        )
    return cluster


def test_scaling_nodegroups_updates_only_those_that_differ(aws: Any) -> None:
    cluster = eks_cluster(aws)
    params = eks.ScaleParams(
        region=SECONDARY,
        cluster=cluster,
        nodegroups=[
            {"name": "web", "desired": 3, "min": 2, "max": 6},
            {"name": "batch", "desired": 0, "min": 0, "max": 3},
        ],
    )

    first, verified = aws.prove_idempotent(
        eks.ScaleNodegroups(params, aws.ctx(), aws.clients()), SECONDARY
    )

    assert first.detail == "resized: web"
    assert verified["web"] == {"name": "web", "status": "ACTIVE", "desired": 3, "min": 2, "max": 6}


def test_scaling_a_nodegroup_of_a_cluster_in_the_wrong_region_is_not_found(aws: Any) -> None:
    cluster = eks_cluster(aws)
    params = eks.ScaleParams(
        region=PRIMARY,
        cluster=cluster,
        nodegroups=[{"name": "web", "desired": 1, "min": 1, "max": 2}],
    )

    with pytest.raises(NotFoundError) as err:
        eks.ScaleNodegroups(params, aws.ctx(), aws.clients()).apply()

    assert err.value.where == f"nodegroup web of EKS cluster {cluster} in {PRIMARY}"


def test_verify_cluster_checks_status_and_kubernetes_version(aws: Any) -> None:
    cluster = eks_cluster(aws)
    action = eks.VerifyCluster(
        eks.ClusterParams(region=SECONDARY, cluster=cluster, version="1.29"),
        aws.ctx(),
        aws.clients(),
    )

    _, verified = aws.prove_idempotent(action, SECONDARY)

    assert (verified["status"], verified["version"]) == ("ACTIVE", "1.29")


FAKE_EKSCTL = """#!{python}
# A stand-in for eksctl: reads metadata from the ClusterConfig and creates the cluster in the sandbox.
import sys, boto3, yaml
config = yaml.safe_load(open(sys.argv[sys.argv.index("-f") + 1]))
meta = config["metadata"]
boto3.client("eks", region_name=meta["region"]).create_cluster(
    name=meta["name"], version=str(meta.get("version", "1.29")),
    roleArn="arn:aws:iam::123456789012:role/eksctl", resourcesVpcConfig={{"subnetIds": ["subnet-1"]}})
print("EKS cluster", meta["name"], "is ready")
"""


def test_create_cluster_runs_eksctl_once_and_skips_an_existing_cluster(
    aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    eksctl = tmp_path / "eksctl"
    eksctl.write_text(FAKE_EKSCTL.format(python=sys.executable))
    eksctl.chmod(eksctl.stat().st_mode | stat.S_IEXEC)
    for key, value in {**aws.server.env(), "AWS_ACCESS_KEY_ID": aws.access_key}.items():
        monkeypatch.setenv(key, value)
    name = aws.name("dr-cluster")
    config = tmp_path / "cluster.yaml"
    config.write_text(
        f"apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata:\n  name: {name}\n  region: {SECONDARY}\n"
    )
    params = eks.CreateParams(
        region=SECONDARY, cluster=name, config_path=config, eksctl=str(eksctl)
    )

    first, verified = aws.prove_idempotent(
        eks.CreateCluster(params, aws.ctx(), aws.clients()), SECONDARY
    )

    assert first.changed is True and verified["status"] == "ACTIVE"


def test_create_cluster_without_eksctl_is_a_config_error_with_a_hint(
    aws: Any, tmp_path: Path
) -> None:
    params = eks.CreateParams(
        region=SECONDARY,
        cluster=aws.name("absent"),
        config_path=tmp_path / "c.yaml",
        eksctl=str(tmp_path / "no-eksctl-here"),
    )

    with pytest.raises(ConfigError) as err:
        eks.CreateCluster(params, aws.ctx(), aws.clients()).apply()

    assert "is not installed" in err.value.message and "eksctl.io" in err.value.hint


def source_and_replica(aws: Any) -> tuple[str, str]:
    source, replica = aws.name("orders-db"), aws.name("orders-db-replica")
    arn = aws.client("rds", PRIMARY).create_db_instance(
        DBInstanceIdentifier=source,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
        MultiAZ=True,
    )["DBInstance"]["DBInstanceArn"]
    aws.client("rds", SECONDARY).create_db_instance_read_replica(
        DBInstanceIdentifier=replica, SourceDBInstanceIdentifier=arn, DBInstanceClass="db.t3.micro"
    )
    return source, replica


def test_promote_read_replica_makes_it_standalone_and_repeats_as_a_no_op(aws: Any) -> None:
    source, replica = source_and_replica(aws)
    action = rds.PromoteReadReplica(
        rds.InstanceParams(region=SECONDARY, instance=replica), aws.ctx(), aws.clients()
    )

    first, verified = aws.prove_idempotent(action, PRIMARY, SECONDARY)

    assert first.detail.startswith("promoted from arn:aws:rds:ap-northeast-1:")
    assert str(verified["endpoint"]).startswith(replica)
    assert rds.read_instance(aws.clients(), source, PRIMARY).replicas == ()


def test_reboot_with_failover_runs_once_per_step(aws: Any) -> None:
    source, _ = source_and_replica(aws)
    action = rds.RebootFailover(
        rds.AzFailoverParams(region=PRIMARY, instance=source), aws.ctx("az"), aws.clients()
    )

    first, _ = aws.prove_idempotent(action, PRIMARY)

    assert first.changed is True


def test_reboot_with_failover_leaves_a_writer_that_is_outside_the_failed_az_alone(
    aws: Any,
) -> None:
    source, _ = source_and_replica(aws)
    writer_az = rds.read_instance(aws.clients(), source, PRIMARY).availability_zone
    elsewhere = "ap-northeast-1d" if writer_az != "ap-northeast-1d" else "ap-northeast-1c"
    action = rds.RebootFailover(
        rds.AzFailoverParams(region=PRIMARY, instance=source, away_from_az=elsewhere),
        aws.ctx("az"),
        aws.clients(),
    )

    first, _ = aws.prove_idempotent(action, PRIMARY)

    assert first.changed is False
    assert first.detail == f"writer is in {writer_az}, not {elsewhere}: no failover needed"
    assert "RebootDBInstance" not in aws.writes(PRIMARY, since=aws.started)


def test_reboot_with_failover_of_a_single_az_instance_is_a_state_error(aws: Any) -> None:
    name = aws.name("single-az")
    aws.client("rds", PRIMARY).create_db_instance(
        DBInstanceIdentifier=name,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
        MultiAZ=False,
    )

    with pytest.raises(StateError) as err:
        rds.RebootFailover(
            rds.AzFailoverParams(region=PRIMARY, instance=name), aws.ctx(), aws.clients()
        ).apply()

    assert err.value.where == f"DB instance {name} in {PRIMARY}" and "Multi-AZ" in err.value.hint


def test_promoting_a_replica_that_does_not_exist_names_instance_and_region(aws: Any) -> None:
    with pytest.raises(NotFoundError) as err:
        rds.PromoteReadReplica(
            rds.InstanceParams(region=SECONDARY, instance="ghost"), aws.ctx(), aws.clients()
        ).apply()

    assert err.value.where == f"DB instance ghost in {SECONDARY}"
    assert err.value.code == "DBInstanceNotFound"
