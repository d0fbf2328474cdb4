"""`http`: send a request and check the status, a body substring or JSON fields."""

from __future__ import annotations

import json
import ssl
from datetime import timedelta
from typing import Annotated, ClassVar, Literal

import httpx
from pydantic import Field, JsonValue

from drctl.errors import ProviderError
from drctl.plan.durations import Duration
from drctl.providers.base import ActionContext, Outcome, Output, Params
from drctl.providers.shell import truncate


class Route53Name(Params):
    """Resolve the URL's host the way Route 53 answers now (TestDNSAnswer), not through caches."""

    hosted_zone: str
    record: str
    type: Literal["A", "AAAA", "CNAME"] = "A"


class HttpParams(Params):
    """A request and what its response must look like (`expect_json` keys are dotted paths);
    `ca_bundle` names a PEM file of CAs to trust instead of the system's (a private CA)."""

    method: str = "GET"
    url: str
    headers: dict[str, str] = {}
    body: str | None = None
    json_body: JsonValue = None
    expect_status: list[int | Annotated[str, Field(pattern=r"^[1-5]xx$")]] = [200]
    expect_body: str | None = None
    expect_json: dict[str, JsonValue] = {}
    timeout: Duration = timedelta(seconds=10)
    resolve: Route53Name | None = None
    ca_bundle: str | None = None


def _verify(params: HttpParams) -> ssl.SSLContext | bool:
    if params.ca_bundle is None:
        return True
    return ssl.create_default_context(cafile=params.ca_bundle)


def request(params: HttpParams, address: str | None = None) -> httpx.Response:
    """Send the request (to `address` with the URL's Host header, if given); transport errors are retryable.

    Sent to an address, an HTTPS request still names the URL's host in TLS (SNI) and checks
    the certificate against it: only the TCP connection goes to the address.
    """
    url, headers = httpx.URL(params.url), dict(params.headers)
    extensions: dict[str, str] = {}
    if address is not None:
        headers.setdefault("Host", url.netloc.decode())
        extensions["sni_hostname"] = url.host
        url = url.copy_with(host=address)
    try:
        with httpx.Client(verify=_verify(params)) as client:
            return client.request(
                params.method,
                url,
                headers=headers,
                content=params.body,
                json=params.json_body,
                timeout=params.timeout.total_seconds(),
                extensions=extensions,
            )
    except httpx.HTTPError as exc:
        raise ProviderError(
            f"{params.method} {params.url} failed: {exc}",
            hint="check the URL is reachable from here",
            where=params.url,
            code=type(exc).__name__,
            retryable=True,
        ) from exc


def problem(params: HttpParams, response: httpx.Response) -> str:
    """What is wrong with the response, or empty when it is as expected."""
    code = response.status_code
    if code not in params.expect_status and f"{code // 100}xx" not in params.expect_status:
        wanted = ", ".join(str(s) for s in params.expect_status)
        return f"status {response.status_code} (expected {wanted})"
    if params.expect_body is not None and params.expect_body not in response.text:
        return f"body does not contain {params.expect_body!r}"
    for path, wanted_value in params.expect_json.items():
        actual = _json_path(response, path)
        if actual != wanted_value:
            return f"`{path}` is {actual!r}, expected {wanted_value!r}"
    return ""


def _json_path(response: httpx.Response, path: str) -> JsonValue:
    try:
        value: JsonValue = response.json()
    except json.JSONDecodeError:
        return None
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


class Http:
    """Sends one request and fails the step unless the response is as expected."""

    kind: ClassVar[str] = "http"
    Params: ClassVar[type[HttpParams]] = HttpParams
    events: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, params: HttpParams, ctx: ActionContext) -> None:
        self.params = params
        self.ctx = ctx

    def describe(self) -> str:
        statuses = "/".join(str(s) for s in self.params.expect_status)
        return f"{self.params.method} {self.params.url} expecting {statuses}"

    def current(self) -> Output:
        return {}

    def apply(self) -> Outcome:
        response = request(self.params, self._address())
        wrong = problem(self.params, response)
        if wrong:
            raise ProviderError(
                f"{self.params.method} {self.params.url}: {wrong}",
                hint="check the service behind the URL; the step retries per its `retry` policy",
                where=self.params.url,
                code=f"HTTP {response.status_code}",
                retryable=response.status_code >= 500 or response.status_code == 429,
            )
        output: Output = {"status": response.status_code, "body": truncate(response.text)}
        changed = self.params.method.upper() not in ("GET", "HEAD", "OPTIONS")
        return Outcome(changed=changed, detail=f"HTTP {response.status_code}", output=output)

    def verify(self, deadline: float) -> Output:
        return {}

    def _address(self) -> str | None:
        """The address Route 53 answers for the host right now, when `resolve` asks for it."""
        name = self.params.resolve
        if name is None:
            return None
        from drctl.providers.aws.clients import AwsClients  # only checks that resolve need boto3
        from drctl.providers.aws.route53 import dns_answer

        answer = dns_answer(
            AwsClients(self.ctx.settings, roles=self.ctx.aws_roles),
            name.hosted_zone,
            name.record,
            name.type,
        )
        if not answer:
            raise ProviderError(
                f"Route 53 has no answer for {name.record}",
                hint="check the failover records and their health checks",
                where=f"record {name.record}",
                retryable=True,
            )
        return answer[0]
