"""The installed metadata: moto (which the sandbox patches) only under the `sandbox` extra."""

from __future__ import annotations

import importlib.metadata

from packaging.requirements import Requirement


def requirements() -> list[Requirement]:
    return [Requirement(line) for line in importlib.metadata.requires("drctl") or []]


def test_moto_is_required_only_by_the_sandbox_extra_and_pinned_exactly() -> None:
    moto = [r for r in requirements() if r.name == "moto"]
    assert [str(r.marker) for r in moto] == ['extra == "sandbox"']
    assert moto[0].extras == {"server"}
    assert [s.operator for s in moto[0].specifier] == ["=="]


def test_core_requirements_are_compatible_ranges() -> None:
    core = [r for r in requirements() if r.marker is None]
    assert core, "drctl has core requirements"
    for r in core:
        operators = {s.operator for s in r.specifier}
        assert ">=" in operators and "<" in operators, f"{r} is not a compatible range"
