"""A corpus of broken plans: each yields one located, human error (file:line:col + hint)."""

from __future__ import annotations

from pathlib import Path

import pytest

from drctl.errors import PlanError
from drctl.plan.load import load_plan

BASE = """\
apiVersion: drctl/v1
kind: DRPlan
metadata:
  name: shop
  owner: platform
  contacts:
    - name: On-call
objectives:
  rto: 30m
  rpo: 5m
strategy: warm-standby
regions:
  primary: ap-northeast-1
  secondary: ap-southeast-1
resources:
  - kind: eks-cluster
    name: shop-cluster
    clusters: {ap-northeast-1: shop, ap-southeast-1: shop}
    nodegroups:
      - name: ng-1
        active: {desired: 3, min: 2, max: 4}
  - kind: route53-failover
    name: shop-dns
    hosted_zone: example.com
    record: shop.example.com
    primary: {region: ap-northeast-1, value: 10.0.0.1}
    secondary: {region: ap-southeast-1, value: 10.1.0.1}
    health_check: {path: /health, interval: 10}
"""

# (case id, text to replace, replacement, expected line, expected words in message, words in hint)
CASES = [
    ("rto-without-unit", "rto: 30m", "rto: 30", 9, "objectives.rto: `30` needs a unit", ""),
    ("rpo-not-a-duration", "rpo: 5m", "rpo: five minutes", 10, "is not a duration", ""),
    (
        "unknown-strategy",
        "strategy: warm-standby",
        "strategy: warm",
        11,
        "strategy: Input should be",
        "",
    ),
    (
        "same-regions",
        "secondary: ap-southeast-1",
        "secondary: ap-northeast-1",
        12,
        "both ap-northeast-1",
        "",
    ),
    (
        "not-a-region",
        "primary: ap-northeast-1",
        "primary: ap-northeast-9",
        13,
        "not an AWS region; did you mean",
        "",
    ),
    (
        "typo-key",
        "  owner: platform",
        "  ownr: platform",
        5,
        "metadata.ownr: Extra inputs",
        "did you mean `owner`",
    ),
    (
        "missing-owner",
        "  owner: platform\n",
        "",
        3,
        "metadata.owner: Field required",
        "add `owner:`",
    ),
    (
        "duplicate-key",
        "  rpo: 5m",
        "  rpo: 5m\n  rpo: 10m",
        11,
        "duplicate key `rpo`",
        "each key may appear once",
    ),
    ("bad-yaml-indent", "  rto: 30m", "   rto: 30m\n  x", 10, "YAML syntax error", "indentation"),
    (
        "unknown-resource-kind",
        "  - kind: eks-cluster",
        "  - kind: eks",
        16,
        "resources[0]: Input tag 'eks'",
        "did you mean `eks-cluster`?",
    ),
    (
        "capacity-out-of-order",
        "{desired: 3, min: 2, max: 4}",
        "{desired: 5, min: 2, max: 4}",
        21,
        "min <= desired <= max",
        "",
    ),
    (
        "interval-not-10-or-30",
        "interval: 10}",
        "interval: 15}",
        28,
        "health_check.interval: Input should be 10 or 30",
        "",
    ),
    (
        "health-path-relative",
        "path: /health",
        "path: health",
        28,
        "health_check.path: String should match",
        "",
    ),
    (
        "target-without-value",
        "primary: {region: ap-northeast-1, value: 10.0.0.1}",
        "primary: {region: ap-northeast-1}",
        26,
        "exactly one of `alb`",
        "",
    ),
    (
        "typo-in-resource",
        "    hosted_zone: example.com",
        "    hosted_zon: example.com",
        24,
        "resources[1].hosted_zon: Extra inputs",
        "did you mean `hosted_zone`",
    ),
    (
        "version-as-number",
        "    name: shop-cluster",
        "    name: shop-cluster\n    version: 1.29",
        18,
        "version: Input should be a valid string",
        "quote the value",
    ),
    (
        "wrong-api-version",
        "apiVersion: drctl/v1",
        "apiVersion: drctl/v2",
        1,
        "apiVersion: Input should be 'drctl/v1'",
        "",
    ),
    (
        "no-resources",
        BASE[BASE.index("resources:") :],
        "resources: []\n",
        15,
        "resources: List should have at least 1 item",
        "",
    ),
    (
        "metadata-name-uppercase",
        "  name: shop\n",
        "  name: Shop\n",
        4,
        "metadata.name: String should match",
        "",
    ),
    (
        "negative-ttl",
        "    record: shop.example.com",
        "    record: shop.example.com\n    ttl: -5",
        26,
        "ttl: Input should be greater than or equal to 0",
        "",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "line", "message", "hint"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_broken_plan_gives_located_error(
    tmp_path: Path, old: str, new: str, line: int, message: str, hint: str
) -> None:
    assert old in BASE, "the case must change the base plan"
    path = tmp_path / "plan.yaml"
    path.write_text(BASE.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PlanError) as info:
        load_plan(path)
    error = info.value
    assert error.where.startswith(f"{path}:{line}:"), str(error)
    assert message in error.message
    assert hint in error.hint
    assert "\n" not in str(error)


def test_base_plan_of_the_corpus_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(BASE, encoding="utf-8")
    assert load_plan(path).metadata.name == "shop"


def test_missing_file_is_a_plan_error(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read"):
        load_plan(tmp_path / "nope.yaml")


def test_several_problems_are_each_listed_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(
        BASE.replace("rto: 30m", "rto: 30").replace("rpo: 5m", "rpo: 5"), encoding="utf-8"
    )
    with pytest.raises(PlanError) as info:
        load_plan(path)
    assert [(p.where, p.message) for p in info.value.problems] == [
        (f"{path}:9:3", "objectives.rto: `30` needs a unit, e.g. `30m` (units: s, m, h, d, w)"),
        (f"{path}:10:3", "objectives.rpo: `5` needs a unit, e.g. `5m` (units: s, m, h, d, w)"),
    ]
    assert "more problem" not in str(info.value)
