"""Shared fixtures: paths to examples. Real-server fixtures live beside the tests that use them."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def seed_plan_path() -> Path:
    return EXAMPLES / "seed-estate.yaml"
