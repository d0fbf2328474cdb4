"""Steps ready together start together and end in groups: one journal transaction and one
publish for a wave's starts, a group commit for their ends, with the fence and each step's
own outcome kept."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.engine.conftest import runbook, until

from drctl.engine import Engine
from drctl.engine.attempts import EndLine
from drctl.engine.events import RunEvent
from drctl.engine.journal import Journal, RunTakenOver
from drctl.runbook.run import Run, StepRun
from drctl.settings import Settings


class Batches:
    """A subscriber that takes batches and records each delivery's kinds and step ids."""

    def __init__(self, refuse: str | None = None) -> None:
        self.refuse = refuse  # the step whose step.succeeded it refuses
        self.deliveries: list[list[tuple[str, str | None]]] = []
        self.lock = threading.Lock()

    def __call__(self, event: RunEvent) -> None:
        self.deliver_all([event])

    def deliver_all(self, events: Sequence[RunEvent]) -> None:
        if any(e.kind == "step.succeeded" and e.step_id == self.refuse for e in events):
            raise RuntimeError(f"refused {self.refuse}")
        with self.lock:
            self.deliveries.append([(e.kind, e.step_id) for e in events])

    def of(self, kind: str) -> list[list[str | None]]:
        return [[s for k, s in d if k == kind] for d in self.deliveries if d[0][0] == kind]


def _waves(waves: int, width: int) -> str:
    lines = []
    for wave in range(waves):
        needs = [f"w{wave - 1}s{k}" for k in range(width)] if wave else []
        for lane in range(width):
            lines.append(
                f"  - {{id: w{wave}s{lane}, title: Lane {lane}, action: noop, needs: {needs}}}\n"
            )
    return "".join(lines)


def test_a_wave_starts_in_one_publish_and_every_step_ends_once(settings: Settings) -> None:
    seen = Batches()
    runner = Engine(settings, subscribers=[seen])
    run = runner.wait(runner.start_run(runbook(_waves(3, 8)), actor="a", concurrency=8), 60)

    assert run.status == "succeeded" and all(s.attempts == 1 for s in run.steps)
    # Each wave's eight starts are announced together, most urgent first.
    assert seen.of("step.started") == [[f"w{w}s{k}" for k in range(8)] for w in range(3)]
    ended = [s for batch in seen.of("step.succeeded") for s in batch]
    assert sorted(ended, key=str) == sorted((s.id for s in run.steps), key=str)


def test_a_subscriber_refusing_one_end_fails_that_step_only(settings: Settings) -> None:
    runner = Engine(settings, subscribers=[Batches(refuse="w0s3")])
    run = runner.wait(runner.start_run(runbook(_waves(1, 8)), actor="a", concurrency=8), 60)

    statuses = {s.id: s.status for s in run.steps}
    assert statuses.pop("w0s3") == "failed"
    assert set(statuses.values()) == {"succeeded"}
    failed = run.step("w0s3")
    assert failed is not None and failed.error is not None
    assert "refused w0s3" in failed.error.message


@pytest.fixture(params=["sqlite", "postgres"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    url = (
        f"sqlite:///{tmp_path / 'state.db'}"
        if request.param == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    journal = Journal(url)
    yield journal
    journal.close()


def _run(journal: Journal, steps: list[str]) -> str:
    run_id = f"waves-{secrets.token_hex(4)}"  # the PostgreSQL database is the session's
    journal.create_run(Run(id=run_id, runbook="rb", runbook_hash="h"), steps)
    return run_id


def test_a_wave_starts_only_its_pending_steps_and_only_under_the_claim(journal: Journal) -> None:
    run_id = _run(journal, ["a", "b", "c"])
    now = datetime.now(UTC)
    first = journal.claim(run_id, now)
    journal.end_step(run_id, StepRun(id="a", status="succeeded", attempts=1), first)

    started = journal.start_steps(run_id, ["a", "b"], now, first)
    assert list(started) == ["b"]  # a finished step goes the long way, and keeps its entry
    assert (started["b"].status, started["b"].attempts) == ("running", 1)

    journal.claim(run_id, now)  # another execution takes the run over
    with pytest.raises(RunTakenOver):
        journal.start_steps(run_id, ["c"], now, first)
    c = journal.step(run_id, "c")
    assert c is not None and c.status == "pending"


def test_a_group_of_ends_is_written_whole_or_not_at_all(journal: Journal) -> None:
    run_id = _run(journal, ["a", "b"])
    now = datetime.now(UTC)
    first = journal.claim(run_id, now)
    journal.start_steps(run_id, ["a", "b"], now, first)
    ends = [
        StepRun(id=i, status="succeeded", attempts=1, ended_at=now, output={"i": i})
        for i in ("a", "b")
    ]
    assert [e.output for e in journal.end_steps(run_id, ends[:1], first)] == [{"i": "a"}]

    second = journal.claim(run_id, now)
    with pytest.raises(RunTakenOver):
        journal.end_steps(run_id, ends, first)
    a, b = journal.step(run_id, "a"), journal.step(run_id, "b")
    assert a is not None and b is not None
    assert (a.status, b.status) == ("succeeded", "running")  # the refused group left no row

    journal.end_steps(run_id, ends[1:], second)
    b = journal.step(run_id, "b")
    assert b is not None and (b.status, b.output) == ("succeeded", {"i": "b"})


def test_ends_that_arrive_while_a_group_is_written_go_together(settings: Settings) -> None:
    """Twelve steps end while the first end is held in its write: the other eleven are
    written as one group, each gets its own stored entry, and each event goes out once."""
    seen = Batches()
    runner = Engine(settings, subscribers=[seen])
    journal = runner.journal
    ids = [f"s{i}" for i in range(12)]
    journal.create_run(Run(id="r1", runbook="rb", runbook_hash="h"), ids)
    owner = journal.claim("r1", runner.clock.now())
    journal.start_steps("r1", ids, runner.clock.now(), owner)
    line = EndLine("r1", owner, runner)

    first_written, release = threading.Event(), threading.Event()
    groups: list[int] = []
    end_steps = journal.end_steps

    def held(run_id: str, results: Sequence[StepRun], owner: str) -> list[StepRun]:
        groups.append(len(results))
        if len(groups) == 1:
            first_written.set()
            assert release.wait(10)
        return end_steps(run_id, results, owner)

    def event(stored: StepRun) -> RunEvent:
        return runner.publisher.event("step.succeeded", "r1", step_id=stored.id, key=1)

    stored: dict[str, StepRun] = {}

    def close(step_id: str) -> None:
        result = StepRun(id=step_id, status="succeeded", attempts=1, detail=f"{step_id} done")
        stored[step_id] = line.close(result, event)

    journal.end_steps = held  # type: ignore[method-assign]
    try:
        threads = [threading.Thread(target=close, args=(ids[0],))]
        threads[0].start()
        assert first_written.wait(10)
        threads += [threading.Thread(target=close, args=(i,)) for i in ids[1:]]
        for thread in threads[1:]:
            thread.start()
        until(lambda: len(line._waiting) == 11, 10, "eleven ends to wait")
        release.set()
        for thread in threads:
            thread.join(10)
    finally:
        del journal.end_steps

    assert groups == [1, 11]
    assert {i: s.detail for i, s in stored.items()} == {i: f"{i} done" for i in ids}
    assert sorted(s for batch in seen.of("step.succeeded") for s in batch if s) == sorted(ids)
    assert all(journal.step("r1", i).status == "succeeded" for i in ids)  # type: ignore[union-attr]
