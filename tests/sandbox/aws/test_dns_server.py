"""The sandbox's authoritative DNS server answers real DNS queries from the hosted zones."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest
from tests.sandbox.conftest import Client

from drctl_sandbox.aws.dns_server import AuthoritativeDns


@pytest.fixture
def dns_server() -> Iterator[AuthoritativeDns]:
    server = AuthoritativeDns().start()
    yield server
    server.stop()


def ask(server: AuthoritativeDns, name: str, tcp: bool = False) -> dns.message.Message:
    query = dns.message.make_query(name, "A")
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, server.host, port=server.port, timeout=2)


def test_records_are_answered_authoritatively_with_their_ttl_over_udp_and_tcp(
    aws: Client, dns_server: AuthoritativeDns
) -> None:
    domain = f"{uuid.uuid4().hex[:8]}.example.com"
    r53 = aws("route53")
    zone = r53.create_hosted_zone(Name=domain, CallerReference=domain)["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
        "Action": "CREATE", "ResourceRecordSet": {
            "Name": f"www.{domain}", "Type": "A", "TTL": 30,
            "ResourceRecords": [{"Value": "192.0.2.7"}]}}]})  # fmt: skip

    for tcp in (False, True):
        answer = ask(dns_server, f"www.{domain}", tcp=tcp)
        assert answer.flags & dns.flags.AA
        assert [(r.ttl, [i.to_text() for i in r]) for r in answer.answer] == [(30, ["192.0.2.7"])]
    assert ask(dns_server, f"nope.{domain}").rcode() == dns.rcode.NXDOMAIN


def test_names_outside_every_zone_are_refused(dns_server: AuthoritativeDns) -> None:
    assert ask(dns_server, "www.example.org.invalid").rcode() == dns.rcode.REFUSED
