"""Ask a zone's authoritative name servers over DNS (dnspython), not Route 53's TestDNSAnswer API.

A real DNS query is the data plane: it works while Route 53's control plane (us-east-1)
does not. The servers are the `DRCTL_DNS_SERVERS` setting (`host[:port]`, the sandbox's
loopback server), else the zone's NS records resolved through the system resolver.
"""

from __future__ import annotations

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver

from drctl.errors import ProviderError


def _servers(zone: str, configured: list[str]) -> list[tuple[str, int]]:
    if configured:
        return [
            (s.rsplit(":", 1)[0], int(s.rsplit(":", 1)[1])) if ":" in s else (s, 53)
            for s in configured
        ]
    try:
        names = [str(r.target) for r in dns.resolver.resolve(zone, "NS")]
        return [(str(dns.resolver.resolve(n, "A")[0]), 53) for n in names]
    except dns.exception.DNSException as err:
        raise ProviderError(
            f"cannot find the name servers of {zone}: {err}",
            hint="check the zone's delegation, or set DRCTL_DNS_SERVERS",
            where=f"zone {zone}",
            retryable=True,
            code="NoNameServers",
        ) from err


def authoritative_answer(
    zone: str, record: str, record_type: str, configured: list[str], timeout: float = 2.0
) -> tuple[str, ...]:
    """The values an authoritative server of `zone` answers for `record` (first that answers)."""
    query = dns.message.make_query(record, dns.rdatatype.from_text(record_type))
    problems: list[str] = []
    for host, port in _servers(zone, configured):
        try:
            response = dns.query.udp(query, host, port=port, timeout=timeout)
        except (dns.exception.DNSException, OSError) as err:
            problems.append(f"{host}:{port}: {err or type(err).__name__}")
            continue
        if response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            problems.append(f"{host}:{port}: {dns.rcode.to_text(response.rcode())}")
            continue
        return tuple(item.to_text().rstrip(".") for rrset in response.answer for item in rrset)
    raise ProviderError(
        f"no authoritative name server of {zone} answered for {record} ({'; '.join(problems)})",
        hint="check network access to the zone's name servers (or DRCTL_DNS_SERVERS)",
        where=f"zone {zone}",
        retryable=True,
        code="NoDnsAnswer",
    )
