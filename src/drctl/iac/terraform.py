"""Terraform (HCL) for the Route53 failover and S3 replication parts, equivalent to the
CloudFormation template and replication.json; validated with `terraform validate` in tests.
"""

from __future__ import annotations

from drctl.iac.context import Role
from drctl.iac.files import Kind, RenderedFile, to_json
from drctl.iac.hcl import Block, Expr, Heredoc, Value, document
from drctl.iac.route53 import ROLES, health_check_intent, record_intent, target
from drctl.iac.s3 import ReplicationIntent, permissions_policy, replication_intent, trust_policy
from drctl.plan.model import Plan
from drctl.plan.resources import Route53Failover, S3Replication


def ident(*parts: str) -> str:
    """A Terraform identifier from plan names: `my-app-dns`, `primary` → `my_app_dns_primary`."""
    return "_".join(parts).replace("-", "_").replace(".", "_").lower()


def _provider_alias(region: str) -> str:
    return ident(region)


def providers(plan: Plan) -> str:
    """versions + one aliased aws provider per region the Terraform touches."""
    regions = sorted(
        {plan.regions.primary, *(r.source.region for r in plan.resources_of(S3Replication))}
    )
    required = Block(
        "required_providers", attrs=(("aws", {"source": "hashicorp/aws", "version": ">= 5.0"}),)
    )
    blocks = [Block("terraform", attrs=(("required_version", ">= 1.5"),), blocks=(required,))]
    blocks.append(Block("provider", ("aws",), attrs=(("region", plan.regions.primary),)))
    blocks += [
        Block("provider", ("aws",), attrs=(("alias", _provider_alias(r)), ("region", r)))
        for r in regions
    ]
    return document(*blocks)


def _variable(name: str, description: str, default: str | None = None) -> Block:
    attrs: list[tuple[str, Value]] = [("description", description), ("type", Expr("string"))]
    if default is not None:
        attrs.append(("default", default))
    return Block("variable", (name,), attrs=tuple(attrs))


def _health_check(plan: Plan, resource: Route53Failover, role: Role) -> Block:
    intent = health_check_intent(resource, role)
    end = target(resource, role)
    attrs: list[tuple[str, Value]] = [("type", intent.type)]
    if intent.ip_address:
        attrs.append(("ip_address", intent.ip_address))
    elif end.alb and not end.health_check_host:
        attrs.append(("fqdn", Expr(f"var.{ident(resource.name, role, 'alb_dns_name')}")))
    else:
        attrs.append(("fqdn", intent.fqdn or ""))
    attrs += [
        ("port", intent.port),
        ("resource_path", intent.path),
        ("request_interval", intent.interval),
        ("failure_threshold", intent.failure_threshold),
    ]
    if intent.enable_sni:
        attrs.append(("enable_sni", True))
    attrs.append(("tags", {"Name": f"{resource.name}-{role}", "drctl.io/plan": plan.metadata.name}))
    return Block(
        "resource", ("aws_route53_health_check", ident(resource.name, role)), attrs=tuple(attrs)
    )


