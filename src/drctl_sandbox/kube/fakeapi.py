"""A small threaded HTTP server on a loopback address that routes JSON requests to handlers.

The fake Kubernetes and ArgoCD API servers are built on it. It checks the bearer token,
records every request (so tests can assert that a repeated action made no write call)
and answers handlers' `ApiReply` objects with exact status codes and bodies.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from drctl_sandbox.loopback import QuietHTTPServer, free_port

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class ApiRequest:
    """One request as a handler sees it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""

    def arg(self, name: str, default: str = "") -> str:
        """The first value of query parameter `name`."""
        return self.query.get(name, [default])[0]

    def json(self) -> Any:
        """The body parsed as JSON (`None` when empty)."""
        return json.loads(self.body) if self.body else None

    @property
    def bearer(self) -> str:
        """The bearer token from the Authorization header, or ''."""
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" else ""


@dataclass(frozen=True)
class ApiReply:
    """What a handler answers: status, JSON (or text) body, content type."""

    status: int
    body: Any = None
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        """The body bytes and content type."""
        if self.text is not None:
            return self.text.encode(), "text/plain; charset=utf-8"
        return json.dumps(self.body).encode(), "application/json"


Handler = Callable[[ApiRequest, dict[str, str]], ApiReply]


@dataclass(frozen=True)
class RecordedRequest:
    """A request the server received (method and path, no body, no headers)."""

    method: str
    path: str


class LoopbackApiServer:
    """Routes `METHOD /path/{param}` patterns to handlers; subclasses add routes and auth."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, token: str = "") -> None:
        self.host = host
        self.port = port or free_port(host)
        self.token = token or secrets.token_urlsafe(18)
        self.requests: list[RecordedRequest] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._record_lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Serve `METHOD pattern`; `{name}` matches one path segment and is passed to the handler."""
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self._routes.append((method, re.compile(f"^{regex}$"), handler))

    def writes(self) -> list[RecordedRequest]:
        """Every recorded request that could change state (POST, PUT, PATCH, DELETE)."""
        with self._record_lock:
            return [r for r in self.requests if r.method in WRITE_METHODS]

    def reset_requests(self) -> None:
        """Forget the recorded requests."""
        with self._record_lock:
            self.requests.clear()

    def authorize(self, request: ApiRequest) -> ApiReply | None:
        """A refusal for a request with a wrong token, or None; subclasses shape the error."""
        return None if request.bearer == self.token else ApiReply(401, {"error": "unauthorized"})

    def not_found(self, request: ApiRequest) -> ApiReply:
        """The answer for a path no route serves."""
        return ApiReply(404, {"error": f"no route for {request.method} {request.path}"})

    def dispatch(self, request: ApiRequest) -> ApiReply:
        """Authorize, then call the first matching route's handler."""
        with self._record_lock:
            self.requests.append(RecordedRequest(request.method, request.path))
        refusal = self.authorize(request)
        if refusal is not None:
            return refusal
        for method, regex, handler in self._routes:
            match = regex.match(request.path)
            if method == request.method and match:
                return handler(request, match.groupdict())
        return self.not_found(request)

    def start(self) -> Self:
        self._httpd = QuietHTTPServer((self.host, self.port), _handler_class(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _handler_class(server: LoopbackApiServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # headers and body are written separately: without NODELAY, Nagle's algorithm and
            # delayed ACKs add ~40 ms to every keep-alive request
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            request = ApiRequest(
                method=self.command,
                path=parts.path.rstrip("/") or "/",
                query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            reply = server.dispatch(request)
            body, content_type = reply.encoded()
            self.send_response(reply.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the default stderr access log."""

    return _Handler
