"""The availability probe: GET an endpoint every interval, honouring a custom resolver.

With a resolver (e.g. the sandbox's Route53 failover answer, or a specific DNS server),
each request goes to the resolved address with the original `Host` header, so the probe
follows DNS failover the way clients do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx

from drctl.clock import Clock
from drctl.probes.base import PeriodicProbe
from drctl.probes.measure import Sample

Resolver = Callable[[str], str | None]


class AvailabilityProbe(PeriodicProbe):
    """Samples `url`; 2xx and 3xx answers count as available."""

    def __init__(
        self,
        url: str,
        *,
        interval: timedelta = timedelta(seconds=1),
        timeout: timedelta = timedelta(seconds=2),
        resolver: Resolver | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(interval, clock)
        self.url = httpx.URL(url)
        self.resolver = resolver
        self.samples: list[Sample] = []
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=timeout.total_seconds(), follow_redirects=False)

    def tick(self) -> None:
        started, when = self.clock.monotonic(), self.clock.now()
        sample = self._request(when, started)
        with self._lock:
            self.samples.append(sample)

    def _request(self, when: datetime, started: float) -> Sample:
        target = self.url
        host = self.url.host
        if self.resolver is not None:
            address = self.resolver(host)
            if address is None:
                return Sample(time=when, ok=False, error=f"{host} did not resolve")
            target = self.url.copy_with(host=address)
        try:
            response = self._client.get(target, headers={"Host": self.url.netloc.decode()})
        except httpx.HTTPError as exc:
            return Sample(
                time=when,
                ok=False,
                error=f"{type(exc).__name__}: {exc}"[:200],
                served_by=str(target.host),
            )
        latency = (self.clock.monotonic() - started) * 1000
        return Sample(
            time=when,
            ok=200 <= response.status_code < 400,
            status=response.status_code,
            latency_ms=round(latency, 2),
            served_by=response.headers.get("x-served-by", str(target.host)),
        )

    def snapshot(self) -> list[Sample]:
        """The samples so far, safe to read while the probe runs."""
        with self._lock:
            return list(self.samples)

    def stop(self) -> None:
        super().stop()
        self._client.close()