def _record(resource: Route53Failover, role: Role) -> Block:
    intent = record_intent(resource, role)
    name = ident(resource.name, role)
    attrs: list[tuple[str, Value]] = [
        ("zone_id", Expr(f"var.{ident(resource.name, 'hosted_zone_id')}")),
        ("name", intent.name),
        ("type", intent.type),
        ("set_identifier", intent.set_identifier),
        ("health_check_id", Expr(f"aws_route53_health_check.{name}.id")),
    ]
    blocks = [Block("failover_routing_policy", attrs=(("type", intent.failover),))]
    if intent.alias:
        alias_attrs: tuple[tuple[str, Value], ...] = (
            ("name", Expr(f"var.{ident(resource.name, role, 'alb_dns_name')}")),
            ("zone_id", Expr(f"var.{ident(resource.name, role, 'alb_zone_id')}")),
            ("evaluate_target_health", True),
        )
        blocks.append(Block("alias", attrs=alias_attrs))
    else:
        attrs += [("ttl", intent.ttl), ("records", Expr(f"[{_quote(intent.value or '')}]"))]
    return Block("resource", ("aws_route53_record", name), attrs=tuple(attrs), blocks=tuple(blocks))


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def route53(plan: Plan, resource: Route53Failover) -> str:
    """Variables, health checks and failover records of one failover resource."""
    blocks = [
        _variable(
            ident(resource.name, "hosted_zone_id"), f"Id of the hosted zone {resource.hosted_zone}"
        )
    ]
    for role in ROLES:
        alb = target(resource, role).alb
        if alb:
            blocks.append(
                _variable(
                    ident(resource.name, role, "alb_dns_name"),
                    f"DNS name of the {role} ALB",
                    alb.dns_name,
                )
            )
            blocks.append(
                _variable(
                    ident(resource.name, role, "alb_zone_id"),
                    f"Hosted zone id of the {role} ALB",
                    alb.hosted_zone_id,
                )
            )
    blocks += [_health_check(plan, resource, role) for role in ROLES]
    blocks += [_record(resource, role) for role in ROLES]
    return document(*blocks)


def _replication_rule(intent: ReplicationIntent) -> Block:
    destination: list[Block] = []
    if intent.rtc:
        minutes = (("minutes", 15),)
        destination.append(
            Block(
                "replication_time",
                attrs=(("status", "Enabled"),),
                blocks=(Block("time", attrs=minutes),),
            )
        )
        destination.append(
            Block(
                "metrics",
                attrs=(("status", "Enabled"),),
                blocks=(Block("event_threshold", attrs=minutes),),
            )
        )
    return Block(
        "rule",
        attrs=(("id", intent.rule_id), ("priority", 1), ("status", "Enabled")),
        blocks=(
            Block("filter", attrs=(("prefix", ""),)),
            Block("delete_marker_replication", attrs=(("status", "Enabled"),)),
            Block(
                "destination",
                attrs=(("bucket", intent.destination_arn),),
                blocks=tuple(destination),
            ),
        ),
    )


def s3(plan: Plan, resource: S3Replication) -> str:
    """The replication role, its policy and the replication configuration of one resource."""
    intent = replication_intent(plan, resource)
    name = ident(resource.name)
    role = Block(
        "resource",
        ("aws_iam_role", f"{name}_replication"),
        attrs=(
            ("name", intent.role_name),
            ("assume_role_policy", Heredoc(to_json(trust_policy()))),
        ),
    )
    policy = Block(
        "resource",
        ("aws_iam_role_policy", f"{name}_replication"),
        attrs=(
            ("name", "s3-replication"),
            ("role", Expr(f"aws_iam_role.{name}_replication.id")),
            ("policy", Heredoc(to_json(permissions_policy(intent)))),
        ),
    )
    config = Block(
        "resource",
        ("aws_s3_bucket_replication_configuration", name),
        attrs=(
            ("provider", Expr(f"aws.{_provider_alias(intent.source_region)}")),
            ("bucket", intent.source_bucket),
            ("role", Expr(f"aws_iam_role.{name}_replication.arn")),
        ),
        blocks=(_replication_rule(intent),),
    )
    return document(role, policy, config)


def render_terraform(plan: Plan, _ctx: object = None) -> list[RenderedFile]:
    """providers.tf plus one .tf file per failover and replication resource (none if neither)."""
    failovers = plan.resources_of(Route53Failover)
    replications = plan.resources_of(S3Replication)
    if not failovers and not replications:
        return []
    files = [
        RenderedFile(path="terraform/providers.tf", kind=Kind.TERRAFORM, content=providers(plan))
    ]
    files += [_tf(f"route53_{ident(r.name)}.tf", route53(plan, r)) for r in failovers]
    files += [_tf(f"s3_{ident(r.name)}.tf", s3(plan, r)) for r in replications]
    return files


def _tf(name: str, content: str) -> RenderedFile:
    return RenderedFile(path=f"terraform/{name}", kind=Kind.TERRAFORM, content=content)
