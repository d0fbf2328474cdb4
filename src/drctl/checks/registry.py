"""Every readiness rule drctl knows, by id; `--only`/`--skip` select from here."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from drctl.checks.base import Rule
from drctl.checks.drills import DrillRecency
from drctl.checks.elasticache import ElastiCacheGlobalReady
from drctl.checks.iac import IAC_RULES
from drctl.checks.lag import LAG_RULES
from drctl.checks.live import LIVE_RULES
from drctl.checks.live_platform import PLATFORM_RULES
from drctl.checks.rules import STATIC_RULES
from drctl.errors import PlanError

RULES: tuple[Rule, ...] = (
    *STATIC_RULES,
    DrillRecency(),
    *IAC_RULES,
    *LIVE_RULES,
    *LAG_RULES,
    ElastiCacheGlobalReady(),
    *PLATFORM_RULES,
)


def rule_ids() -> list[str]:
    """Every rule id, in registry order."""
    return [r.id for r in RULES]


def get_rule(rule_id: str) -> Rule:
    """The rule with this id; `PlanError` with the closest id otherwise."""
    for rule in RULES:
        if rule.id == rule_id:
            return rule
    close = difflib.get_close_matches(rule_id, rule_ids(), n=1)
    raise PlanError(
        f"no readiness rule `{rule_id}`",
        hint=f"did you mean `{close[0]}`?" if close else "list the rules with `drctl rules`",
    )


def select(
    only: Iterable[str] = (), skip: Iterable[str] = (), *, live: bool = True, static: bool = True
) -> list[Rule]:
    """The rules to run: `only` (all if empty) minus `skip`, limited to static and/or live ones."""
    wanted = {get_rule(i).id for i in only}
    skipped = {get_rule(i).id for i in skip}
    return [
        r
        for r in RULES
        if (not wanted or r.id in wanted) and r.id not in skipped and (live if r.live else static)
    ]
