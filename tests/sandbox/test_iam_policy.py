"""The rendered IAM policies against what drctl really calls: every scenario of a plan in the sandbox.

One sandbox per plan: `drctl check`'s live rules run in-process with a recording journal
(their calls happen outside any run step), then each scenario's runbook runs through the real
CLI (drill, az-failure, region-failure with the primary's APIs down, failback after it) and
`drctl runs show --json` gives the calls the run journaled (the drill's include those of its
`--inject fis:...` experiment, journaled as `measure:inject`). Every run is measured with the
plan's probes, so the DynamoDB canary's calls (`measure:canary`) and the CloudTrail evidence
lookups at its end (`report:cloudtrail`) are among them. Each call must be allowed by the
policy `drctl iac render` wrote for that scenario (action and ARN), and every action of that
policy must have been used, or be one of `iam_table.CONDITIONAL` (or the FIS statement, in a
scenario run without `--inject`: region-failure's primary APIs are down).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.engine.conftest import drctl

from drctl.checks.context import live_context
from drctl.checks.registry import select
from drctl.checks.run import check_plan
from drctl.engine.outside import CANARY, CLOUDTRAIL, INJECT
from drctl.iac.context import RenderContext
from drctl.iac.files import Kind
from drctl.iac.iam import READINESS, allows, grants, needed
from drctl.iac.iam_outside import INJECTION_SID
from drctl.iac.iam_table import CONDITIONAL
from drctl.iac.live import render_context
from drctl.iac.render import render
from drctl.plan.model import Plan, Scenario
from drctl.providers import intents
from drctl.providers.aws.clients import AwsClients
from drctl.runbook.compile import compile_plan
from drctl.runbook.io import dump_runbook
from drctl.runbook.run import WriteIntent
from drctl_sandbox.aws import metrics
from drctl_sandbox.demo_env import DemoEnvironment
from drctl_sandbox.latencies import LatencyTable

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ORDER = (Scenario.DRILL, Scenario.AZ_FAILURE, Scenario.REGION_FAILURE, Scenario.FAILBACK)
Call = dict[str, Any]


@dataclass
class CallRecorder:
    """A step's journal stand-in for calls made outside any run (`drctl check`): keeps every call."""

    calls: list[Call] = field(default_factory=list)

    def intend(
        self, service: str, operation: str, region: str, resource: str, client_token: str
    ) -> WriteIntent:
        raise AssertionError(f"a readiness check wrote: {service}:{operation} on {resource}")

    def answered(self, intent: WriteIntent) -> None:
        raise AssertionError("a readiness check wrote")

    def called(
        self, service: str, operation: str, region: str, resource: str, **answer: Any
    ) -> None:
        self.calls.append(
            {"service": service, "operation": operation, "region": region, "resource": resource}
        )


@dataclass
class Walk:
    """A plan walked in the sandbox: its live render context and the calls of each scenario."""

    plan: Plan
    ctx: RenderContext
    calls: dict[str, list[Call]]


def _run(env: DemoEnvironment, scenario: Scenario, tmp: Path, home: Path) -> list[Call]:
    assert env.plan is not None
    path = tmp / f"{scenario}.yaml"
    path.write_text(dump_runbook(compile_plan(env.plan, scenario)), encoding="utf-8")
    variables = {
        **env.sandbox.env(),
        "ARGOCD_AUTH_TOKEN": env.argocd.token if env.argocd else "",
        "DRCTL_HOME": str(home),
        "DRCTL_EXECUTOR_ID": "iam-host",
    }
    run_id = f"iam-{scenario}"
    # measured with the plan's probes: the failure is the sandbox's outage, else given
    source = [str(path), "--plan", str(env.plan_path)]
    if scenario is not Scenario.REGION_FAILURE:
        source += ["--failure-at", datetime.now(UTC).isoformat()]
    if scenario is Scenario.DRILL:  # the drill injects its failure with AWS FIS
        template = _fis_template(env, str(env.plan.regions.primary))
        source = [str(env.plan_path), "--scenario", str(scenario), "--inject", f"fis:{template}"]
    worker = drctl("run", *source, "--run-id", run_id, "--as", "ops", "--auto-approve",
                   env=variables, cwd=tmp, session=False)  # fmt: skip
    try:
        output, _ = worker.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        worker.kill()
        raise
    assert worker.returncode == 0, output[-3000:]
    shown = drctl("runs", "show", run_id, "--json", env=variables, cwd=tmp)
    text, _ = shown.communicate(timeout=120)
    assert shown.returncode == 0, text
    calls: list[Call] = json.loads(text)["calls"]
    return calls


