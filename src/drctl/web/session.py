"""Signed session cookies and the CSRF tokens tied to them.

A cookie holds `token id . issued . nonce . signature` (HMAC-SHA256 with the server's
key); no secret is in it. The CSRF token of a session is an HMAC of its nonce, so a
form posted from another site (which cannot read the page) cannot carry it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

COOKIE = "drctl_session"
LOGIN_COOKIE = "drctl_login"
LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class Session:
    """A verified session: whose token, since when, and its CSRF token."""

    token_id: str
    issued: datetime
    csrf: str


class SessionCodec:
    """Issues and verifies session cookies with one key (random per server unless given)."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key or secrets.token_bytes(32)

    def _sign(self, text: str) -> str:
        mac = hmac.new(self.key, text.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def issue(self, token_id: str, now: datetime) -> str:
        """A new cookie value for `token_id`."""
        body = f"{token_id}.{int(now.timestamp())}.{secrets.token_hex(16)}"
        return f"{body}.{self._sign(body)}"

    def verify(self, value: str, now: datetime) -> Session | None:
        """The session in a cookie value if its signature holds and it has not expired."""
        parts = value.split(".")
        if len(parts) != 4 or not parts[1].isdigit():
            return None
        body = ".".join(parts[:3])
        if not hmac.compare_digest(self._sign(body), parts[3]):
            return None
        issued = datetime.fromtimestamp(int(parts[1]), tz=now.tzinfo)
        if now - issued > LIFETIME:
            return None
        return Session(token_id=parts[0], issued=issued, csrf=self.csrf_for(parts[2]))

    def csrf_for(self, nonce: str) -> str:
        """The CSRF token of a session (or of a login form) with this nonce."""
        return self._sign(f"csrf.{nonce}")

    def csrf_ok(self, expected: str, given: str) -> bool:
        """Constant-time comparison of a posted CSRF token."""
        return bool(given) and hmac.compare_digest(expected, given)
