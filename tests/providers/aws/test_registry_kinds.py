"""Every AWS action kind is registered, imports, and its class says which kind it is."""

from __future__ import annotations

import pytest

from drctl.providers import registry

AWS_KINDS = [k for k in registry.kinds() if k.startswith("aws.")]


def test_every_aws_kind_is_registered_with_drill_cleanup_and_elasticache() -> None:
    assert len(AWS_KINDS) == 30
    assert "aws.s3.batch-replicate" in AWS_KINDS
    assert "aws.ebs.delete-restored-volumes" in AWS_KINDS
    assert "aws.elasticache.failover-global" in AWS_KINDS


@pytest.mark.parametrize("kind", AWS_KINDS)
def test_aws_kind_resolves_to_a_documented_class_of_that_kind(kind: str) -> None:
    cls = registry.action_class(kind)
    assert cls.kind == kind
    assert cls.__doc__ and cls.Params.__doc__
    assert cls.Params.model_config.get("extra") == "forbid"
