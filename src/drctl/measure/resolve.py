"""Name resolution as a client does it: DNS answers kept for their TTL, then asked again.

The availability probe resolves its URL's host through a `TtlResolver`, so the RTO it
measures includes the time clients keep the old answer after a DNS failover. Against a
scaled sandbox the TTL elapses in its time (`time_scale` wall seconds per AWS second), as
every other wait of a run does.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Sequence

import dns.exception
import dns.nameserver
import dns.resolver


class TtlResolver:
    """Resolves A records with dnspython and caches each answer until its TTL expires."""

    def __init__(
        self,
        nameservers: Sequence[str] = (),
        timeout: float = 2.0,
        port: int = 53,
        time_scale: float = 1.0,
    ) -> None:
        self.time_scale = time_scale
        self._resolver = dns.resolver.Resolver(configure=not nameservers)
        if nameservers:
            self._resolver.nameservers = [_nameserver(ns, port) for ns in nameservers]
        self._resolver.lifetime = timeout
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    @classmethod
    def of(
        cls, nameservers: Sequence[str], servers: Sequence[str] = (), time_scale: float = 1.0
    ) -> TtlResolver:
        """The plan's `nameservers` (port 53), else `servers` (`host[:port]`, DRCTL_DNS_SERVERS),
        else the system's resolvers."""
        return cls(list(nameservers) or list(servers), time_scale=time_scale)

    def __call__(self, host: str) -> str | None:
        """The address a client would connect to now, or None when the name does not resolve."""
        try:
            ipaddress.ip_address(host)
            return host
        except ValueError:
            pass
        with self._lock:
            cached = self._cache.get(host)
            if cached is not None and cached[1] > time.monotonic():
                return cached[0]
        try:
            answer = self._resolver.resolve(host, "A")
        except dns.exception.DNSException:
            return None
        address = str(next(iter(answer)))
        ttl = answer.rrset.ttl if answer.rrset is not None else 0
        with self._lock:
            self._cache[host] = (address, time.monotonic() + ttl * self.time_scale)
        return address


def _nameserver(address: str, port: int) -> dns.nameserver.Nameserver:
    """`host`, `host:port` or `[v6]:port` as a plain-DNS name server."""
    host, sep, rest = address.rpartition(":")
    if sep and rest.isdigit() and host and (host.count(":") == 0 or host.startswith("[")):
        return dns.nameserver.Do53Nameserver(host.strip("[]"), int(rest))
    return dns.nameserver.Do53Nameserver(address.strip("[]"), port)
