"""`http` with `resolve` over HTTPS: a real TLS server on loopback with a CA made in the test."""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from drctl.errors import ProviderError
from drctl.providers.base import ActionContext
from drctl.providers.http import Http, HttpParams
from drctl.settings import Settings
from drctl_sandbox.aws.server import SANDBOX_CREDENTIALS, SandboxServer

HOST, ADDRESS, ZONE = "app.tls.example.com", "127.0.0.4", "tls.example.com"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificate(subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey], *, ca: bool) -> x509.Certificate:  # fmt: skip
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer[0])
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
        )
    return builder.sign(issuer[1], hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A test CA and a certificate for HOST (not for its address) signed by it."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("drctl test CA", ca_key, (_name("drctl test CA"), ca_key), ca=True)
    cert = _certificate(HOST, key, (ca.subject, ca_key), ca=False)
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def tls_server(pki: tuple[Path, Path, Path]) -> Iterator[tuple[int, list[str | None]]]:
    seen: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki[1], pki[2])
    context.sni_callback = lambda _sock, name, _ctx: seen.append(name)
    server = http.server.ThreadingHTTPServer((ADDRESS, 0), _Health)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1]), seen
    server.shutdown()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as running:
        route53 = boto3.client("route53", region_name="us-east-1", endpoint_url=running.endpoint_url,
                               aws_access_key_id=SANDBOX_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                               aws_secret_access_key=SANDBOX_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])  # fmt: skip
        zone = route53.create_hosted_zone(Name=ZONE, CallerReference="tls-test")
        route53.change_resource_record_sets(
            HostedZoneId=zone["HostedZone"]["Id"],
            ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
                "Name": HOST, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": ADDRESS}]}}]},
        )  # fmt: skip
        yield running


def _ctx(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> ActionContext:
    for key, value in SANDBOX_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    return ActionContext(settings=Settings(aws_endpoint_url=sandbox.endpoint_url))


def test_https_with_resolve_sends_the_hostname_in_sni_and_checks_the_certificate_against_it(
    sandbox: SandboxServer,
    tls_server: tuple[int, list[str | None]],
    pki: tuple[Path, Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, seen = tls_server
    params = HttpParams(
        url=f"https://{HOST}:{port}/health",
        resolve={"hosted_zone": ZONE, "record": HOST},
        ca_bundle=str(pki[0]),
    )

    outcome = Http(params, _ctx(sandbox, monkeypatch)).apply()

    assert outcome.output["status"] == 200
    assert seen[-1] == HOST


def test_https_to_a_server_whose_certificate_the_ca_bundle_does_not_trust_fails_retryably(
    sandbox: SandboxServer,
    tls_server: tuple[int, list[str | None]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, _seen = tls_server
    params = HttpParams(
        url=f"https://{HOST}:{port}/health",
        resolve={"hosted_zone": ZONE, "record": HOST},
    )

    with pytest.raises(ProviderError) as err:
        Http(params, _ctx(sandbox, monkeypatch)).apply()

    assert "CERTIFICATE_VERIFY_FAILED" in err.value.message and err.value.retryable
