"""`make bench`: run every `benchmarks/*.py` module's `main()` in name order."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main() -> None:
    """Import each benchmark module and call its `main()`; name modules on the command line to pick."""
    chosen = set(sys.argv[1:])
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if path.stem.startswith("_") or (chosen and path.stem not in chosen):
            continue
        print(f"== {path.stem}", flush=True)
        importlib.import_module(f"benchmarks.{path.stem}").main()


if __name__ == "__main__":
    main()
