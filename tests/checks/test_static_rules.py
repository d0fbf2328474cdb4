"""Static rules: each passes on the seed estate and goes red on a plan that breaks it."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from tests.checks.conftest import SEED, about, only

from drctl.checks.context import CheckContext
from drctl.checks.model import Severity
from drctl.clock import FakeClock
from drctl.plan.load import load_plan
from drctl.plan.model import Plan
from drctl.runbook.run import Run, RunStatus

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def variant(tmp_path: Path, change: Any) -> tuple[Plan, Path]:
    """The seed plan with `change(data)` applied, written beside copies of its IaC files."""
    data = yaml.safe_load(SEED.read_text())
    change(data)
    shutil.copytree(SEED.parent / "iac", tmp_path / "iac")
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_plan(path), path


def static(plan: Plan, path: Path | None = None, runs: list[Run] | None = None) -> CheckContext:
    return CheckContext(
        plan=plan, plan_path=path or SEED, clock=FakeClock(NOW), history=lambda: runs or []
    )


def resource(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in data["resources"] if r["name"] == name)


def test_ownership_declared_passes_when_every_contact_has_an_email(seed: Plan) -> None:
    assert only("ownership-declared", static(seed)) == []


def test_ownership_declared_fails_for_a_contact_without_email_or_phone(tmp_path: Path) -> None:
    plan, path = variant(tmp_path, lambda d: d["metadata"]["contacts"].append({"name": "Nobody"}))
    assert about(only("ownership-declared", static(plan, path)), "my-app") == [
        "contact `Nobody` has no email or phone"
    ]


def test_dr_counterpart_passes_when_everything_has_a_copy_in_the_dr_region(seed: Plan) -> None:
    assert only("dr-counterpart", static(seed)) == []


def test_dr_counterpart_fails_for_a_bucket_replicated_to_a_third_region(tmp_path: Path) -> None:
    def elsewhere(d: dict[str, Any]) -> None:
        # A region outside `regions:` is a load error; the plan's drill region is not DR either.
        d["regions"]["test"] = "eu-west-1"
        resource(d, "assets")["destination"]["region"] = "eu-west-1"

    plan, path = variant(tmp_path, elsewhere)
    assert about(only("dr-counterpart", static(plan, path)), "assets") == [
        "s3-replication `assets` has nothing in the DR region ap-southeast-1"
    ]


def test_route53_health_check_path_passes_on_health(seed: Plan) -> None:
    assert only("route53-health-check-path", static(seed)) == []


def test_route53_health_check_path_warns_for_another_path(tmp_path: Path) -> None:
    plan, path = variant(
        tmp_path, lambda d: resource(d, "my-app-dns")["health_check"].update(path="/")
    )
    found = only("route53-health-check-path", static(plan, path))
    assert [(f.resource, f.severity, f.message) for f in found] == [
        ("my-app-dns", Severity.WARNING, "health check probes /, not /health")
    ]


def test_route53_data_plane_failover_names_each_control_plane_call_of_the_default_switch(
    seed: Plan,
) -> None:
    found = only("route53-data-plane-failover", static(seed))
    assert [f.message for f in found] == [
        "switching my-app.example.com (disable-health-check) depends on Route 53 "
        "control-plane calls in us-east-1: UpdateHealthCheck, GetHealthCheck"
    ]


def test_route53_data_plane_failover_passes_with_arc_routing_controls(tmp_path: Path) -> None:
    arc = {
        "cluster_endpoints": {"us-west-2": "https://host-aaaaaa.us-west-2.example.com/v1"},
        "primary": "arn:aws:route53-recovery-control::111122223333:controlpanel/p/routingcontrol/a",
        "secondary": "arn:aws:route53-recovery-control::111122223333:controlpanel/p/routingcontrol/b",
    }
    plan, path = variant(
        tmp_path,
        lambda d: resource(d, "my-app-dns").update(switch="arc-routing-control", arc=arc),
    )
    assert only("route53-data-plane-failover", static(plan, path)) == []


def test_route53_data_plane_failover_warns_when_the_switch_upserts_records(tmp_path: Path) -> None:
    plan, path = variant(
        tmp_path, lambda d: resource(d, "my-app-dns").update(switch="record-upsert")
    )
    found = only("route53-data-plane-failover", static(plan, path))
    assert [(f.resource, f.severity) for f in found] == [("my-app-dns", Severity.WARNING)]
    assert "ChangeResourceRecordSets" in found[0].message and "us-east-1" in found[0].message


def test_probes_declared_passes_with_probe_and_canary(seed: Plan) -> None:
    assert only("probes-declared", static(seed)) == []


def test_probes_declared_warns_without_a_canary(tmp_path: Path) -> None:
    plan, path = variant(tmp_path, lambda d: d["probes"].pop("canary"))
    assert about(only("probes-declared", static(plan, path)), "my-app") == [
        "no data canary (RPO): it cannot be measured in drills"
    ]


def test_strategy_meets_rto_passes_for_warm_standby_and_30m(seed: Plan) -> None:
    assert only("strategy-meets-rto", static(seed)) == []


def test_strategy_meets_rto_fails_for_backup_restore_and_30m(tmp_path: Path) -> None:
    plan, path = variant(tmp_path, lambda d: d.update(strategy="backup-restore"))
    found = only("strategy-meets-rto", static(plan, path))
    assert [(f.resource, f.severity) for f in found] == [("my-app", Severity.ERROR)]


def test_strategy_meets_rpo_passes_for_warm_standby_and_5m(seed: Plan) -> None:
    assert only("strategy-meets-rpo", static(seed)) == []


def test_strategy_meets_rpo_fails_for_pilot_light_and_no_data_loss(tmp_path: Path) -> None:
    plan, path = variant(
        tmp_path, lambda d: d.update(strategy="pilot-light") or d["objectives"].update(rpo="0s")
    )
    assert [f.severity for f in only("strategy-meets-rpo", static(plan, path))] == [Severity.ERROR]


def test_snapshot_interval_within_rpo_passes_for_copies_every_5m(seed: Plan) -> None:
    assert only("snapshot-interval-within-rpo", static(seed)) == []


def test_snapshot_interval_within_rpo_fails_for_hourly_copies(tmp_path: Path) -> None:
    plan, path = variant(tmp_path, lambda d: resource(d, "batch-volumes").update(copy_every="1h"))
    assert (
        len(about(only("snapshot-interval-within-rpo", static(plan, path)), "batch-volumes")) == 1
    )


def test_s3_rtc_for_short_rpo_passes_with_rtc(seed: Plan) -> None:
    assert only("s3-rtc-for-short-rpo", static(seed)) == []


def test_s3_rtc_for_short_rpo_fails_without_rtc(tmp_path: Path) -> None:
    plan, path = variant(
        tmp_path, lambda d: resource(d, "assets").update(replication_time_control=False)
    )
    assert len(about(only("s3-rtc-for-short-rpo", static(plan, path)), "assets")) == 1


def test_dns_failover_within_rto_passes_with_10s_checks(seed: Plan) -> None:
    assert only("dns-failover-within-rto", static(seed)) == []


def test_dns_failover_within_rto_fails_when_the_ttl_eats_the_rto(tmp_path: Path) -> None:
    plan, path = variant(tmp_path, lambda d: resource(d, "my-app-dns").update(ttl=3600))
    found = only("dns-failover-within-rto", static(plan, path))
    assert [(f.resource, f.severity) for f in found] == [("my-app-dns", Severity.ERROR)]


def test_dns_switch_survives_dead_primary_passes_with_disable(seed: Plan) -> None:
    assert only("dns-switch-survives-dead-primary", static(seed)) == []


def test_dns_switch_survives_dead_primary_fails_with_invert(tmp_path: Path) -> None:
    plan, path = variant(
        tmp_path, lambda d: resource(d, "my-app-dns").update(switch="invert-health-check")
    )
    found = only("dns-switch-survives-dead-primary", static(plan, path))
    assert [(f.resource, f.severity) for f in found] == [("my-app-dns", Severity.WARNING)]


def drill(
    scenario: str,
    ended: datetime,
    status: RunStatus = "succeeded",
    dry_run: bool = False,
    *,
    plan: Plan,
) -> Run:
    """A run of the runbook compiled from `plan` (its journal holds the plan's hash)."""
    return Run(
        plan_hash=plan.content_hash(),
        id=f"run-{scenario}-{ended:%Y%m%d}",
        runbook=f"my-app-{scenario}",
        scenario=scenario,
        plan="my-app",
        runbook_hash="x",
        status=status,
        started_at=ended - timedelta(minutes=20),
        ended_at=ended,
        dry_run=dry_run,
    )


ALL_SCENARIOS = ("drill", "az-failure", "region-failure", "failback")


def test_drill_recency_passes_when_every_scenario_succeeded_this_year(seed: Plan) -> None:
    runs = [drill(s, NOW - timedelta(days=100), plan=seed) for s in ALL_SCENARIOS]
    assert only("drill-recency", static(seed, runs=runs)) == []


def test_drill_recency_fails_for_an_overdue_a_failed_and_a_dry_run_scenario(seed: Plan) -> None:
    runs = [
        drill("drill", NOW - timedelta(days=10), plan=seed),
        drill("az-failure", NOW - timedelta(days=400), plan=seed),
        drill("region-failure", NOW - timedelta(days=3), status="failed", plan=seed),
        drill("failback", NOW - timedelta(days=3), dry_run=True, plan=seed),
    ]
    assert about(only("drill-recency", static(seed, runs=runs)), "my-app") == [
        "scenario az-failure was last drilled successfully 400d ago (run run-az-failure-20250427); due every 365d",
        "scenario region-failure has never been drilled successfully; last attempt run-region-failure-20260529 failed",
        "scenario failback has never been drilled (due every 365d)",
    ]


def test_drill_recency_ignores_a_run_compiled_from_another_version_of_the_plan(
    seed: Plan, tmp_path: Path
) -> None:
    older, _ = variant(tmp_path, lambda d: d["metadata"].update(owner="someone-else"))
    runs = [drill(s, NOW - timedelta(days=100), plan=older) for s in ALL_SCENARIOS]
    assert len(only("drill-recency", static(seed, runs=runs))) == 4


def test_drill_recency_uses_the_plans_stricter_frequency(tmp_path: Path) -> None:
    plan, path = variant(tmp_path, lambda d: d["scenarios"]["drill"].update(drill_every="90d"))
    runs = [drill(s, NOW - timedelta(days=100), plan=plan) for s in ALL_SCENARIOS]
    assert about(only("drill-recency", static(plan, path, runs)), "my-app") == [
        "scenario drill was last drilled successfully 100d ago (run run-drill-20260221); due every 90d"
    ]


def test_iac_files_parse_passes_for_the_seed_configs(seed: Plan) -> None:
    assert only("iac-files-parse", static(seed)) == []


def test_iac_files_parse_fails_for_a_missing_and_a_broken_config(tmp_path: Path) -> None:
    plan, path = variant(tmp_path, lambda d: None)
    (tmp_path / "iac" / "eks-cluster.yaml").write_text("kind: ClusterConfig\nmetadata: [unclosed\n")
    (tmp_path / "iac" / "eks-cluster-dr.yaml").unlink()
    found = about(only("iac-files-parse", static(plan, path)), "my-cluster")
    assert len(found) == 2
    assert (
        found[0].startswith("eksctl config for ap-northeast-1: ")
        and "YAML syntax error" in found[0]
    )
    assert found[1].startswith("eksctl config for ap-southeast-1: cannot read")


def test_eksctl_configs_match_passes_when_only_region_and_zones_differ(seed: Plan) -> None:
    assert only("eksctl-configs-match", static(seed)) == []


def test_eksctl_configs_match_fails_when_the_dr_cluster_is_smaller(tmp_path: Path) -> None:
    plan, path = variant(tmp_path, lambda d: None)
    dr = tmp_path / "iac" / "eks-cluster-dr.yaml"
    dr.write_text(dr.read_text().replace("maxSize: 4", "maxSize: 2").replace('"1.29"', '"1.28"'))
    assert about(only("eksctl-configs-match", static(plan, path)), "my-cluster") == [
        "ap-northeast-1 and ap-southeast-1 configs differ beyond region/AZ: "
        "metadata.version: '1.29' != '1.28'; nodeGroups[0].maxSize: 4 != 2"
    ]


def test_eksctl_config_names_cluster_passes_on_the_seed_and_the_backup_restore_example(
    seed: Plan,
) -> None:
    backup = SEED.parent / "backup-restore.yaml"
    assert only("eksctl-config-names-cluster", static(seed)) == []
    assert only("eksctl-config-names-cluster", static(load_plan(backup), backup)) == []


def test_eksctl_config_names_cluster_fails_for_a_config_of_another_cluster(tmp_path: Path) -> None:
    def rename(data: dict[str, Any]) -> None:
        resource(data, "my-cluster")["clusters"]["ap-southeast-1"] = "shop-dr"

    plan, path = variant(tmp_path, rename)
    primary = tmp_path / "iac" / "eks-cluster.yaml"
    primary.write_text(primary.read_text().replace("region: ap-northeast-1", "region: us-east-1"))
    assert about(only("eksctl-config-names-cluster", static(plan, path)), "my-cluster") == [
        "iac/eks-cluster.yaml (ap-northeast-1): metadata.region is 'us-east-1', "
        "the plan has 'ap-northeast-1'",
        "iac/eks-cluster-dr.yaml (ap-southeast-1): metadata.name is 'my-cluster', "
        "the plan has 'shop-dr'",
    ]
