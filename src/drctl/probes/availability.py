"""The availability probe: GET an endpoint every interval, honouring a custom resolver.

With a resolver (e.g. the sandbox's Route53 failover answer, or a specific DNS server),
each request goes to the resolved address with the original `Host` header, so the probe
follows DNS failover the way clients do.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import httpx

from drctl.clock import Clock
from drctl.probes.base import PeriodicProbe
from drctl.probes.measure import Sample

Resolver = Callable[[str], str | None]


class AvailabilityProbe(PeriodicProbe):
    """Samples `url`; answers whose status class is in `expect` (and body matches) count as available.

    `on_sample` is called with every sample as it is taken (e.g. to journal it).
    """

    def __init__(
        self,
        url: str,
        *,
        interval: timedelta = timedelta(seconds=1),
        timeout: timedelta = timedelta(seconds=2),
        resolver: Resolver | None = None,
        clock: Clock | None = None,
        method: str = "GET",
        expect: Sequence[str] = ("2xx", "3xx"),
        body_match: str | None = None,
        headers: Mapping[str, str] | None = None,
        on_sample: Callable[[Sample], None] | None = None,
    ) -> None:
        super().__init__(interval, clock)
        self.url = httpx.URL(url)
        self.resolver = resolver
        self.method = method
        self.expect = frozenset(int(c[0]) for c in expect)
        self.body_match = re.compile(body_match) if body_match else None
        self.headers = dict(headers or {})
        self.on_sample = on_sample
        self.samples: list[Sample] = []
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=timeout.total_seconds(), follow_redirects=False)

    def tick(self) -> None:
        started, when = self.clock.monotonic(), self.clock.now()
        sample = self._request(when, started)
        with self._lock:
            self.samples.append(sample)
        if self.on_sample is not None:
            self.on_sample(sample)

    def _request(self, when: datetime, started: float) -> Sample:
        target = self.url
        host = self.url.host
        if self.resolver is not None:
            address = self.resolver(host)
            if address is None:
                return Sample(time=when, ok=False, error=f"{host} did not resolve")
            target = self.url.copy_with(host=address)
        try:
            response = self._client.request(
                self.method, target, headers={**self.headers, "Host": self.url.netloc.decode()}
            )
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
            ok=self._accepts(response),
            status=response.status_code,
            latency_ms=round(latency, 2),
            served_by=response.headers.get("x-served-by", str(target.host)),
        )

    def _accepts(self, response: httpx.Response) -> bool:
        if response.status_code // 100 not in self.expect:
            return False
        return self.body_match is None or self.body_match.search(response.text) is not None

    def snapshot(self) -> list[Sample]:
        """The samples so far, safe to read while the probe runs."""
        with self._lock:
            return list(self.samples)

    def stop(self) -> None:
        super().stop()
        self._client.close()
