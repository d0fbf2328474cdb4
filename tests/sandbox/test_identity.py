"""Verified identities against the sandbox: moto answers `sts:GetCallerIdentity`."""

from __future__ import annotations

import http.server
import threading

import pytest

from drctl.identity import local_identity, same_person
from drctl.settings import Settings
from drctl_sandbox.aws.server import SandboxServer


def test_with_credentials_the_actor_is_the_aws_caller_arn_plus_os_user_and_host(
    server: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-1")
    settings = Settings(aws_endpoint_url=server.endpoint_url)
    bob, big_bob = local_identity(settings, "bob"), local_identity(settings, "Bob")
    assert bob.kind == "aws"
    assert bob.id.startswith("arn:aws:") and ":123456789012:" in bob.id
    assert bob.os_user and bob.host and bob.label == "bob"
    assert same_person(bob, big_bob)


def test_without_credentials_the_actor_is_the_os_account(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    who = local_identity(Settings(), "alice")
    assert (who.kind, who.id) == ("os", f"{who.os_user}@{who.host}")


class _CountingSts(http.server.BaseHTTPRequestHandler):
    """Answers every request as `sts:GetCallerIdentity` and counts them."""

    calls = 0

    def do_POST(self) -> None:
        type(self).calls += 1
        self.rfile.read(int(self.headers["Content-Length"]))
        body = (
            b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            b"<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/carol</Arn>"
            b"<UserId>AIDACAROL</UserId><Account>123456789012</Account></GetCallerIdentityResult>"
            b"<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>"
            b"</GetCallerIdentityResponse>"
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def test_the_caller_is_looked_up_once_per_credentials_not_once_per_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sts = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CountingSts)
    threading.Thread(target=sts.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "carol-key")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        settings = Settings(aws_endpoint_url=f"http://127.0.0.1:{sts.server_port}")
        first, again = local_identity(settings, "carol"), local_identity(settings, "c")
        assert first.id == again.id == "arn:aws:iam::123456789012:user/carol"
        assert _CountingSts.calls == 1
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "dave-key")
        local_identity(settings, "dave")
        assert _CountingSts.calls == 2
    finally:
        sts.shutdown()
