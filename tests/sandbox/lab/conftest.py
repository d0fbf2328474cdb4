"""Real PostgreSQL servers for the lab tests, in /tmp directories the `postgres` user can enter."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from drctl_sandbox.lab.servers import Lab, initdb_template


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """A world-searchable directory for this module's labs, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="drctl-lab-test-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def make_lab(scratch: Path) -> Iterator[Callable[..., Lab]]:
    """`make_lab(synchronous=False)`: a fresh primary and streaming standby, always stopped after."""
    made: list[Lab] = []

    def make(*, synchronous: bool = False) -> Lab:
        root = scratch / f"lab-{secrets.token_hex(3)}"
        lab = Lab.create(root, synchronous=synchronous, template=initdb_template(scratch))
        made.append(lab)
        return lab

    yield make
    for lab in made:
        lab.destroy()
