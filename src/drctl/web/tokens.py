"""Personal API tokens for the dashboard: shown once, stored hashed, revocable, expiring.

Tokens live in their own table (`drctl_web_tokens`) in the state database, beside the
journal and the audit trail, so a team on PostgreSQL shares them. Only the SHA-256 of a
token is stored: a token is 32 random bytes, so a plain hash cannot be brute-forced.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa

from drctl.audit import store
from drctl.clock import Clock, SystemClock
from drctl.errors import DrctlError
from drctl.model import Frozen

PREFIX = "drctl_"

_meta = sa.MetaData()
tokens = sa.Table(
    "drctl_web_tokens",
    _meta,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("secret_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True)),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)


class Role(StrEnum):
    """What a token may do; each role may also do everything of the roles before it."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    APPROVER = "approver"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """Whether this role may do what `needed` may."""
        return self.rank >= needed.rank


class Token(Frozen):
    """A stored token, without its secret."""

    id: str
    name: str
    role: Role
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        """Neither revoked nor expired at `now`."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def state(self, now: datetime) -> str:
        """`active`, `revoked` or `expired`."""
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.active(now) else "expired"


def digest(secret: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenStore:
    """Create, list, revoke and check tokens in the state database at `url`."""

    def __init__(self, url: str, *, clock: Clock | None = None) -> None:
        self.url = url
        self.clock: Clock = clock or SystemClock()
        self.engine = store.open_engine(url)
        with store.store_errors(url), store.write_transaction(self.engine) as conn:
            _meta.create_all(conn)

    def create(
        self, name: str, role: Role, expires_in: timedelta | None = None
    ) -> tuple[Token, str]:
        """A new token; the secret is returned here and never again."""
        name = name.strip()
        if not name:
            raise DrctlError("a token needs a name", hint="drctl tokens create --name alice ...")
        now = self.clock.now()
        token = Token(
            id=secrets.token_hex(8),
            name=name,
            role=role,
            created_at=now,
            expires_at=now + expires_in if expires_in is not None else None,
        )
        secret = PREFIX + secrets.token_urlsafe(32)
        with store.store_errors(self.url), store.write_transaction(self.engine) as conn:
            if any(t.active(now) for t in self._named(conn, name)):
                raise DrctlError(
                    f"an active token named `{name}` exists",
                    hint=f"revoke it first (drctl tokens revoke {name}) or choose another name",
                )
            conn.execute(tokens.insert().values(**token.model_dump(), secret_sha256=digest(secret)))
        return token, secret

    def all(self) -> list[Token]:
        """Every token, oldest first."""
        with store.store_errors(self.url), self.engine.connect() as conn:
            rows = conn.execute(sa.select(tokens).order_by(tokens.c.created_at)).all()
        return [_token(r) for r in rows]

    def revoke(self, name: str) -> list[Token]:
        """Revoke the active tokens called `name`; a `DrctlError` when there is none."""
        now = self.clock.now()
        with store.store_errors(self.url), store.write_transaction(self.engine) as conn:
            active = [t for t in self._named(conn, name) if t.active(now)]
            if not active:
                raise DrctlError(f"no active token named `{name}`", hint="see drctl tokens list")
            ids = [t.id for t in active]
            conn.execute(tokens.update().where(tokens.c.id.in_(ids)).values(revoked_at=now))
        return [t.model_copy(update={"revoked_at": now}) for t in active]

    def authenticate(self, secret: str) -> Token | None:
        """The active token with this secret, else None."""
        query = sa.select(tokens).where(tokens.c.secret_sha256 == digest(secret.strip()))
        return self._active(query)

    def get(self, token_id: str) -> Token | None:
        """The token with this id while it is active (sessions re-check on every request)."""
        return self._active(sa.select(tokens).where(tokens.c.id == token_id))

    def _active(self, query: sa.Select[tuple[object, ...]]) -> Token | None:
        with store.store_errors(self.url), self.engine.connect() as conn:
            row = conn.execute(query).first()
        token = _token(row) if row is not None else None
        return token if token is not None and token.active(self.clock.now()) else None

    def _named(self, conn: sa.Connection, name: str) -> list[Token]:
        return [_token(r) for r in conn.execute(sa.select(tokens).where(tokens.c.name == name))]

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


def _token(row: sa.Row[tuple[object, ...]]) -> Token:
    return Token.model_validate(
        {
            "id": row.id,
            "name": row.name,
            "role": row.role,
            "created_at": _utc(row.created_at),
            "expires_at": _utc(row.expires_at),
            "revoked_at": _utc(row.revoked_at),
        }
    )


def _utc(value: object) -> datetime | None:
    from datetime import UTC

    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
