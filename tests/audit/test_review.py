"""Reviews: problems and improvement actions recorded, carried while open, closed with who and why."""

from __future__ import annotations

from datetime import date

import pytest

from drctl.audit.log import AuditLog, Entry
from drctl.audit.review import (
    ActionItem,
    Review,
    close_action,
    list_actions,
    open_actions,
    record_review,
)
from drctl.audit.verify import verify_chain
from drctl.errors import DrctlError
from drctl.settings import Settings


def _review(log: AuditLog) -> None:
    log.append(Entry("drill-1", "engine", "run.succeeded"))
    record_review(
        log, "drill-1", "shop",
        Review(problems=["DNS TTL too long"],
               actions=[ActionItem(text="lower TTL to 60s", owner="alice", due=date(2026, 6, 30)),
                        ActionItem(text="alarm on replica lag", owner="bob", due=date(2026, 7, 31))]),
        "carol",
    )  # fmt: skip


def test_review_stores_open_actions_and_audit_events(log: AuditLog) -> None:
    _review(log)
    actions = list_actions(log, plan="shop")
    assert [(a.id, a.text, a.owner, a.due, a.status) for a in actions] == [
        (1, "lower TTL to 60s", "alice", date(2026, 6, 30), "open"),
        (2, "alarm on replica lag", "bob", date(2026, 7, 31), "open"),
    ]
    kinds = [(e.kind, e.actor) for e in log.events("drill-1")]
    assert kinds == [("run.succeeded", "engine"), ("review.problem", "carol"),
                     ("review.action", "carol"), ("review.action", "carol")]  # fmt: skip
    assert verify_chain(log).ok


def test_open_actions_are_carried_until_closed(log: AuditLog, sqlite_url: str) -> None:
    _review(log)
    settings = Settings(database_url=sqlite_url)
    assert [a.id for a in open_actions("shop", settings)] == [1, 2]
    closed = close_action(log, 1, "alice", "TTL is 60s now")
    assert (closed.status, closed.closed_by, closed.resolution) == (
        "closed",
        "alice",
        "TTL is 60s now",
    )
    assert [a.id for a in open_actions("shop", settings)] == [2]
    assert open_actions("other-plan", settings) == []
    last = list(log.events("drill-1"))[-1]
    assert (last.kind, last.actor, last.payload["id"]) == ("review.action_closed", "alice", 1)


def test_closing_twice_or_an_unknown_action_is_an_error(log: AuditLog) -> None:
    _review(log)
    close_action(log, 2, "bob", "done")
    with pytest.raises(DrctlError, match="action 2 is already closed"):
        close_action(log, 2, "bob", "again")
    with pytest.raises(DrctlError, match="no improvement action 99"):
        close_action(log, 99, "bob", "")
