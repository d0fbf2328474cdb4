"""`TtlResolver` against a real DNS server on loopback: answers are kept for their TTL, then asked again."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import dns.message
import dns.rrset
import pytest

from drctl.measure.resolve import TtlResolver


@dataclass
class Zone:
    """What the test server answers for app.test., and how often it was asked."""

    address: str = "127.0.0.2"
    ttl: int = 1
    queries: list[str] = field(default_factory=list)


@pytest.fixture
def zone() -> Iterator[tuple[Zone, int]]:
    state = Zone()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                wire, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(wire)
            state.queries.append(str(query.question[0].name))
            reply = dns.message.make_response(query)
            if str(query.question[0].name) == "app.test.":
                reply.answer.append(
                    dns.rrset.from_text("app.test.", state.ttl, "IN", "A", state.address)
                )
            else:
                reply.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(reply.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield state, sock.getsockname()[1]
    stop.set()
    thread.join()
    sock.close()


def test_an_answer_is_reused_until_its_ttl_expires_then_the_new_answer_is_seen(
    zone: tuple[Zone, int],
) -> None:
    state, port = zone
    resolve = TtlResolver(["127.0.0.1"], port=port)
    assert resolve("app.test") == "127.0.0.2"
    state.address = "127.0.0.3"  # the failover record now answers the DR region
    assert resolve("app.test") == "127.0.0.2", "a client keeps the old answer for its TTL"
    assert len(state.queries) == 1
    time.sleep(1.1)
    assert resolve("app.test") == "127.0.0.3"
    assert len(state.queries) == 2


def test_against_a_scaled_sandbox_the_ttl_elapses_in_its_time(zone: tuple[Zone, int]) -> None:
    state, port = zone
    # One wall second is fifty AWS seconds at 0.02: a 1 s TTL is over after 20 ms.
    resolve = TtlResolver(["127.0.0.1"], port=port, time_scale=0.02)
    assert resolve("app.test") == "127.0.0.2"
    state.address = "127.0.0.3"
    time.sleep(0.05)
    assert resolve("app.test") == "127.0.0.3"
    assert len(state.queries) == 2


def test_a_name_that_does_not_resolve_and_an_address_literal(zone: tuple[Zone, int]) -> None:
    state, port = zone
    resolve = TtlResolver(["127.0.0.1"], port=port)
    assert resolve("missing.test") is None
    assert resolve("127.0.0.9") == "127.0.0.9"
    assert state.queries == ["missing.test."]


def test_without_the_plans_nameservers_it_asks_the_configured_host_port_servers(
    zone: tuple[Zone, int],
) -> None:
    state, port = zone
    # DRCTL_DNS_SERVERS as `drctl sandbox status --env` exports it: host:port.
    assert TtlResolver.of([], [f"127.0.0.1:{port}"])("app.test") == "127.0.0.2"
    assert state.queries == ["app.test."]
    # The plan's own nameservers (port 53, nothing listens there) win over the setting.
    assert TtlResolver.of(["127.0.0.1"], [f"127.0.0.1:{port}"])("other.test") is None
    assert state.queries == ["app.test."]
