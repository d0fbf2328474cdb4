"""`http` with `resolve`: the host is looked up the way Route 53 answers now, then requested with its Host header."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import boto3
import pytest

from drctl.errors import ProviderError
from drctl.providers.base import ActionContext
from drctl.providers.http import Http, HttpParams
from drctl.settings import Settings
from drctl_sandbox.aws.server import SANDBOX_CREDENTIALS, SandboxServer


class _EchoHost(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"host={self.headers['Host']}".encode()
        self.send_response(302 if self.path == "/moved" else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def app_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.2", 0), _EchoHost)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as running:
        route53 = boto3.client("route53", region_name="us-east-1", endpoint_url=running.endpoint_url,
                               aws_access_key_id=SANDBOX_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                               aws_secret_access_key=SANDBOX_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])  # fmt: skip
        zone = route53.create_hosted_zone(
            Name="resolve.example.com", CallerReference="resolve-test"
        )
        route53.change_resource_record_sets(
            HostedZoneId=zone["HostedZone"]["Id"],
            ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
                "Name": "app.resolve.example.com", "Type": "A", "TTL": 60,
                "ResourceRecords": [{"Value": "127.0.0.2"}]}}]},
        )  # fmt: skip
        yield running


def _ctx(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> ActionContext:
    for key, value in SANDBOX_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    return ActionContext(settings=Settings(aws_endpoint_url=sandbox.endpoint_url))


def test_resolved_request_reaches_the_answered_address_with_the_original_host(
    sandbox: SandboxServer, app_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = HttpParams(
        url=f"http://app.resolve.example.com:{app_port}/health",
        expect_status=["2xx", "3xx"],
        resolve={"hosted_zone": "resolve.example.com", "record": "app.resolve.example.com"},  # type: ignore[arg-type]
    )
    outcome = Http(params, _ctx(sandbox, monkeypatch)).apply()
    assert outcome.output["status"] == 200
    assert outcome.output["body"] == f"host=app.resolve.example.com:{app_port}"


def test_status_classes_accept_a_redirect(
    sandbox: SandboxServer, app_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = HttpParams(url=f"http://127.0.0.2:{app_port}/moved", expect_status=["2xx", "3xx"])
    assert Http(params, _ctx(sandbox, monkeypatch)).apply().output["status"] == 302
    strict = HttpParams(url=f"http://127.0.0.2:{app_port}/moved", expect_status=["2xx"])
    with pytest.raises(ProviderError, match=r"status 302 \(expected 2xx\)"):
        Http(strict, _ctx(sandbox, monkeypatch)).apply()


def test_a_name_route53_does_not_answer_fails_retryably(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = HttpParams(
        url="http://missing.resolve.example.com/health",
        resolve={"hosted_zone": "resolve.example.com", "record": "missing.resolve.example.com"},  # type: ignore[arg-type]
    )
    with pytest.raises(ProviderError) as info:
        Http(params, _ctx(sandbox, monkeypatch)).apply()
    assert info.value.retryable or info.value.code
