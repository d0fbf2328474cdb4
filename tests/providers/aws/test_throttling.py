"""Throttling and 5xx: a loopback proxy in front of moto fails N requests; retries win or fail cleanly."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from drctl.errors import ThrottledError
from drctl.providers.aws import rds
from drctl.providers.aws.clients import AwsClients
from drctl.settings import Settings
from drctl_sandbox.aws.server import SandboxServer

REGION = "ap-northeast-1"
ERRORS = {
    429: ("Throttling", "Rate exceeded"),
    503: ("ServiceUnavailable", "Service is unavailable, please try again later"),
}


@dataclass
class Faults:
    """How many of the next requests fail, with which status, and what the proxy saw."""

    failures: int = 0
    status: int = 429
    seen: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int | None:
        with self.lock:
            if self.failures > 0:
                self.failures -= 1
                self.seen.append(self.status)
                return self.status
            self.seen.append(200)
            return None


def proxy_handler(upstream: str, faults: Faults) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers:
                if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = faults.next_status()
            if status is not None:
                code, message = ERRORS[status]
                error = (
                    f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
                    f"<Message>{message}</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"
                )
                self._reply(status, [("Content-Type", "text/xml")], error.encode())
                return
            upstream_conn = http.client.HTTPConnection(
                str(target.hostname), target.port, timeout=10
            )
            upstream_conn.request("POST", self.path, body=body, headers=dict(self.headers))
            answer = upstream_conn.getresponse()
            self._reply(answer.status, answer.getheaders(), answer.read())
            upstream_conn.close()

    return Handler


@pytest.fixture
def faulty_proxy(sandbox: SandboxServer) -> Iterator[tuple[str, Faults]]:
    faults = Faults()
    server = ThreadingHTTPServer(("127.0.0.1", 0), proxy_handler(sandbox.endpoint_url, faults))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", faults
    server.shutdown()
    thread.join()


def instance(aws: Any) -> str:
    name: str = aws.name("orders-db")
    aws.client("rds", REGION).create_db_instance(
        DBInstanceIdentifier=name,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
    )
    return name


def clients_through(proxy: str, aws: Any, attempts: int) -> AwsClients:
    return AwsClients(
        Settings(aws_endpoint_url=proxy), session=aws.session(), max_attempts=attempts
    )


@pytest.mark.parametrize("status", [429, 503])
def test_throttled_and_failing_requests_are_retried_with_backoff_until_they_succeed(
    aws: Any, faulty_proxy: tuple[str, Faults], status: int
) -> None:
    name = instance(aws)
    proxy, faults = faulty_proxy
    faults.failures, faults.status = 2, status

    state = rds.read_instance(clients_through(proxy, aws, attempts=4), name, REGION)

    assert state.identifier == name and state.status == "available"
    assert faults.seen == [status, status, 200]


def test_an_exhausted_retry_budget_fails_the_step_with_a_retryable_throttled_error(
    aws: Any, faulty_proxy: tuple[str, Faults]
) -> None:
    name = instance(aws)
    proxy, faults = faulty_proxy
    faults.failures, faults.status = 100, 503
    action = rds.PromoteReadReplica(
        rds.InstanceParams(region=REGION, instance=name),
        aws.ctx(),
        clients_through(proxy, aws, attempts=2),
    )

    with pytest.raises(ThrottledError) as err:
        action.apply()

    assert faults.seen == [503, 503]
    assert (err.value.code, err.value.retryable) == ("ServiceUnavailable", True)
    assert err.value.where == f"DB instance {name} in {REGION}"
    assert "safe to repeat" in err.value.hint
