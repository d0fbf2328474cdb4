"""Dashboard tokens: shown once, stored hashed, revocable, expiring; the `drctl tokens` commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from drctl.cli import main
from drctl.clock import FakeClock
from drctl.errors import DrctlError
from drctl.settings import Settings
from drctl.web.tokens import Role, TokenStore, tokens


def store(tmp_path: Path, clock: FakeClock | None = None) -> TokenStore:
    return TokenStore(Settings(home=tmp_path / ".drctl").state_database_url(), clock=clock)


def test_only_the_hash_of_a_token_is_stored(tmp_path: Path) -> None:
    tokens_ = store(tmp_path)
    token, secret = tokens_.create("alice", Role.APPROVER)
    with tokens_.engine.connect() as conn:
        rows = [tuple(str(v) for v in r) for r in conn.execute(sa.select(tokens))]
    assert secret.startswith("drctl_") and len(secret) > 40
    assert rows and not any(secret in value for row in rows for value in row)
    assert tokens_.authenticate(secret) == token
    assert tokens_.authenticate(secret + "x") is None


def test_a_revoked_token_no_longer_authenticates_and_its_name_can_be_reused(tmp_path: Path) -> None:
    tokens_ = store(tmp_path)
    _, secret = tokens_.create("bob", Role.OPERATOR)
    with pytest.raises(DrctlError, match="an active token named `bob` exists"):
        tokens_.create("bob", Role.VIEWER)
    tokens_.revoke("bob")
    assert tokens_.authenticate(secret) is None
    _, again = tokens_.create("bob", Role.VIEWER)
    assert tokens_.authenticate(again) is not None
    with pytest.raises(DrctlError, match="no active token named `carol`"):
        tokens_.revoke("carol")


def test_a_token_expires_at_its_lifetime(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    tokens_ = store(tmp_path, clock)
    token, secret = tokens_.create("carol", Role.VIEWER, timedelta(days=30))
    clock.advance(timedelta(days=29, hours=23))
    assert tokens_.authenticate(secret) == token
    clock.advance(timedelta(hours=1))
    assert tokens_.authenticate(secret) is None
    assert tokens_.get(token.id) is None
    assert [t.state(clock.now()) for t in tokens_.all()] == ["expired"]


def test_roles_are_ordered_viewer_operator_approver_admin() -> None:
    assert [r for r in Role if r.allows(Role.OPERATOR)] == [
        Role.OPERATOR,
        Role.APPROVER,
        Role.ADMIN,
    ]
    assert not Role.OPERATOR.allows(Role.APPROVER)


def test_tokens_commands_create_list_and_revoke(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DRCTL_HOME", str(tmp_path / ".drctl"))
    monkeypatch.delenv("DRCTL_DATABASE_URL", raising=False)

    def cli(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as done:
            main(list(args))
        out, err = capsys.readouterr()
        return int(done.value.code or 0), out, err

    code, out, _ = cli(
        "tokens", "create", "--name", "dave", "--role", "admin", "--expires", "30d", "--json"
    )
    created = json.loads(out)
    assert code == 0 and created["role"] == "admin" and created["token"].startswith("drctl_")
    code, out, _ = cli("tokens", "list", "--json")
    listed = json.loads(out)
    assert [(t["name"], t["role"], t["state"]) for t in listed] == [("dave", "admin", "active")]
    assert created["token"] not in out
    assert cli("tokens", "revoke", "dave")[0] == 0
    assert json.loads(cli("tokens", "list", "--json")[1])[0]["state"] == "revoked"
    code, _, err = cli("tokens", "create", "--name", "x", "--role", "viewer", "--expires", "30")
    assert code == 2 and "--expires: `30` needs a unit" in err
