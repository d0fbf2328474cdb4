"""Sign in with a token (it becomes a session cookie), sign out."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from drctl.web.auth import dashboard_of, identity
from drctl.web.routes import render
from drctl.web.session import COOKIE, LIFETIME, LOGIN_COOKIE

router = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    """Only a path on this site (no `//host` or scheme): no open redirect."""
    local = target.startswith("/") and not target.startswith(("//", "/\\"))
    return target if local and "\\" not in target else "/"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/", error: str = "") -> Response:
    nonce = secrets.token_hex(16)
    page = render(
        request,
        None,
        "login.html",
        status=401 if error else 200,
        login_csrf=dashboard_of(request).codec.csrf_for(nonce),
        next=_safe_next(next),
        error=error,
    )
    page.set_cookie(
        LOGIN_COOKIE,
        nonce,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/login",
    )
    return page


@router.post("/login")
def login(
    request: Request,
    token: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    board = dashboard_of(request)
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not board.codec.csrf_ok(board.codec.csrf_for(nonce), csrf):
        return RedirectResponse("/login?error=the+form+expired%2C+try+again", 303)
    found = board.tokens.authenticate(token)
    if found is None:
        return RedirectResponse("/login?error=unknown%2C+revoked+or+expired+token", 303)
    response = RedirectResponse(_safe_next(next), 303)
    response.set_cookie(
        COOKIE,
        board.codec.issue(found.id, board.now()),
        max_age=int(LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    who = identity(request)
    form = await request.form()
    given = form.get("csrf")
    valid = isinstance(given, str) and dashboard_of(request).codec.csrf_ok(
        who.csrf if who else "", given
    )
    if who is not None and who.via == "session" and not valid:
        return RedirectResponse("/", 303)
    response = RedirectResponse("/login", 303)
    response.delete_cookie(COOKIE)
    return response
