"""Server-sent events of one run until it ends: its status and steps whenever they change
(`run` events), and its probe chart redrawn whenever samples or measurements arrive (`chart`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from drctl.runbook.run import Run
from drctl.web.auth import Identity, dashboard_of, require
from drctl.web.charts import chart_data, probe_chart, signature
from drctl.web.tokens import Role

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


@router.get("/runs/{run_id}/events")
async def events(
    request: Request, who: Annotated[Identity, Depends(require(Role.VIEWER))], run_id: str
) -> StreamingResponse:
    board = dashboard_of(request)
    board.run(run_id)

    async def stream() -> AsyncIterator[str]:
        last, idle = "", 0
        drawn = await asyncio.to_thread(signature, board.measure, run_id)
        while not await request.is_disconnected():
            now = await asyncio.to_thread(signature, board.measure, run_id)
            if now != drawn:
                drawn, idle = now, 0
                svg = await asyncio.to_thread(chart_data, board.measure, run_id)
                yield f"event: chart\ndata: {json.dumps(str(probe_chart(svg)))}\n\n"
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
