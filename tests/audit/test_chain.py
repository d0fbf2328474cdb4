"""The chain: links, canonical hashes, one record per event id, runs as views, UTC times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from drctl.audit.event import GENESIS_HASH, canonical_json, hashed_fields, sha256_text, stored_hash
from drctl.audit.log import AuditLog, Entry
from drctl.audit.subscriber import AuditSubscriber
from drctl.audit.verify import verify_chain
from drctl.clock import FakeClock
from drctl.engine.events import RunEvent
from drctl.settings import Settings


def test_first_event_links_to_genesis_and_each_next_to_its_predecessor(log: AuditLog) -> None:
    events = [log.append(Entry("run-1", "alice", "note", {"n": n})) for n in range(3)]
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert log.head().hash == events[2].hash


def test_hash_is_sha256_of_canonical_json_of_every_other_field(log: AuditLog) -> None:
    when = datetime(2026, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=9)))
    event = log.append(Entry("run-1", "alice", "decision", {"b": 1, "a": "x"}, "s1", "id-1", when))
    expected = (
        '{"actor":"alice","event_id":"id-1","kind":"decision","payload":{"a":"x","b":1},'
        f'"prev_hash":"{GENESIS_HASH}","run_id":"run-1","seq":1,"step_id":"s1",'
        '"time":"2026-05-01T00:30:00.000000Z"}'
    )
    assert event.hash == sha256_text(expected)
    assert event.time == datetime(2026, 5, 1, 0, 30, tzinfo=UTC)


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=200)
@given(
    payload=st.dictionaries(st.text(), json_values, max_size=4),
    actor=st.text(),
    step=st.none() | st.text(),
)
def test_verify_fast_path_hashes_exactly_like_the_canonical_form(
    payload: dict[str, object], actor: str, step: str | None
) -> None:
    fields = hashed_fields(
        7, "2026-01-01T00:00:00.000000Z", "r", actor, "k", step, None, payload, "ab"
    )
    fast = stored_hash(
        7, "2026-01-01T00:00:00.000000Z", "r", actor, "k", step, None, canonical_json(payload), "ab"
    )
    assert fast == sha256_text(canonical_json(fields))


def test_an_event_id_delivered_twice_is_stored_once(log: AuditLog) -> None:
    first = log.append(
        Entry("run-1", "engine", "step.succeeded", {"try": 1}, event_id="run-1:s:ok:1")
    )
    again = log.append(
        Entry("run-1", "engine", "step.succeeded", {"try": 2}, event_id="run-1:s:ok:1")
    )
    assert again == first
    assert [e.payload for e in log.events()] == [{"try": 1}]


def test_duplicates_inside_one_batch_are_stored_once(log: AuditLog) -> None:
    stored = log.append_many(
        [Entry("r", "a", "note", {}, event_id="x"), Entry("r", "a", "note", {}, event_id="x")]
    )
    assert stored[0] == stored[1]
    assert log.head().seq == 1


def test_subscriber_replaying_engine_events_after_recovery_keeps_one_copy(sqlite_url: str) -> None:
    subscriber = AuditSubscriber(Settings(database_url=sqlite_url))
    start = datetime(2026, 5, 1, tzinfo=UTC)
    events = [
        RunEvent(id=f"run-9:step-{i}:step.succeeded:1", kind="step.succeeded", run_id="run-9",
                 time=start + timedelta(seconds=i), actor="engine", step_id=f"step-{i}")
        for i in range(5)
    ]  # fmt: skip
    for event in events[:3]:
        subscriber(event)
    for event in events:  # recovery re-delivers the first three
        subscriber(event)
    stored = list(subscriber.log.events("run-9"))
    assert [e.event_id for e in stored] == [e.id for e in events]
    assert [e.step_id for e in stored] == [f"step-{i}" for i in range(5)]
    assert verify_chain(subscriber.log).ok


def test_runs_are_views_of_one_global_chain(log: AuditLog) -> None:
    for n in range(6):
        log.append(Entry(f"run-{n % 2}", "alice", "note", {"n": n}))
    assert [e.seq for e in log.events("run-1")] == [2, 4, 6]
    assert log.run_span("run-0") == (1, 5, 3)
    report = verify_chain(log, "run-0")
    assert report.ok and report.checked == 5 and report.run_events == 3


def test_event_time_comes_from_the_clock_when_not_given(sqlite_url: str) -> None:
    clock = FakeClock(datetime(2026, 3, 3, 3, 3, 3, tzinfo=UTC))
    log = AuditLog(sqlite_url, clock=clock)
    assert log.append(Entry("r", "a", "note")).time == clock.now()


def test_plain_postgresql_url_is_accepted_and_chains_like_sqlite(pg_url: str) -> None:
    log = AuditLog(pg_url)
    events = [
        log.append(Entry("run-pg", "alice", "note", {"n": n}, event_id=f"e{n % 3}"))
        for n in range(5)
    ]
    assert [e.seq for e in events] == [1, 2, 3, 1, 2]
    assert verify_chain(log).ok
    log.dispose()
