"""`drctl init`: a commented starter plan that validates, sized for a strategy."""

from __future__ import annotations

from importlib.resources import files

import jinja2

from drctl.plan.model import Strategy

_DEFAULTS: dict[Strategy, tuple[str, str, int]] = {
    Strategy.BACKUP_RESTORE: ("24h", "24h", 0),
    Strategy.PILOT_LIGHT: ("1h", "5m", 0),
    Strategy.WARM_STANDBY: ("30m", "5m", 1),
    Strategy.MULTI_SITE: ("5m", "1m", 3),
}


def starter_plan(name: str, strategy: Strategy, filename: str = "drplan.yaml") -> str:
    """The text of a starter plan for `strategy` with objectives that strategy can meet."""
    rto, rpo, standby = _DEFAULTS[strategy]
    source = files("drctl.plan").joinpath("starter.yaml.j2").read_text(encoding="utf-8")
    template = jinja2.Template(source, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    text: str = template.render(
        name=name, strategy=strategy.value, rto=rto, rpo=rpo, standby=standby, filename=filename
    )
    return text
