from __future__ import annotations

import drctl


def test_public_api_is_pinned() -> None:
    assert drctl.__all__ == sorted(drctl.__all__)
    assert drctl.__all__ == [
        "Advice", "DrctlError", "Plan", "Scenario", "Strategy", "__version__", "advise", "load_plan",
    ]  # fmt: skip
    for name in drctl.__all__:
        assert getattr(drctl, name) is not None