def _fis_template(env: DemoEnvironment, region: str) -> str:
    """An experiment template whose only action waits (the sandbox injects nothing for it)."""
    fis = boto3.client("fis", region_name=region, endpoint_url=env.sandbox.endpoint_url,
                       aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    created = fis.create_experiment_template(
        clientToken=f"iam-{region}", description="drctl IAM test: wait",
        roleArn="arn:aws:iam::123456789012:role/fis", stopConditions=[{"source": "none"}],
        actions={"pause": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M"}}},
    )  # fmt: skip
    return str(created["experimentTemplate"]["id"])


def _walk(plan_path: Path, tmp: Path) -> Walk:
    home = tmp / "home"
    with DemoEnvironment(tmp / "demo", plan_path, latency_table=LatencyTable.instant()) as env:
        plan = env.plan
        assert plan is not None
        ctx = render_context(plan, AwsClients(env.settings()), RenderContext())
        readiness = CallRecorder()
        with intents.recording(readiness):
            check = live_context(plan, None, env.settings())
            check_plan(select(static=False), check, mode="live", workers=1)
        calls = {READINESS: readiness.calls}
        primary = plan.regions.primary
        for scenario in [s for s in ORDER if s in plan.scenarios]:
            if scenario is Scenario.REGION_FAILURE:
                env.sandbox.fail_region(primary, api_outage=True)
            if scenario is Scenario.FAILBACK:
                if Scenario.REGION_FAILURE not in calls:
                    continue
                env.sandbox.recover_region(primary)
                metrics.publish_lag(plan, env.sandbox.endpoint_url, 0.5, plan.regions.secondary)
            calls[str(scenario)] = _run(env, scenario, tmp, home)
    return Walk(plan=plan, ctx=ctx, calls=calls)


# the seed walk takes about 240 s on two cores (every run measured), pilot-light more: `make soak`
@pytest.fixture(
    scope="module", params=["seed-estate", pytest.param("pilot-light", marks=pytest.mark.soak)]
)
def walk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Walk]:
    name = str(request.param)
    yield _walk(EXAMPLES / f"{name}.yaml", tmp_path_factory.mktemp(name))


def _policy(walk: Walk, name: str) -> dict[str, Any]:
    files = {f.path: f.content for f in render(walk.plan, walk.ctx, only=[Kind.IAM])}
    document: dict[str, Any] = json.loads(files[f"iam/drctl-{name}.json"])
    return document


def _needs(walk: Walk, name: str) -> list[tuple[str, str, str]]:
    """(action, ARN, the call) for every recorded call of one scenario."""
    account = walk.ctx.account()
    return [
        (action, arn, f"{c['service']}:{c['operation']} {c['resource']}")
        for c in walk.calls[name]
        for action, arn in needed(c["service"], c["operation"], c["region"], account, c["resource"])
    ]


def _actions(document: dict[str, Any]) -> set[str]:
    return {a for s in document["Statement"] for a in s["Action"]}


CONDITIONAL_ACTIONS = {action for action, _ in grants(CONDITIONAL)}
NAMES = [READINESS, *(str(s) for s in ORDER)]


@pytest.mark.parametrize("name", NAMES)
def test_the_rendered_policy_allows_every_call_the_scenario_made(walk: Walk, name: str) -> None:
    if name not in walk.calls:
        pytest.skip(f"{walk.plan.metadata.name} has no {name} scenario")
    document = _policy(walk, name)
    needs = _needs(walk, name)
    assert needs, f"{name} made no AWS call"
    denied = sorted({(a, arn, call) for a, arn, call in needs if not allows(document, a, arn)})
    assert denied == []


@pytest.mark.parametrize("name", NAMES)
def test_every_action_of_the_policy_is_used_or_listed_as_conditional(walk: Walk, name: str) -> None:
    if name not in walk.calls:
        pytest.skip(f"{walk.plan.metadata.name} has no {name} scenario")
    used = {action for action, _, _ in _needs(walk, name)}
    document = _policy(walk, name)
    unused = _actions(document) - used
    assert sorted(unused - CONDITIONAL_ACTIONS - _excused(walk, name, document)) == []


def _excused(walk: Walk, name: str, document: dict[str, Any]) -> set[str]:
    """Actions of statements for calls outside the steps that this walk cannot make."""
    sids: set[str] = set()
    if not any(c.get("step_id") == INJECT for c in walk.calls[name]):  # run without --inject
        sids.add(INJECTION_SID)
    if name == str(Scenario.REGION_FAILURE):
        # the primary's APIs are down before the run starts, as in a real region failure: the
        # canary's first call there fails, so it writes nothing and has nothing to read back
        # (the standing canary measures that RPO); its failed call is checked above
        sids |= {str(s["Sid"]) for s in document["Statement"] if "Canary" in str(s["Sid"])}
    return {a for s in document["Statement"] if s["Sid"] in sids for a in s["Action"]}


def test_each_conditional_action_is_unused_somewhere_it_is_granted(walk: Walk) -> None:
    # the allow-list is exactly the difference: an entry some run always uses is stale
    granted_somewhere, unused_somewhere = set(), set()
    for name in walk.calls:
        granted = _actions(_policy(walk, name)) & CONDITIONAL_ACTIONS
        used = {action for action, _, _ in _needs(walk, name)}
        granted_somewhere |= granted
        unused_somewhere |= granted - used
    assert sorted(granted_somewhere - unused_somewhere) == []


def test_the_drills_fis_injection_is_journaled_with_the_run(walk: Walk) -> None:
    injected = [c for c in walk.calls[str(Scenario.DRILL)] if c["step_id"] == INJECT]
    assert sorted(c["operation"] for c in injected) == ["GetExperiment", "StartExperiment"]


SCENARIOS = [str(s) for s in ORDER]


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_canarys_calls_are_journaled_and_its_own_statements_allow_them(
    walk: Walk, name: str
) -> None:
    if name not in walk.calls:
        pytest.skip(f"{walk.plan.metadata.name} has no {name} scenario")
    canary = [c for c in walk.calls[name] if c["step_id"] == CANARY]
    made = {(c["operation"], c["region"]) for c in canary}
    old, new = walk.plan.serving_regions(name)
    if name == str(Scenario.REGION_FAILURE):  # the old primary's APIs are down (see _excused)
        assert made == {("DescribeTable", old)} and all(c["error_code"] for c in canary)
    else:  # writes where the service was, the read-back of the acknowledged writes where it is
        assert {("PutItem", old), ("BatchGetItem", new)} <= made, made
    assert {c["attempt"] for c in canary} == {1}  # the run's one measuring session
    document = _policy(walk, name)
    own = {**document, "Statement": [s for s in document["Statement"] if "Canary" in s["Sid"]]}
    account = walk.ctx.account()
    for c in canary:
        for action, arn in needed(
            c["service"], c["operation"], c["region"], account, c["resource"]
        ):
            assert allows(own, action, arn), (action, arn, c)
    granted = {a for s in own["Statement"] for a in s["Action"]}
    used = {f"dynamodb:{c['operation']}" for c in canary}
    assert granted == used or name == str(Scenario.REGION_FAILURE)


def test_the_evidence_lookups_at_a_runs_end_are_journaled_with_it(walk: Walk) -> None:
    region_failure = walk.calls.get(str(Scenario.REGION_FAILURE), [])
    lookups = [c for c in region_failure if c["step_id"] == CLOUDTRAIL]
    assert lookups and {c["operation"] for c in lookups} == {"LookupEvents"}
