"""An AZ-failure drill: nodes per AZ, drain respecting PodDisruptionBudgets, rescheduling, uncordon."""

from __future__ import annotations

from typing import Any

import pytest
from tests.providers.kube.conftest import build, deadline

from drctl.errors import NotFoundError
from drctl.providers.base import ActionContext, StepTimeout
from drctl_sandbox.kube.api import FakeKubeApi
from drctl_sandbox.kube.controllers import ZONE_LABEL

ZONE_A = "ap-northeast-1a"


def zone_of(api: FakeKubeApi, pod: dict[str, Any]) -> str:
    return str(api.cluster.node(pod["spec"]["nodeName"])["metadata"]["labels"][ZONE_LABEL])


def test_nodes_per_az_counts_ready_schedulable_nodes_in_each_zone(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.seed_cluster(nodes_per_az=2)
    result = build("k8s.nodes-per-az", {**access, "min_ready": 2}, ctx).verify(deadline(ctx))
    assert result["ready"] == {"ap-northeast-1a": 2, "ap-northeast-1c": 2, "ap-northeast-1d": 2}
    assert api.writes() == []


def test_nodes_per_az_fails_naming_the_short_zone_unless_it_is_the_failed_one(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.seed_cluster()
    api.cluster.fail_zone(ZONE_A)
    with pytest.raises(
        StepTimeout, match=r"too few Ready schedulable nodes: ap-northeast-1a \(0/1\)"
    ):
        build("k8s.nodes-per-az", access, ctx).verify(deadline(ctx, 30))
    healthy = build("k8s.nodes-per-az", {**access, "exclude_zones": [ZONE_A]}, ctx)
    assert healthy.verify(deadline(ctx))["short"] == []


def test_drain_cordons_the_zone_and_pods_move_to_other_zones(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.seed_cluster(deployments={"my-app/web": 3})
    drain = build("k8s.drain-az", {**access, "zone": ZONE_A}, ctx)

    outcome = drain.apply()
    drain.verify(deadline(ctx))

    assert outcome.changed and outcome.output["cordoned"] == [
        "ip-10-0-1-10.ap-northeast-1.compute.internal"
    ]
    node = api.cluster.node("ip-10-0-1-10.ap-northeast-1.compute.internal")
    assert node["spec"]["unschedulable"] is True
    assert node["metadata"]["annotations"] == {"drctl.io/cordoned-by": "run-1/step-1"}
    web = api.cluster.pods("my-app")
    assert len(web) == 3 and ZONE_A not in {zone_of(api, p) for p in web}
    daemon_pods = [
        p for p in api.cluster.pods("kube-system") if p["metadata"]["name"].startswith("aws-node")
    ]
    assert ZONE_A in {
        zone_of(api, p) for p in daemon_pods
    }  # DaemonSets are left alone, as kubectl does
    verify = build(
        "k8s.verify-rescheduled", {**access, "failed_zone": ZONE_A, "namespaces": ["my-app"]}, ctx
    )
    placement = verify.verify(deadline(ctx))
    assert placement["pods_by_zone"] == {"ap-northeast-1c": 2, "ap-northeast-1d": 1} or placement[
        "pods_by_zone"
    ] == {"ap-northeast-1c": 1, "ap-northeast-1d": 2}


def test_drain_repeated_after_success_makes_no_write_call(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.seed_cluster()
    drain = build("k8s.drain-az", {**access, "zone": ZONE_A}, ctx)
    drain.apply()
    drain.verify(deadline(ctx))
    api.reset_requests()

    again = build("k8s.drain-az", {**access, "zone": ZONE_A}, ctx).apply()

    assert not again.changed
    assert api.writes() == []


def test_drain_waits_while_a_disruption_budget_blocks_then_finishes_when_it_allows(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.seed_cluster(deployments={"my-app/web": 6})  # two web pods per zone
    api.cluster.add_pdb("my-app", "web-pdb", "web", min_available=5)
    api.cluster.set_reschedule_delay(20)
    drain = build("k8s.drain-az", {**access, "zone": ZONE_A}, ctx)

    first = drain.apply()

    evicted, remaining = first.output["evicted"], first.output["remaining"]
    assert isinstance(evicted, list) and isinstance(remaining, dict)
    assert len([ref for ref in evicted if str(ref).startswith("my-app/")]) == 1
    [(blocked, why)] = remaining.items()
    assert why == (
        "blocked by PodDisruptionBudget: Cannot evict pod as it would violate the pod's disruption "
        "budget. (The disruption budget web-pdb needs 5 healthy pods and has 5 currently)"
    )
    done = drain.verify(deadline(ctx))
    assert done["remaining"] == {}
    assert ctx.clock.monotonic() >= 20  # released only when the replacement pod became Ready
    assert blocked not in {f"my-app/{p['metadata']['name']}" for p in api.cluster.pods("my-app")}


def test_drain_timeout_names_the_disruption_budget_that_blocks(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.seed_cluster(deployments={"my-app/web": 3})
    api.cluster.add_pdb("my-app", "web-pdb", "web", max_unavailable=0)
    drain = build("k8s.drain-az", {**access, "zone": ZONE_A}, ctx)
    drain.apply()

    with pytest.raises(StepTimeout) as err:
        drain.verify(deadline(ctx, 60))

    assert "pods still on ap-northeast-1a nodes: my-app/web-" in err.value.message
    assert (
        "The disruption budget web-pdb needs 3 healthy pods and has 3 currently"
        in err.value.message
    )


def test_drain_of_a_zone_without_nodes_says_so(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.seed_cluster()
    with pytest.raises(NotFoundError, match="no nodes in zone ap-northeast-1b"):
        build("k8s.drain-az", {**access, "zone": "ap-northeast-1b"}, ctx).apply()


def test_verify_rescheduled_names_pods_left_in_the_failed_zone(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.seed_cluster()
    api.cluster.fail_zone(ZONE_A)
    verify = build(
        "k8s.verify-rescheduled", {**access, "failed_zone": ZONE_A, "namespaces": ["my-app"]}, ctx
    )
    [left] = [p for p in api.cluster.pods("my-app") if zone_of(api, p) == ZONE_A]

    with pytest.raises(StepTimeout) as err:
        verify.verify(deadline(ctx, 30))

    name = left["metadata"]["name"]
    assert f"pods still on nodes in {ZONE_A}: my-app/{name}" in err.value.message
    assert f"pods not Ready: my-app/{name}" in err.value.message


def test_uncordon_restores_only_the_nodes_drctl_cordoned_and_repeats_without_writes(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.seed_cluster()
    api.cluster.add_node("ip-10-0-1-99.ap-northeast-1.compute.internal", ZONE_A, unschedulable=True)
    drain = build("k8s.drain-az", {**access, "zone": ZONE_A}, ctx)
    drain.apply()
    drain.verify(deadline(ctx))
    uncordon = build("k8s.uncordon-az", {**access, "zone": ZONE_A}, ctx)

    outcome = uncordon.apply()
    uncordon.verify(deadline(ctx))

    assert outcome.output == {"uncordoned": ["ip-10-0-1-10.ap-northeast-1.compute.internal"]}
    restored = api.cluster.node("ip-10-0-1-10.ap-northeast-1.compute.internal")
    assert "unschedulable" not in restored["spec"] and "annotations" not in restored["metadata"]
    assert api.cluster.node("ip-10-0-1-99.ap-northeast-1.compute.internal")["spec"]["unschedulable"]
    api.reset_requests()
    assert not uncordon.apply().changed
    assert api.writes() == []
