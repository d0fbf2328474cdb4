"""AWS calls made outside a run's steps (canary, evidence), journaled with the run: batched, numbered."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import pytest

from drctl.cli.show import print_calls
from drctl.clock import FakeClock
from drctl.engine.journal import Journal
from drctl.engine.outside import CANARY, CLOUDTRAIL, RunCalls, journaled_calls
from drctl.providers import intents


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return str(request.getfixturevalue("postgres_url"))


def _call(log: intents.CallLog, operation: str = "PutItem", status: int = 200) -> None:
    log.called("dynamodb", operation, "ap-northeast-1", "TableName=sessions",
               request_id=secrets.token_hex(4), http_status=status, error_code="")  # fmt: skip


def test_canary_calls_wait_in_memory_and_are_stored_together_every_interval_and_at_flush(
    url: str,
) -> None:
    journal, clock, run = Journal(url), FakeClock(), f"canary-{secrets.token_hex(3)}"
    calls = RunCalls(journal, clock, run, CANARY, 2, flush_every=5.0)
    for _ in range(4):
        _call(calls)
        clock.advance(timedelta(seconds=1))
    assert journal.calls_of(run) == []  # four calls in 4 s: nothing stored yet
    clock.advance(timedelta(seconds=1))
    _call(calls)  # 5 s after the last store: this call stores all five in one batch
    assert [c.seq for c in journal.calls_of(run)] == [1, 2, 3, 4, 5]
    _call(calls, "BatchGetItem")
    assert len(journal.calls_of(run)) == 5
    calls.flush()
    stored = journal.calls_of(run)
    assert [(c.step_id, c.attempt, c.seq) for c in stored] == [(CANARY, 2, i) for i in range(1, 7)]
    assert stored[-1].operation == "BatchGetItem" and stored[-1].resource == "TableName=sessions"
    journal.close()


def test_each_evidence_lookup_is_journaled_under_the_next_attempt_even_when_it_fails(
    url: str,
) -> None:
    run = f"report-{secrets.token_hex(3)}"
    with journaled_calls(url, run, CLOUDTRAIL):
        log = intents.current()
        assert isinstance(log, intents.CallLog)
        _call(log, "LookupEvents")
        _call(log, "LookupEvents")
    with pytest.raises(RuntimeError), journaled_calls(url, run, CLOUDTRAIL):
        log = intents.current()
        assert isinstance(log, intents.CallLog)
        _call(log, "LookupEvents", 503)
        raise RuntimeError("the region did not answer")
    assert intents.current() is None
    journal = Journal(url)
    made = [(c.step_id, c.attempt, c.seq, c.http_status) for c in journal.calls_of(run)]
    journal.close()
    assert made == [(CLOUDTRAIL, 1, 1, 200), (CLOUDTRAIL, 1, 2, 200), (CLOUDTRAIL, 2, 1, 503)]


def test_a_batch_call_is_journaled_with_the_tables_it_names() -> None:
    params = {"RequestItems": {"sessions": {"Keys": [{"pk": {"S": "secret-value"}}]}}}
    assert intents.resource_of(params) == "TableName=sessions"


def test_the_calls_table_summarizes_the_canarys_repeated_calls_and_lists_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    journal, run = Journal(f"sqlite:///{tmp_path / 'state.db'}"), "shown"
    canary = RunCalls(journal, FakeClock(), run, CANARY, 1)
    for _ in range(3):
        _call(canary)
    _call(canary, "PutItem", 500)
    report = RunCalls(journal, FakeClock(), run, CLOUDTRAIL, 1)
    _call(report, "LookupEvents")
    _call(report, "LookupEvents")
    calls = journal.calls_of(run)
    journal.close()
    print_calls(calls)
    out = capsys.readouterr().out
    assert "AWS calls (6)" in out
    assert out.count("dynamodb:PutItem ×3") == 1 and out.count("dynamodb:PutItem ") == 2
    assert f"{calls[0].request_id} (first)" in out
    assert out.count("dynamodb:LookupEvents") == 2  # not the canary's: one line each
