"""Who is asking: a session cookie (after token login) or a bearer token, checked on every request.

`require(role)` is the one FastAPI dependency routes use. A session's token is looked up
again on every request, so revoking or expiring a token ends its sessions at once. A
state-changing request made with a session cookie must carry the session's CSRF token
(form field `csrf`); a bearer request carries no cookie and needs none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from fastapi import HTTPException, Request

from drctl.identity import Identity as Person
from drctl.identity import dashboard_identity
from drctl.web.session import COOKIE
from drctl.web.tokens import Role, Token

if TYPE_CHECKING:
    from drctl.web.app import Dashboard

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Identity:
    """A signed-in token holder."""

    token: Token
    via: Literal["session", "bearer"]
    csrf: str = ""

    @property
    def actor(self) -> str:
        """How the dashboard names this person in runs, approvals and the audit trail."""
        return f"dashboard:{self.token.name}"

    @property
    def person(self) -> Person:
        """The verified identity the engine records and the two-person rule compares."""
        return dashboard_identity(self.token.name, label=self.actor)

    def allows(self, role: Role) -> bool:
        return self.token.role.allows(role)


class NotSignedIn(Exception):
    """No valid session or token: pages redirect to the login form, the API answers 401."""


def dashboard_of(request: Request) -> Dashboard:
    found: Dashboard = request.app.state.dashboard
    return found


def identity(request: Request) -> Identity | None:
    """The caller, if a valid bearer token or session cookie came with the request."""
    board = dashboard_of(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = board.tokens.authenticate(header[7:])
        return Identity(token, "bearer") if token is not None else None
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    session = board.codec.verify(cookie, board.clock.now())
    if session is None:
        return None
    token = board.tokens.get(session.token_id)
    return Identity(token, "session", session.csrf) if token is not None else None


def require(role: Role) -> Callable[[Request], Awaitable[Identity]]:
    """A dependency: the caller must hold `role` (or a higher one), and a valid CSRF token on POST."""

    async def dependency(request: Request) -> Identity:
        who = identity(request)
        if who is None:
            raise NotSignedIn()
        if not who.allows(role):
            raise HTTPException(
                403, f"this needs the {role} role; token `{who.token.name}` is {who.token.role}"
            )
        if who.via == "session" and request.method not in SAFE_METHODS:
            form = await request.form()
            given = form.get("csrf")
            if not isinstance(given, str) or not dashboard_of(request).codec.csrf_ok(
                who.csrf, given
            ):
                raise HTTPException(403, "missing or wrong CSRF token: reload the page and retry")
        return who

    return dependency
