"""Plan file → `Plan`, with file:line:col errors (the YAML handling lives in `drctl.yamlsource`).

Two rules span fields, so they run over the raw data and point at the offending node: a
resource name used twice (at the second use), and a resource in a region the plan does
not name under `regions:`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from drctl.plan.model import Plan
from drctl.plan.regions import AWS_REGIONS
from drctl.yamlsource import Loc, Located, load_model, read_yaml


def load_plan(path: Path) -> Plan:
    """Load and validate a plan file; the error lists every problem."""
    return load_model(
        path, Plan, checks=(duplicate_names, regions_outside_the_plan, overlapping_roles)
    )


def declaration_lines(path: Path) -> dict[str, int]:
    """The line declaring each resource (its `- kind:` item) and the plan's name, by name."""
    data, node = read_yaml(path)
    lines: dict[str, int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    sections = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    metadata = sections.get("metadata")
    if isinstance(metadata, yaml.MappingNode):
        for key, value in metadata.value:
            if key.value == "name" and isinstance(value, yaml.ScalarNode):
                lines[value.value] = key.start_mark.line + 1
    items = sections.get("resources")
    if isinstance(items, yaml.SequenceNode):
        found = data.get("resources") if isinstance(data, dict) else None
        for resource, item in zip(
            found if isinstance(found, list) else [], items.value, strict=False
        ):
            if isinstance(resource, dict) and isinstance(resource.get("name"), str):
                lines.setdefault(resource["name"], item.start_mark.line + 1)
    return lines


def _resources(data: Any) -> list[tuple[int, dict[str, Any]]]:
    found = data.get("resources") if isinstance(data, dict) else None
    if not isinstance(found, list):
        return []
    return [(i, r) for i, r in enumerate(found) if isinstance(r, dict)]


def duplicate_names(data: Any) -> list[Located]:
    """Each resource whose `name` an earlier resource already has."""
    first: dict[str, int] = {}
    problems = []
    for index, resource in _resources(data):
        name = resource.get("name")
        if not isinstance(name, str):
            continue
        if name in first:
            problems.append(
                Located(
                    ("resources", index, "name"),
                    f"`{name}` is already the name of resources[{first[name]}]",
                    "resource names must be unique; rename this one",
                )
            )
        first.setdefault(name, index)
    return problems


def regions_outside_the_plan(data: Any) -> list[Located]:
    """Every region named inside a resource that is not one of the plan's `regions:`."""
    regions = data.get("regions") if isinstance(data, dict) else None
    if not isinstance(regions, dict):
        return []
    allowed = {v for v in regions.values() if isinstance(v, str)}
    if not allowed <= AWS_REGIONS or len(allowed) < 2:
        return []  # `regions:` itself is wrong; that error comes first and is enough
    listed = ", ".join(sorted(allowed))
    return [
        Located(
            loc,
            f"{value} is not one of the plan's regions ({listed})",
            "add it under `regions:` or use the primary or secondary region",
        )
        for index, resource in _resources(data)
        for loc, value in _region_values(resource, ("resources", index))
        if value not in allowed
    ]


def overlapping_roles(data: Any) -> list[Located]:
    """A region given a second role under `aws.roles`, and a second default entry."""
    aws = data.get("aws") if isinstance(data, dict) else None
    roles = aws.get("roles") if isinstance(aws, dict) else None
    if not isinstance(roles, list):
        return []
    first: dict[str, int] = {}
    default: int | None = None
    problems = []
    for index, role in enumerate(r if isinstance(r, dict) else {} for r in roles):
        regions = role.get("regions")
        if "regions" not in role and default is not None:
            problems.append(
                Located(
                    ("aws", "roles", index),
                    f"aws.roles[{default}] is already the default role (no `regions`)",
                    "name the regions of one of them",
                )
            )
        default = index if "regions" not in role and default is None else default
        for at, region in enumerate(regions if isinstance(regions, list) else []):
            if isinstance(region, str) and first.setdefault(region, index) != index:
                problems.append(
                    Located(
                        ("aws", "roles", index, "regions", at),
                        f"{region} already has the role of aws.roles[{first[region]}]",
                        "give each region one role",
                    )
                )
    return problems


def _region_values(value: Any, loc: Loc, depth: int = 0) -> list[tuple[Loc, str]]:
    """(loc, region) for every AWS region name used as a value or a key below `value`."""
    if depth > 20:
        return []
    if isinstance(value, str):
        return [(loc, value)] if value in AWS_REGIONS else []
    found: list[tuple[Loc, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "arc":
                continue  # an ARC cluster's endpoints live in ARC's own regions, not the plan's
            if isinstance(key, str) and key in AWS_REGIONS:
                found.append(((*loc, key, "[key]"), key))
            found += _region_values(item, (*loc, str(key)), depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _region_values(item, (*loc, i), depth + 1)
    return found
