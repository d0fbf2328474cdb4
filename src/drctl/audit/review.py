"""Post-drill review: problems found and improvement actions (owner, due date) until closed.

Actions live in a table beside the chain and every change to them is an audit event too.
`open_actions(plan)` is what the report calls to carry unfinished actions into the next
drill's report.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import sqlalchemy as sa
from pydantic import Field

from drctl.audit import store
from drctl.audit.event import utc_text
from drctl.audit.log import AuditLog, Entry
from drctl.audit.redact import Redactor
from drctl.errors import DrctlError
from drctl.model import Frozen, Strict
from drctl.settings import Settings


class ActionItem(Strict):
    """An improvement action someone owns, to be done by a date."""

    text: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    due: date


class Review(Strict):
    """What a review of one run found (the shape of a `review.yaml`)."""

    problems: list[str] = []
    actions: list[ActionItem] = []


class ImprovementAction(Frozen):
    """A stored improvement action and its state."""

    id: int
    plan: str
    run_id: str
    text: str
    owner: str
    due: date
    status: Literal["open", "closed"]
    created_at: str
    created_by: str
    closed_at: str | None = None
    closed_by: str | None = None
    resolution: str | None = None


def record_review(
    log: AuditLog, run_id: str, plan: str, review: Review, actor: str
) -> list[ImprovementAction]:
    """Store a review's problems (as audit events) and actions (as open actions plus events)."""
    redactor = Redactor()
    entries = [
        Entry(run_id, actor, "review.problem", {"text": redactor.redact_text(p), "plan": plan})
        for p in review.problems
    ]
    log.append_many(entries)
    return [_add_action(log, run_id, plan, item, actor, redactor) for item in review.actions]


def _add_action(
    log: AuditLog, run_id: str, plan: str, item: ActionItem, actor: str, redactor: Redactor
) -> ImprovementAction:
    values = {
        "plan": plan,
        "run_id": run_id,
        "text": redactor.redact_text(item.text),
        "owner": item.owner,
        "due": item.due.isoformat(),
        "status": "open",
        "created_at": utc_text(log.clock.now()),
        "created_by": actor,
    }
    with log.writing() as writer:
        new_id = writer.conn.execute(store.actions.insert().values(values)).inserted_primary_key
        action = ImprovementAction.model_validate({**values, "id": new_id[0] if new_id else 0})
        writer.append(Entry(run_id, actor, "review.action", action.model_dump(mode="json")))
    return action


def list_actions(
    log: AuditLog, *, plan: str | None = None, only_open: bool = False
) -> list[ImprovementAction]:
    """Improvement actions, oldest first, optionally of one plan and still open."""
    query = sa.select(store.actions).order_by(store.actions.c.id)
    if plan is not None:
        query = query.where(store.actions.c.plan == plan)
    if only_open:
        query = query.where(store.actions.c.status == "open")
    with store.store_errors(log.url), log.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [ImprovementAction.model_validate({**r._mapping}) for r in rows]


def close_action(log: AuditLog, action_id: int, actor: str, resolution: str) -> ImprovementAction:
    """Close an open action, recording who closed it and why."""
    current = _one(log, action_id)
    if current.status == "closed":
        raise DrctlError(
            f"action {action_id} is already closed (by {current.closed_by} at {current.closed_at})",
            hint="`drctl actions list --open` shows what is still open",
        )
    values = {
        "status": "closed",
        "closed_at": utc_text(log.clock.now()),
        "closed_by": actor,
        "resolution": Redactor().redact_text(resolution),
    }
    update = store.actions.update().where(store.actions.c.id == action_id).values(values)
    closed = current.model_copy(update=values)
    with log.writing() as writer:
        writer.conn.execute(update)
        writer.append(
            Entry(current.run_id, actor, "review.action_closed", closed.model_dump(mode="json"))
        )
    return closed


def _one(log: AuditLog, action_id: int) -> ImprovementAction:
    query = sa.select(store.actions).where(store.actions.c.id == action_id)
    with store.store_errors(log.url), log.engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise DrctlError(
            f"no improvement action {action_id}", hint="`drctl actions list` shows the ids"
        )
    return ImprovementAction.model_validate({**row._mapping})


def open_actions(plan_name: str, settings: Settings | None = None) -> list[ImprovementAction]:
    """Open actions of a plan, for the next drill's report."""
    log = AuditLog.from_settings(settings or Settings())
    try:
        return list_actions(log, plan=plan_name, only_open=True)
    finally:
        log.dispose()
