"""Table tests for the advisor: recommendations and plans that cannot meet their objectives."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from drctl.plan.advise import advise, recommend
from drctl.plan.durations import parse_duration
from drctl.plan.load import load_plan
from drctl.plan.model import Strategy

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed-estate.yaml"


@pytest.mark.parametrize(
    ("rto", "rpo", "expected"),
    [
        ("48h", "24h", Strategy.BACKUP_RESTORE),
        ("24h", "24h", Strategy.BACKUP_RESTORE),
        ("4h", "10m", Strategy.PILOT_LIGHT),
        ("1h", "5m", Strategy.PILOT_LIGHT),
        ("30m", "5m", Strategy.WARM_STANDBY),
        ("15m", "1m", Strategy.WARM_STANDBY),
        ("5m", "1m", Strategy.MULTI_SITE),
        ("1m", "1s", Strategy.MULTI_SITE),
        ("30s", "0s", Strategy.MULTI_SITE),
    ],
)
def test_recommendation_is_the_cheapest_strategy_that_fits(
    rto: str, rpo: str, expected: Strategy
) -> None:
    strategy, reasoning = recommend(parse_duration(rto), parse_duration(rpo))
    assert strategy is expected
    assert str(expected) in reasoning


def _plan_with(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(SEED.read_text())
    for dotted, value in changes.items():
        target = data
        *parents, last = dotted.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


# resource index in the seed: 1 route53, 5 s3, 7 ebs
@pytest.mark.parametrize(
    ("changes", "rule", "severity", "words"),
    [
        ({"strategy": "backup-restore"}, "strategy-meets-rto", "error", "backup-restore cannot meet RTO 30m"),
        ({"strategy": "backup-restore"}, "strategy-meets-rpo", "error", "cannot meet RPO 5m"),
        ({"strategy": "pilot-light"}, "strategy-meets-rto", "warning", "pilot-light may miss RTO 30m"),
        ({"resources__7__copy_every": "1h"}, "snapshot-interval-within-rpo", "error", "copies every 1h"),
        ({"resources__5__replication_time_control": False}, "s3-rtc-for-short-rpo", "error", "replication time control is off"),
        ({"resources__1__health_check": {"interval": 30, "failure_threshold": 10}, "objectives": {"rto": "5m", "rpo": "5m"}},
         "dns-failover-within-rto", "error", "30s x 10 checks + TTL 60s"),
        ({"resources__1__ttl": 300, "objectives": {"rto": "10m", "rpo": "5m"}}, "dns-failover-within-rto", "warning", "more than half of the RTO"),
    ],
)  # fmt: skip
def test_plan_that_cannot_meet_its_objectives_is_reported(
    tmp_path: Path, changes: dict[str, object], rule: str, severity: str, words: str
) -> None:
    plan = load_plan(_plan_with(tmp_path, **changes))
    found = [
        f for f in advise(plan.objectives.rto, plan.objectives.rpo, plan).findings if f.rule == rule
    ]
    assert found, f"{rule} not reported"
    assert found[0].severity == severity
    assert words in found[0].message
    assert found[0].hint


def test_seed_plan_meets_its_objectives() -> None:
    plan = load_plan(SEED)
    result = advise(plan.objectives.rto, plan.objectives.rpo, plan)
    assert result.findings == []
    assert result.ok
    assert result.recommended is Strategy.WARM_STANDBY


def test_s3_without_rtc_is_fine_when_rpo_is_15_minutes_or_more(tmp_path: Path) -> None:
    path = _plan_with(
        tmp_path,
        resources__5__replication_time_control=False,
        objectives={"rto": "30m", "rpo": "15m"},
    )
    plan = load_plan(path)
    rules = {f.rule for f in advise(plan.objectives.rto, timedelta(minutes=15), plan).findings}
    assert "s3-rtc-for-short-rpo" not in rules
