"""Sandbox speed: seconds to start and provision the whole seed estate (target: under 20 s),
and how fast a region failure shows in DNS with the compressed 1 s health interval.
"""

from __future__ import annotations

import time

from drctl_sandbox.runtime import Sandbox

TARGET_SECONDS = 20.0


def main() -> None:
    started = time.perf_counter()
    with Sandbox(health_interval=1.0) as sandbox:
        up = time.perf_counter() - started
        verdict = "ok" if up < TARGET_SECONDS else f"over the {TARGET_SECONDS:g} s target"
        print(
            f"sandbox seed estate: up in {up:.2f}s "
            f"(provisioning {sandbox.estate.seconds_to_provision:.2f}s) ({verdict})"
        )
        dns = sandbox.estate.failover()
        failed = time.perf_counter()
        sandbox.fail_region(dns.primary_region)
        while sandbox.resolve(dns.record_name) != [dns.values[dns.secondary_region]]:
            time.sleep(0.01)
        print(
            f"sandbox failover: DNS answers {dns.secondary_region} "
            f"{time.perf_counter() - failed:.2f}s after the primary app failed "
            f"(health interval 1 s, compressed from Route 53's 10 s)"
        )
    print(f"sandbox stop + total: {time.perf_counter() - started:.2f}s")


if __name__ == "__main__":
    main()
