"""Secrets Manager and SSM actions against the sandbox over HTTP; secret values never surface."""

from __future__ import annotations

import json
from typing import Any

import pytest

from drctl.errors import NotFoundError
from drctl.providers.aws import secrets

PRIMARY, SECONDARY = "ap-northeast-1", "ap-southeast-1"
VALUE = "s3cr3t-value-never-printed"


def test_replicate_adds_only_the_missing_replica_regions(aws: Any) -> None:
    one, two = aws.name("db-password"), aws.name("api-key")
    sm = aws.client("secretsmanager", PRIMARY)
    sm.create_secret(Name=one, SecretString=VALUE, AddReplicaRegions=[{"Region": SECONDARY}])
    sm.create_secret(Name=two, SecretString=VALUE)
    params = secrets.ReplicateParams(
        region=PRIMARY, secrets=[one, two], replica_regions=[SECONDARY]
    )

    first, verified = aws.prove_idempotent(
        secrets.Replicate(params, aws.ctx(), aws.clients()), PRIMARY, SECONDARY
    )

    assert first.detail == f"{two} -> {SECONDARY}"
    assert verified == {"secrets": [one, two], "replica_regions": [SECONDARY]}
    assert VALUE not in json.dumps([first.model_dump(), verified])


def test_promote_replica_makes_the_dr_copy_standalone_and_keeps_its_value(aws: Any) -> None:
    name = aws.name("db-password")
    aws.client("secretsmanager", PRIMARY).create_secret(
        Name=name, SecretString=VALUE, AddReplicaRegions=[{"Region": SECONDARY}]
    )
    action = secrets.PromoteReplica(
        secrets.PromoteParams(region=SECONDARY, secret=name), aws.ctx(), aws.clients()
    )
    before = action.current()

    first, verified = aws.prove_idempotent(action, PRIMARY, SECONDARY)

    assert before["primary_region"] == PRIMARY and first.changed is True
    assert secrets.read_secret(aws.clients(), name, SECONDARY).is_replica is False
    assert secrets.read_secret(aws.clients(), name, PRIMARY).replicas == {}
    assert (
        aws.client("secretsmanager", SECONDARY).get_secret_value(SecretId=name)["SecretString"]
        == VALUE
    )
    assert VALUE not in json.dumps([before, first.model_dump(), verified, action.describe()])


def test_promoting_a_secret_missing_in_the_dr_region_names_secret_and_region(aws: Any) -> None:
    action = secrets.PromoteReplica(
        secrets.PromoteParams(region=SECONDARY, secret="nope"), aws.ctx(), aws.clients()
    )

    with pytest.raises(NotFoundError) as err:
        action.apply()

    assert err.value.where == f"secret nope in {SECONDARY}"
    assert err.value.code == "ResourceNotFoundException"
    assert err.value.hint


def test_copy_parameters_keeps_secure_strings_secure_and_never_outputs_values(aws: Any) -> None:
    prefix = f"/{aws.name('app')}"
    ssm = aws.client("ssm", PRIMARY)
    ssm.put_parameter(Name=f"{prefix}/db-url", Value="postgres://db", Type="String")
    ssm.put_parameter(Name=f"{prefix}/token", Value=VALUE, Type="SecureString")
    params = secrets.ParametersParams(
        source_region=PRIMARY,
        target_region=SECONDARY,
        names=[f"{prefix}/db-url", f"{prefix}/token"],
    )
    action = secrets.CopyParameters(params, aws.ctx(), aws.clients())

    first, verified = aws.prove_idempotent(action, PRIMARY, SECONDARY)

    assert first.detail == "copied 2 parameter(s)"
    copied = aws.client("ssm", SECONDARY).get_parameter(
        Name=f"{prefix}/token", WithDecryption=True
    )["Parameter"]
    assert (copied["Type"], copied["Value"]) == ("SecureString", VALUE)
    assert VALUE not in json.dumps(
        [first.model_dump(), verified, action.describe(), action.current()]
    )


def test_copying_a_parameter_that_does_not_exist_names_it(aws: Any) -> None:
    params = secrets.ParametersParams(
        source_region=PRIMARY, target_region=SECONDARY, names=["/nope/x"]
    )

    with pytest.raises(NotFoundError) as err:
        secrets.CopyParameters(params, aws.ctx(), aws.clients()).apply()

    assert err.value.message == "SSM parameters /nope/x do not exist"
    assert err.value.where == f"SSM parameters in {PRIMARY}"
