"""Shared fixtures: paths to examples. Real-server fixtures live beside the tests that use them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def seed_plan_path() -> Path:
    return EXAMPLES / "seed-estate.yaml"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`soak` tests run only under `make soak` (DRCTL_SOAK=1): they take many minutes."""
    if os.environ.get("DRCTL_SOAK") == "1":
        return
    skip = pytest.mark.skip(reason="soak test: run with `make soak`")
    for item in items:
        if "soak" in item.keywords:
            item.add_marker(skip)
