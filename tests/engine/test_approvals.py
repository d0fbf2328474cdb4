"""Approval gates: N distinct approvers, named approvers, reject, auto-approve, manual confirmation."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.engine.conftest import Recorder, runbook, until

from drctl import engine
from drctl.errors import DrctlError
from drctl.identity import Identity, dashboard_identity, os_identity
from drctl.settings import Settings


def person(name: str, kind: str = "os") -> Identity:
    """A verified identity of another person (another OS account, dashboard token...)."""
    if kind == "os":
        return Identity(kind="os", id=f"{name}@ops-host", label=name, os_user=name, host="ops-host")
    return Identity.model_validate({"kind": kind, "id": name, "label": name})


def gated(tmp_path: Path, approval: str = "{required: 2}") -> str:
    return f"""\
  - {{id: before, title: Before, action: shell, params: {{command: "echo before >> {tmp_path}/log"}}}}
  - {{id: gate, title: Promote, action: approval, needs: [before], approval: {approval}}}
  - {{id: after, title: After, action: shell, needs: [gate], params: {{command: "echo after >> {tmp_path}/log"}}}}
"""


def waiting(run_id: str, settings: Settings, step: str = "gate") -> None:
    until(
        lambda: engine.status(run_id, settings=settings).step(step).status == "waiting-approval",
        what=f"{step} to wait for approval",
    )


def test_two_approvals_must_come_from_two_different_people(
    settings: Settings, tmp_path: Path, events: Recorder
) -> None:
    run_id = engine.start_run(
        runbook(gated(tmp_path)), settings=settings, actor="a", subscribers=[events]
    )
    waiting(run_id, settings)
    assert engine.status(run_id, settings=settings).status == "waiting-approval"
    engine.approve(run_id, "gate", person("alice"), "primary is down", settings=settings)
    until(
        lambda: len(engine.status(run_id, settings=settings).approvals) == 1,
        what="alice's approval",
    )
    with pytest.raises(DrctlError) as err:
        engine.approve(run_id, "gate", person("alice"), settings=settings)
    assert err.value.message == (
        "alice is alice (os:alice@ops-host), who already approved step `gate`; approval 2 of 2 "
        "must come from a different person (people are compared by verified identity, not by "
        "--as name)"
    )
    assert not (tmp_path / "log").read_text().count("after")
    engine.approve(run_id, "gate", person("bob"), settings=settings)
    run = engine.wait(run_id, 60, settings=settings)
    assert run.status == "succeeded"
    assert [(a.actor, a.decision, a.comment) for a in run.approvals] == [
        ("alice", "approve", "primary is down"),
        ("bob", "approve", ""),
    ]
    assert run.step("gate").output == {
        "approved_by": ["alice", "bob"],
        "notes": ["primary is down"],
    }
    granted = [e for e in events if e.kind == "approval.granted"]
    assert [(e.actor, e.data["count"]) for e in granted] == [("alice", 1), ("bob", 2)]
    assert (tmp_path / "log").read_text() == "before\nafter\n"


def test_only_named_approvers_or_roles_may_approve(settings: Settings, tmp_path: Path) -> None:
    run_id = engine.start_run(
        runbook(gated(tmp_path, "{required: 1, approvers: [alice, 'role:sre']}")),
        settings=settings,
        actor="a",
    )
    waiting(run_id, settings)
    with pytest.raises(DrctlError) as err:
        engine.approve(run_id, "gate", person("carol"), settings=settings)
    assert err.value.message == (
        "carol (os:carol@ops-host) may not decide on this step; approvers: alice, role:sre"
    )
    engine.approve(run_id, "gate", person("dave"), settings=settings, roles=["sre"])
    assert engine.wait(run_id, 60, settings=settings).status == "succeeded"


def test_a_rejection_fails_the_step_and_the_run(
    settings: Settings, tmp_path: Path, events: Recorder
) -> None:
    run_id = engine.start_run(
        runbook(gated(tmp_path)), settings=settings, actor="a", subscribers=[events]
    )
    waiting(run_id, settings)
    engine.reject(run_id, "gate", "bob", "primary is recovering", settings=settings)
    run = engine.wait(run_id, 60, settings=settings)
    assert run.status == "failed"
    gate = run.step("gate")
    assert gate.status == "failed"
    assert gate.error is not None and gate.error.message == "rejected by bob: primary is recovering"
    assert run.step("after").status == "skipped"
    assert (tmp_path / "log").read_text() == "before\n"
    assert ("approval.rejected", "bob") in [(e.kind, e.actor) for e in events]


def test_approving_a_step_that_is_not_waiting_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    run_id = engine.start_run(runbook(gated(tmp_path)), settings=settings, actor="a")
    waiting(run_id, settings)
    with pytest.raises(DrctlError, match="step `after` has no approval gate"):
        engine.approve(run_id, "after", "alice", settings=settings)
    engine.cancel(run_id, "a", settings=settings)
    with pytest.raises(DrctlError, match="already cancelled"):
        engine.approve(run_id, "gate", "alice", settings=settings)


def test_auto_approve_records_the_demo_approver_explicitly(
    settings: Settings, tmp_path: Path
) -> None:
    run_id = engine.start_run(
        runbook(gated(tmp_path)), settings=settings, actor="a", auto_approve=True
    )
    run = engine.wait(run_id, 60, settings=settings)
    assert run.status == "succeeded"
    assert [a.actor for a in run.approvals] == ["auto-approve (demo)", "auto-approve (demo) #2"]


def test_a_manual_step_waits_for_a_person_to_confirm_with_a_note(settings: Settings) -> None:
    rb = runbook(
        "  - {id: call-dba, title: Call the DBA, action: manual, params: {instructions: Stop writes}}\n"
    )
    run_id = engine.start_run(rb, settings=settings, actor="a")
    waiting(run_id, settings, "call-dba")
    engine.approve(run_id, "call-dba", "erin", "writes stopped at 10:02", settings=settings)
    run = engine.wait(run_id, 60, settings=settings)
    assert run.status == "succeeded"
    assert run.step("call-dba").output == {
        "approved_by": ["erin"],
        "notes": ["writes stopped at 10:02"],
    }


def test_cancelling_a_run_that_waits_for_approval_ends_it(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = engine.start_run(runbook(gated(tmp_path)), settings=settings, actor="a")
    waiting(run_id, settings)
    run = engine.cancel(run_id, "ops", settings=settings)
    assert run.status == "cancelled" and run.step("gate").status == "cancelled"
    assert (tmp_path / "log").read_text() == "before\n"
    engine.shutdown()  # its workflows have ended, and logged what they log
    assert "Traceback" not in capsys.readouterr().err  # a cancel asked for is not a fault


def test_bob_and_Bob_from_one_os_account_are_one_person(settings: Settings, tmp_path: Path) -> None:
    """Finding 1: free-text names no longer meet the two-person rule."""
    run_id = engine.start_run(runbook(gated(tmp_path)), settings=settings, actor="ops")
    waiting(run_id, settings)
    first = engine.approve(run_id, "gate", "bob", "primary down", settings=settings)
    me = os_identity()
    assert first.identity is not None and first.identity.key == f"os:{me.id}".casefold()
    until(lambda: len(engine.status(run_id, settings=settings).approvals) == 1, what="bob")
    with pytest.raises(DrctlError) as err:
        engine.approve(run_id, "gate", "Bob", "me again", settings=settings)
    assert err.value.message.startswith(
        f"Bob is bob (os:{me.id}), who already approved step `gate` as bob; approval 2 of 2"
    )
    engine.cancel(run_id, "ops", settings=settings, reason="test over")
    run = engine.status(run_id, settings=settings)
    assert [(a.what, a.identity.id, a.reason) for a in run.actors] == [
        ("start", me.id, ""),
        ("cancel", me.id, "test over"),
    ]


def test_plan_approvers_are_matched_by_verified_identity_not_label(
    settings: Settings, tmp_path: Path
) -> None:
    approvers = "['arn:aws:iam::123456789012:user/dr-*', 'dashboard:carol']"
    run_id = engine.start_run(
        runbook(gated(tmp_path, f"{{required: 2, approvers: {approvers}}}")),
        settings=settings,
        actor="ops",
    )
    waiting(run_id, settings)
    with pytest.raises(DrctlError, match="may not decide"):
        engine.approve(run_id, "gate", person("dr-alice"), "label only", settings=settings)
    with pytest.raises(DrctlError, match="may not decide"):
        engine.approve(
            run_id, "gate", person("carol"), "an OS carol is not the token", settings=settings
        )
    alice = Identity(kind="aws", id="arn:aws:iam::123456789012:user/dr-alice", label="alice")
    engine.approve(run_id, "gate", alice, "primary down", settings=settings)
    engine.approve(run_id, "gate", person("carol", "dashboard"), "agreed", settings=settings)
    run = engine.wait(run_id, 60, settings=settings)
    assert run.status == "succeeded"
    assert [a.identity.key for a in run.approvals if a.identity] == [
        "aws:arn:aws:iam::123456789012:user/dr-alice",
        "dashboard:carol",
    ]


def test_a_dashboard_token_and_an_os_account_are_two_people_but_one_token_is_one(
    settings: Settings, tmp_path: Path
) -> None:
    run_id = engine.start_run(runbook(gated(tmp_path)), settings=settings, actor="ops")
    waiting(run_id, settings)
    engine.approve(
        run_id, "gate", dashboard_identity("carol-token", "Carol"), "ok", settings=settings
    )
    until(lambda: len(engine.status(run_id, settings=settings).approvals) == 1, what="carol")
    with pytest.raises(DrctlError, match="who already approved step `gate`"):
        engine.approve(
            run_id, "gate", dashboard_identity("CAROL-TOKEN", "c"), "again", settings=settings
        )
    engine.approve(run_id, "gate", "ops", "me from the CLI", settings=settings)
    assert engine.wait(run_id, 60, settings=settings).status == "succeeded"


def test_an_auto_approved_gate_lets_its_step_start_within_milliseconds(
    settings: Settings,
) -> None:
    # Polled every 0.1 s, each gate cost 0.1 s of wall time: 5 AWS seconds at time scale 0.02.
    chain = "".join(
        f"  - {{id: gate-{n}, title: Gate {n}, action: approval, needs: [{'gate-' + str(n - 1) if n else 'before'}]}}\n"
        for n in range(3)
    )
    rb = runbook("  - {id: before, title: Before, action: noop}\n" + chain)
    run = engine.wait(
        engine.start_run(rb, settings=settings, actor="a", auto_approve=True), 60, settings=settings
    )
    assert run.status == "succeeded"
    gaps = []
    for n in range(3):
        previous = run.step(f"gate-{n - 1}" if n else "before")
        started = run.step(f"gate-{n}").started_at
        assert started is not None and previous.ended_at is not None
        gaps.append((started - previous.ended_at).total_seconds())
    assert min(gaps) < 0.08, gaps
