"""One recipe per resource kind: the registry the compiler and the checks look kinds up in.

A new resource kind is its plan model, its recipe module and one line in `_RECIPES`;
no scenario module changes.
"""

from __future__ import annotations

from typing import Any

from drctl.plan.model import Plan
from drctl.plan.resources import ResourceBase
from drctl.runbook.recipes.aurora import AuroraGlobalRecipe
from drctl.runbook.recipes.base import Recipe, Side
from drctl.runbook.recipes.dynamodb import DynamoDbGlobalTableRecipe
from drctl.runbook.recipes.ebs import EbsSnapshotsRecipe
from drctl.runbook.recipes.efs import EfsRecipe
from drctl.runbook.recipes.eks import EksClusterRecipe
from drctl.runbook.recipes.elasticache import ElastiCacheGlobalRecipe
from drctl.runbook.recipes.gitops import GitOpsRecipe
from drctl.runbook.recipes.postgres import PostgresReplicaRecipe
from drctl.runbook.recipes.rds import RdsReplicaRecipe
from drctl.runbook.recipes.route53 import Route53FailoverRecipe
from drctl.runbook.recipes.s3 import S3ReplicationRecipe
from drctl.runbook.recipes.secrets import SecretsRecipe

__all__ = ["Recipe", "Side", "models", "recipe_for", "recipes"]

_RECIPES: tuple[type[Recipe[Any]], ...] = (
    EksClusterRecipe,
    Route53FailoverRecipe,
    AuroraGlobalRecipe,
    RdsReplicaRecipe,
    DynamoDbGlobalTableRecipe,
    ElastiCacheGlobalRecipe,
    S3ReplicationRecipe,
    EfsRecipe,
    EbsSnapshotsRecipe,
    SecretsRecipe,
    GitOpsRecipe,
    PostgresReplicaRecipe,
)
_BY_MODEL: dict[type[ResourceBase], type[Recipe[Any]]] = {r.model: r for r in _RECIPES}


def models() -> list[type[ResourceBase]]:
    """The resource models that have a recipe."""
    return list(_BY_MODEL)


def recipe_for(resource: ResourceBase, plan: Plan) -> Recipe[Any]:
    """The recipe of `resource`, bound to it and its plan."""
    return _BY_MODEL[type(resource)](resource, plan)


def recipes(plan: Plan) -> list[Recipe[Any]]:
    """A recipe for every resource of `plan`, in plan order."""
    return [recipe_for(resource, plan) for resource in plan.resources]
