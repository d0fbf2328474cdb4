"""`drctl init`: a commented starter plan that validates, for the user's regions and resource kinds."""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib.resources import files

import jinja2

from drctl.plan.model import Strategy

_DEFAULTS: dict[Strategy, tuple[str, str, int]] = {
    Strategy.BACKUP_RESTORE: ("24h", "24h", 0),
    Strategy.PILOT_LIGHT: ("1h", "5m", 0),
    Strategy.WARM_STANDBY: ("30m", "5m", 1),
    Strategy.MULTI_SITE: ("5m", "1m", 3),
}
STARTER_KINDS: tuple[str, ...] = (
    "eks-cluster",
    "route53-failover",
    "aurora-global",
    "rds-replica",
    "dynamodb-global-table",
    "s3-replication",
    "efs",
    "ebs-snapshots",
    "secrets",
    "gitops",
)
"""The resource kinds `drctl init --resources` can write an example of."""


def default_kinds(strategy: Strategy) -> tuple[str, ...]:
    """What a starter holds when `--resources` is not given: a cluster, DNS, data, secrets."""
    data = "ebs-snapshots" if strategy is Strategy.BACKUP_RESTORE else "aurora-global"
    return ("eks-cluster", "route53-failover", data, "secrets")


def short_region(region: str) -> str:
    """AWS's short form of a region, as in resource names: `ap-northeast-1` → `apne1`."""
    words = {"north": "n", "south": "s", "east": "e", "west": "w", "central": "c"}
    parts = region.split("-")
    middle = re.sub("|".join(words), lambda m: words[m.group(0)], "".join(parts[1:-1]))
    return parts[0] + middle + parts[-1]


def starter_plan(
    name: str,
    strategy: Strategy,
    filename: str = "drplan.yaml",
    *,
    primary: str = "ap-northeast-1",
    secondary: str = "ap-southeast-1",
    kinds: Sequence[str] | None = None,
) -> str:
    """The text of a starter plan for `strategy` with objectives that strategy can meet."""
    rto, rpo, standby = _DEFAULTS[strategy]
    source = files("drctl.plan").joinpath("starter.yaml.j2").read_text(encoding="utf-8")
    template = jinja2.Template(source, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    text: str = template.render(
        name=name,
        strategy=strategy.value,
        rto=rto,
        rpo=rpo,
        standby=standby,
        filename=filename,
        primary=primary,
        secondary=secondary,
        short={r: short_region(r) for r in (primary, secondary)},
        kinds=list(kinds or default_kinds(strategy)),
        rtc=rpo != "24h",
    )
    return text
