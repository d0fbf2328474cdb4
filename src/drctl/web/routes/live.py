"""Server-sent events of one run until it ends: its status and steps whenever they change
(`run` events), its probe chart redrawn whenever samples or measurements arrive (`chart`),
and its new audit events with the chain's verify status (`audit`, after the page's `after` seq)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from drctl.audit.event import AuditEvent
from drctl.audit.verify import ChainReport, verify_chain
from drctl.runbook.run import Run
from drctl.web.auth import Identity, dashboard_of, require
from drctl.web.charts import chart_data, probe_chart, signature
from drctl.web.tokens import Role

if TYPE_CHECKING:
    from drctl.web.app import Dashboard

router = APIRouter(include_in_schema=False)
POLL_SECONDS = 0.3
KEEPALIVE_POLLS = 50


def snapshot(run: Run) -> dict[str, object]:
    """What the run page updates: run status, each step's status and attempts, approvals."""
    return {
        "status": run.status,
        "finished": run.finished,
        "steps": {s.id: {"status": s.status, "attempts": s.attempts} for s in run.steps},
        "approvals": len(run.approvals),
    }


def audit_update(events: list[AuditEvent], chain: ChainReport) -> dict[str, object]:
    """New rows of the run page's audit trail (payloads are redacted when stored; only the
    actor's reason is shown) and the chain's verify status, worded as the page words it."""
    if chain.ok:
        verdict = f"chain verified ({chain.checked} events checked)"
    else:
        brk = chain.first_break
        verdict = f"chain broken at seq {brk.seq}: {brk.kind} — {brk.detail}" if brk else "broken"
    return {
        "events": [
            {
                "seq": e.seq,
                "time": f"{e.time.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC",
                "actor": e.actor,
                "kind": e.kind,
                "step": e.step_id or "",
                "reason": str(e.payload.get("reason") or ""),
                "hash": e.hash[:12],
            }
            for e in events
        ],
        "chain": {"ok": chain.ok, "text": verdict},
    }


def _new_audit(board: Dashboard, run_id: str, after: int) -> tuple[int, str] | None:
    """(newest seq, `audit` event data) when the run has audit events after `after`."""
    found = list(board.audit.events(run_id, after=after))
    if not found:
        return None
    return found[-1].seq, json.dumps(audit_update(found, verify_chain(board.audit, run_id)))


@router.get("/runs/{run_id}/events")
async def events(
    request: Request,
    who: Annotated[Identity, Depends(require(Role.VIEWER))],
    run_id: str,
    after: Annotated[int, Query(ge=0, description="the last audit seq the page shows")] = 0,
) -> StreamingResponse:
    board = dashboard_of(request)
    board.run(run_id)

    async def stream() -> AsyncIterator[str]:
        last, idle, shown = "", 0, after
        drawn = await asyncio.to_thread(signature, board.measure, run_id)
        while not await request.is_disconnected():
            now = await asyncio.to_thread(signature, board.measure, run_id)
            if now != drawn:
                drawn, idle = now, 0
                svg = await asyncio.to_thread(chart_data, board.measure, run_id)
                yield f"event: chart\ndata: {json.dumps(str(probe_chart(svg)))}\n\n"
            audit = await asyncio.to_thread(_new_audit, board, run_id, shown)
            if audit is not None:
                (shown, update), idle = audit, 0
                yield f"event: audit\ndata: {update}\n\n"
            run = await asyncio.to_thread(board.engine.status, run_id)
            data = json.dumps(snapshot(run))
            if data != last:
                last, idle = data, 0
                yield f"event: run\ndata: {data}\n\n"
                if run.finished:
                    return
            elif (idle := idle + 1) >= KEEPALIVE_POLLS:
                idle = 0
                yield ": keep-alive\n\n"
            await asyncio.sleep(POLL_SECONDS)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
