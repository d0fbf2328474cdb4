"""Tampering with the database directly is found, with the first broken seq and the kind of break."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from drctl.audit.event import canonical_json, hashed_fields, sha256_text
from drctl.audit.log import AuditLog, Entry
from drctl.audit.verify import ChainBreak, verify_chain

Tamper = Callable[[sqlite3.Connection], None]


def _db_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


@pytest.fixture
def chained(log: AuditLog) -> Iterator[tuple[AuditLog, sqlite3.Connection]]:
    """Ten events of two runs, and a raw connection to tamper with."""
    for n in range(10):
        log.append(Entry(f"run-{n % 2}", "alice", "note", {"n": n}))
    assert verify_chain(log).ok
    conn = sqlite3.connect(_db_path(log.url), isolation_level=None)
    yield log, conn
    conn.close()


def _row(conn: sqlite3.Connection, seq: int) -> dict[str, object]:
    cur = conn.execute("SELECT * FROM drctl_audit_events WHERE seq = ?", (seq,))
    names = [d[0] for d in cur.description]
    return dict(zip(names, cur.fetchone(), strict=True))


def _forged_hash(
    row: dict[str, object], seq: int, prev_hash: str, payload: dict[str, object]
) -> str:
    fields = hashed_fields(seq, str(row["time"]), str(row["run_id"]), str(row["actor"]),
                           str(row["kind"]), None, None, payload, prev_hash)  # fmt: skip
    return sha256_text(canonical_json(fields))


def _shift(conn: sqlite3.Connection, from_seq: int, by: int) -> None:
    conn.execute("UPDATE drctl_audit_events SET seq = -(seq + ?) WHERE seq >= ?", (by, from_seq))
    conn.execute("UPDATE drctl_audit_events SET seq = -seq WHERE seq < 0")


def modify_payload(conn: sqlite3.Connection) -> None:
    conn.execute("""UPDATE drctl_audit_events SET payload = '{"n":99}' WHERE seq = 4""")


def modify_and_rehash(conn: sqlite3.Connection) -> None:
    row = _row(conn, 4)
    forged = _forged_hash(row, 4, str(row["prev_hash"]), {"n": 99})
    conn.execute(
        "UPDATE drctl_audit_events SET payload = '{\"n\":99}', hash = ? WHERE seq = 4", (forged,)
    )


def modify_actor(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE drctl_audit_events SET actor = 'mallory' WHERE seq = 7")


def delete_middle(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM drctl_audit_events WHERE seq = 4")


def delete_and_renumber(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM drctl_audit_events WHERE seq IN (4, 5)")
    _shift(conn, 6, -2)
    conn.execute(
        "UPDATE drctl_audit_head SET seq = 8, hash = (SELECT hash FROM drctl_audit_events WHERE seq = 8)"
    )


def truncate_tail(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM drctl_audit_events WHERE seq >= 9")


def insert_forged(conn: sqlite3.Connection) -> None:
    before = _row(conn, 3)
    _shift(conn, 4, 1)
    forged = {
        **before,
        "seq": 4,
        "prev_hash": before["hash"],
        "payload": '{"n":-1}',
        "event_id": None,
    }
    forged["hash"] = _forged_hash(before, 4, str(before["hash"]), {"n": -1})
    conn.execute(f"INSERT INTO drctl_audit_events ({', '.join(forged)}) VALUES ({', '.join('?' * len(forged))})",
                 tuple(forged.values()))  # fmt: skip


def append_behind_drctls_back(conn: sqlite3.Connection) -> None:
    last = _row(conn, 10)
    forged = {**last, "seq": 11, "prev_hash": last["hash"], "payload": '{"n":11}'}
    forged["hash"] = _forged_hash(last, 11, str(last["hash"]), {"n": 11})
    conn.execute(f"INSERT INTO drctl_audit_events ({', '.join(forged)}) VALUES ({', '.join('?' * len(forged))})",
                 tuple(forged.values()))  # fmt: skip


def swap_two(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE drctl_audit_events SET seq = -1 WHERE seq = 4")
    conn.execute("UPDATE drctl_audit_events SET seq = 4 WHERE seq = 6")
    conn.execute("UPDATE drctl_audit_events SET seq = 6 WHERE seq = -1")


def swap_neighbours(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE drctl_audit_events SET seq = -1 WHERE seq = 5")
    conn.execute("UPDATE drctl_audit_events SET seq = 5 WHERE seq = 6")
    conn.execute("UPDATE drctl_audit_events SET seq = 6 WHERE seq = -1")


@pytest.mark.parametrize(
    ("tamper", "seq", "kind"),
    [
        (modify_payload, 4, "modified"),
        (modify_and_rehash, 4, "modified"),
        (modify_actor, 7, "modified"),
        (delete_middle, 4, "deleted"),
        (delete_and_renumber, 4, "deleted"),
        (truncate_tail, 9, "deleted"),
        (insert_forged, 4, "inserted"),
        (append_behind_drctls_back, 11, "inserted"),
        (swap_two, 4, "reordered"),
        (swap_neighbours, 5, "reordered"),
    ],
)
def test_verify_names_first_broken_seq_and_kind(
    chained: tuple[AuditLog, sqlite3.Connection], tamper: Tamper, seq: int, kind: str
) -> None:
    log, conn = chained
    tamper(conn)
    report = verify_chain(log)
    assert not report.ok
    assert report.first_break is not None
    assert (report.first_break.seq, report.first_break.kind) == (seq, kind)


def test_break_detail_says_where_the_moved_event_came_from(
    chained: tuple[AuditLog, sqlite3.Connection],
) -> None:
    log, conn = chained
    swap_two(conn)
    assert verify_chain(log).first_break == ChainBreak(
        seq=4, kind="reordered", detail="the event now at seq 4 was recorded as seq 6"
    )


def test_verify_of_a_run_stops_at_its_last_event(
    chained: tuple[AuditLog, sqlite3.Connection],
) -> None:
    log, conn = chained
    conn.execute("""UPDATE drctl_audit_events SET payload = '{"n":99}' WHERE seq = 10""")
    assert verify_chain(log, "run-0").ok  # run-0 ends at seq 9, before the change
    broken = verify_chain(log, "run-1").first_break
    assert broken is not None and broken.seq == 10


def test_tampering_on_postgresql_is_found_the_same_way(pg_url: str) -> None:
    log = AuditLog(pg_url)
    for n in range(5):
        log.append(Entry("run-pg", "alice", "note", {"n": n}))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE drctl_audit_events SET payload = '{\"n\":42}' WHERE seq = 3")
    assert verify_chain(log).first_break == ChainBreak(
        seq=3, kind="modified", detail="event 3 does not match its hash"
    )
    log.dispose()
