"""The audit commands end to end, in-process, against a SQLite file, the sandbox and real keys."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import boto3
import pytest

from drctl.audit.log import AuditLog, Entry
from drctl.cli import main
from drctl_sandbox.aws.server import SandboxServer


@pytest.fixture
def state(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AuditLog:
    monkeypatch.setenv("DRCTL_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("DRCTL_AUDIT_SIGNING_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    log = AuditLog(sqlite_url)
    log.append(Entry("drill-1", "engine", "run.started", {"runbook": "drill"}))
    return log


def drctl(*args: str) -> int:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    return int(done.value.code or 0)


def test_note_decide_and_problem_record_who_and_what(
    state: AuditLog, capsys: pytest.CaptureFixture[str]
) -> None:
    assert drctl("note", "drill-1", "DNS TTL was 300s", "--as", "alice") == 0
    assert (
        drctl("decide", "drill-1", "fail over", "--reason", "primary down 20m", "--as", "bob") == 0
    )
    assert drctl("problem", "drill-1", "replica lag alarm missing") == 0
    events = list(state.events("drill-1"))[1:]
    assert [(e.kind, e.actor != "", e.payload) for e in events] == [
        ("note", True, {"text": "DNS TTL was 300s"}),
        ("decision", True, {"decision": "fail over", "reason": "primary down 20m"}),
        ("problem", True, {"text": "replica lag alarm missing"}),
    ]
    assert [e.actor for e in events[:2]] == ["alice", "bob"]
    assert "recorded note as seq 2 by alice" in capsys.readouterr().out


def test_a_note_for_an_unknown_run_is_refused(
    state: AuditLog, capsys: pytest.CaptureFixture[str]
) -> None:
    assert drctl("note", "drill-2", "typo") == 2
    assert "error: no run drill-2 in the audit log" in capsys.readouterr().err


def test_verify_exits_1_and_names_the_break_after_tampering(
    state: AuditLog, capsys: pytest.CaptureFixture[str]
) -> None:
    drctl("note", "drill-1", "first")
    drctl("note", "drill-1", "second")
    assert drctl("audit", "verify") == 0
    assert "chain valid: 3 events" in capsys.readouterr().out
    with sqlite3.connect(state.url.removeprefix("sqlite:///")) as conn:
        conn.execute(
            """UPDATE drctl_audit_events SET payload = '{"text":"forged"}' WHERE seq = 2"""
        )
    assert drctl("audit", "verify", "--json") == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["chain"]["first_break"]["seq"] == 2
    assert out["chain"]["first_break"]["kind"] == "modified"


def test_keygen_sign_and_verify_with_the_public_key(
    state: AuditLog, capsys: pytest.CaptureFixture[str]
) -> None:
    assert drctl("audit", "keygen", "-o", "audit-key.pem") == 0
    assert drctl("audit", "sign", "--key", "audit-key.pem", "--as", "alice") == 0
    assert drctl("audit", "verify", "--public-key", "audit-key.pub.pem") == 0
    assert "signature of seq 1 by alice" in capsys.readouterr().out
    assert drctl("audit", "keygen", "-o", "audit-key.pem") == 2  # never overwritten


def test_review_then_actions_list_and_close(
    state: AuditLog, capsys: pytest.CaptureFixture[str], tmp_path: Path, seed_plan_path: Path
) -> None:
    review = tmp_path / "review.yaml"
    review.write_text(
        "problems: [runbook lacked DNS step]\nactions:\n  - {text: add DNS step, owner: alice, due: 2026-06-30}\n"
    )
    assert drctl("review", "drill-1", "--plan", str(seed_plan_path), "--file", str(review), "--problem", "slow restore",
                 "--action", "pre-warm snapshots", "--owner", "bob", "--due", "2026-07-01", "--as", "carol") == 0  # fmt: skip
    capsys.readouterr()
    assert drctl("actions", "list", "--plan", str(seed_plan_path), "--open", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert {a["plan"] for a in listed} == {"my-app"}  # the plan file's metadata.name
    assert [(a["id"], a["text"], a["owner"], a["due"]) for a in listed] == [
        (1, "add DNS step", "alice", "2026-06-30"), (2, "pre-warm snapshots", "bob", "2026-07-01"),
    ]  # fmt: skip
    assert drctl("actions", "close", "1", "--as", "alice", "--resolution", "added") == 0
    capsys.readouterr()
    assert drctl("actions", "list", "--open", "--json") == 0
    assert [a["id"] for a in json.loads(capsys.readouterr().out)] == [2]


def test_a_review_file_with_a_bad_date_points_at_the_line(
    state: AuditLog, capsys: pytest.CaptureFixture[str], tmp_path: Path, seed_plan_path: Path
) -> None:
    review = tmp_path / "review.yaml"
    review.write_text("actions:\n  - text: x\n    owner: alice\n    due: someday\n")
    assert drctl("review", "drill-1", "--plan", str(seed_plan_path), "--file", str(review)) == 2
    err = capsys.readouterr().err
    assert "review.yaml:4:" in err and "due" in err


def test_export_with_plan_uploads_locked_evidence_to_the_plans_bucket(
    state: AuditLog,
    aws_env: SandboxServer,
    seed_plan_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    s3 = boto3.client("s3", region_name="ap-northeast-1")
    s3.create_bucket(Bucket="my-app-dr-evidence", ObjectLockEnabledForBucket=True,
                     CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})  # fmt: skip
    assert drctl("audit", "export", "drill-1", "-o", "evidence.zip", "--plan", str(seed_plan_path),
                 "--event-name", "CreateBucket", "--upload", "--json") == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert out["manifest"]["run_id"] == "drill-1"
    keys = {o["key"] for o in out["uploaded"]}
    assert "drctl/drill-1/evidence.zip" in keys and "drctl/drill-1/files/manifest.json" in keys
    assert {o["mode"] for o in out["uploaded"]} == {"COMPLIANCE"}
    with zipfile.ZipFile("evidence.zip") as bundle:
        trail = json.loads(bundle.read("cloudtrail.json"))
        assert bundle.read("plan.yaml") == seed_plan_path.read_bytes()
    assert trail["window"]["regions"] == ["ap-northeast-1", "ap-southeast-1"]
    assert trail["errors"] == []
    assert "my-app-dr-evidence" in {
        e["CloudTrailEvent"]["requestParameters"].get("Bucket") for e in trail["events"]
    }
