"""A separate process that appends notes to the audit log: `python appender.py URL LABEL COUNT` (0 = forever)."""

from __future__ import annotations

import itertools
import sys

from drctl.audit.log import AuditLog, Entry


def main(url: str, label: str, count: int) -> None:
    log = AuditLog(url)
    print("ready", flush=True)
    numbers = itertools.count() if count == 0 else range(count)
    for i in numbers:
        log.append(Entry(run_id=f"run-{label}", actor=label, kind="note", payload={"i": i}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
