"""An authoritative DNS server on loopback for the sandbox's public hosted zones (UDP and TCP).

Route 53's name servers answer from the zone with failover routing applied; moto has no DNS
at all. `AuthoritativeDns` answers A/AAAA/CNAME queries from `route53_health.resolve()`
with the AA flag set and the record's TTL, `NXDOMAIN` for a name in no sandbox zone with no
records, and `REFUSED` for names outside every zone, as an authoritative server does
(RFC 1034 §4.3.2; RFC 8906). Built with dnspython's message API.
"""

from __future__ import annotations

import socketserver
import struct
import threading
from typing import Any

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.route53.models import route53_backends

from drctl_sandbox.aws.route53_health import _in_zone, _name, resolve
from drctl_sandbox.loopback import free_port

DEFAULT_TTL = 60


def _ttl(name: str, rtype: str) -> int:
    for zone in route53_backends[DEFAULT_ACCOUNT_ID]["aws"].zones.values():
        for record in zone.rrsets:
            if _name(record.name) == _name(name) and record.type == rtype and record.ttl:
                return int(record.ttl)
    return DEFAULT_TTL


def _knows(name: str) -> bool:
    zones = route53_backends[DEFAULT_ACCOUNT_ID]["aws"].zones.values()
    return any(not z.private_zone and _in_zone(name, z.name) for z in zones)


def respond(wire: bytes) -> bytes:
    """The wire answer to one DNS query."""
    query = dns.message.from_wire(wire)
    response = dns.message.make_response(query)
    question = query.question[0]
    name, rtype = question.name.to_text(), dns.rdatatype.to_text(question.rdtype)
    if not _knows(name):
        response.set_rcode(dns.rcode.REFUSED)
        return response.to_wire()
    response.flags |= dns.flags.AA
    values = resolve(name, rtype)
    if values:
        answer = dns.rrset.from_text_list(name, _ttl(name, rtype), "IN", rtype, values)
        response.answer.append(answer)
    elif not resolve(name, "A") and not resolve(name, "AAAA") and not resolve(name, "CNAME"):
        response.set_rcode(dns.rcode.NXDOMAIN)
    return response.to_wire()


class _Udp(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        sock.sendto(respond(data), self.client_address)


class _Tcp(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        size = struct.unpack("!H", self.request.recv(2))[0]
        answer = respond(self.request.recv(size))
        self.request.sendall(struct.pack("!H", len(answer)) + answer)


class AuthoritativeDns:
    """UDP and TCP on one loopback port; `address` is what drctl's `DRCTL_DNS_SERVERS` names."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port or free_port(host)
        self._servers: list[Any] = []

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> AuthoritativeDns:
        socketserver.ThreadingUDPServer.allow_reuse_address = True
        for kind, handler in (
            (socketserver.ThreadingUDPServer, _Udp),
            (socketserver.ThreadingTCPServer, _Tcp),
        ):
            server = kind((self.host, self.port), handler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self._servers.append(server)
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []
