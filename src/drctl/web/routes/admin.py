"""Token administration for admins: list, create (shown once), revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from drctl.errors import DrctlError
from drctl.plan.durations import parse_duration
from drctl.web.auth import Identity, dashboard_of, require
from drctl.web.routes import render
from drctl.web.tokens import Role

router = APIRouter(include_in_schema=False)
Admin = Annotated[Identity, Depends(require(Role.ADMIN))]


def _page(request: Request, who: Identity, status: int = 200, **extra: object) -> Response:
    board = dashboard_of(request)
    return render(request, who, "tokens.html", status=status, tokens=board.tokens.all(), **extra)


@router.get("/tokens", response_class=HTMLResponse)
def tokens(request: Request, who: Admin) -> Response:
    return _page(request, who)


@router.post("/tokens", response_class=HTMLResponse)
def create(
    request: Request,
    who: Admin,
    name: Annotated[str, Form()],
    role: Annotated[Role, Form()],
    expires: Annotated[str, Form()] = "",
) -> Response:
    try:
        lifetime = parse_duration(expires) if expires.strip() else None
        token, secret = dashboard_of(request).tokens.create(name, role, lifetime)
    except ValueError as exc:
        return _page(request, who, 422, error=f"expires: {exc}")
    except DrctlError as exc:
        return _page(request, who, 409, error=exc.message)
    # The one page that shows a secret: the new token, to its creator, once.
    page = _page(request, who, created=token, secret=secret)
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post("/tokens/{name}/revoke")
def revoke(request: Request, who: Admin, name: str) -> Response:
    try:
        dashboard_of(request).tokens.revoke(name)
    except DrctlError as exc:
        return _page(request, who, 404, error=exc.message)
    return RedirectResponse("/tokens", 303)
