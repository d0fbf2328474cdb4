"""The dashboard's routes, one module per area; `render` draws a page for a signed-in person."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from drctl.web.auth import Identity, dashboard_of
from drctl.web.tokens import Role


def render(
    request: Request, who: Identity | None, template: str, status: int = 200, **context: Any
) -> HTMLResponse:
    """A page; `who` decides which buttons show, and gives the forms their CSRF token."""
    templates: Jinja2Templates = request.app.state.templates
    board = dashboard_of(request)
    return templates.TemplateResponse(
        request,
        template,
        {"who": who, "csrf": who.csrf if who else "", "now": board.now(), "roles": Role, **context},
        status_code=status,
    )
