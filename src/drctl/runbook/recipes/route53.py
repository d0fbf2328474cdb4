"""Route 53 failover records (seed 1.2): health before acting, the switch, HTTP checks per side."""

from __future__ import annotations

from datetime import timedelta

from drctl.plan.resources import FailoverTarget, Route53Failover
from drctl.providers import http
from drctl.providers.aws import route53, route53_failover
from drctl.runbook.draft import Draft
from drctl.runbook.model import RetryPolicy
from drctl.runbook.recipes.base import Recipe, Side
from drctl.runbook.steps import M, S

ENDPOINT_RETRY = RetryPolicy(
    attempts=10, backoff=timedelta(seconds=3), max_backoff=timedelta(seconds=30)
)


def _target(t: FailoverTarget) -> route53.Target:
    if t.alb is not None:
        alias = route53.Alias(dns_name=t.alb.dns_name, hosted_zone_id=t.alb.hosted_zone_id)
        return route53.Target(alias=alias)
    return route53.Target(value=t.value)


def _arc(res: Route53Failover) -> route53_failover.ArcControls:
    assert res.arc is not None
    return route53_failover.ArcControls(
        endpoints=dict(res.arc.cluster_endpoints),
        primary_control=res.arc.primary,
        secondary_control=res.arc.secondary,
    )


def health_url(res: Route53Failover, which: Side) -> str:
    """The /health URL of one side of a failover pair, as Route 53 probes it."""
    target = res.primary if which == "primary" else res.secondary
    host = target.health_check_host or target.value or (target.alb.dns_name if target.alb else "")
    hc = res.health_check
    default_port = 443 if hc.protocol == "HTTPS" else 80
    port = "" if hc.port == default_port else f":{hc.port}"
    return f"{hc.protocol.lower()}://{host}{port}{hc.path}"


class Route53FailoverRecipe(Recipe[Route53Failover]):
    """Traffic: the PRIMARY/SECONDARY pair and the health checks that drive it."""

    model = Route53Failover

    def regions(self) -> set[str]:
        return {self.res.primary.region, self.res.secondary.region}

    def switch_params(self) -> route53_failover.FailoverParams:
        """Params addressing the failover record pair."""
        res = self.res
        return route53_failover.FailoverParams(
            hosted_zone=res.hosted_zone,
            record=res.record,
            type=res.type,
            method=res.switch,
            ttl=res.ttl,
            primary=_target(res.primary),
            secondary=_target(res.secondary),
            **({} if res.arc is None else {"arc": _arc(res)}),
        )

    def switch_estimate(self) -> timedelta:
        """Health checks notice the change, then cached answers expire."""
        hc = self.res.health_check
        return timedelta(seconds=hc.interval * hc.failure_threshold + self.res.ttl)

    def assess(self, d: Draft, expect_healthy: list[Side], on_failure: str) -> None:
        res = self.res
        both = " (both regions)" if not expect_healthy else ""
        d.add(
            f"assess-{res.name}",
            f"Read Route53 health of {res.record}{both}",
            route53_failover.HealthStatus,
            route53_failover.HealthStatus.Params(
                hosted_zone=res.hosted_zone,
                record=res.record,
                type=res.type,
                expect_healthy=expect_healthy,
            ),
            needs=[],
            estimate=10 * S,
            on_failure=on_failure,
            resource=res.name,
        )

    def switch(self, d: Draft, needs: list[str]) -> None:
        d.add(
            f"switch-{self.res.name}",
            f"Make {self.res.record} answer the secondary ({self.dr}) via {self.res.switch}",
            route53_failover.ActivateSecondary,
            self.switch_params(),
            needs=needs,
            estimate=self.switch_estimate(),
            region=self.dr,
            resource=self.res.name,
        )

    def switch_back(self, d: Draft, needs: list[str]) -> None:
        d.add(
            f"restore-{self.res.name}",
            f"Make {self.res.record} answer the primary ({self.primary}) again",
            route53_failover.RestorePrimary,
            self.switch_params(),
            needs=needs,
            estimate=self.switch_estimate(),
            region=self.primary,
            resource=self.res.name,
        )

    def check(self, d: Draft, which: Side, needs: list[str], tag: str = "") -> None:
        url = health_url(self.res, which)
        region = self.res.secondary.region if which == "secondary" else self.res.primary.region
        d.add(
            f"http-{self.res.name}-{which}{tag}",
            f"GET {url} answers 2xx/3xx",
            http.Http,
            http.Http.Params(url=url, expect_status=["2xx", "3xx"]),
            needs=needs,
            estimate=10 * S,
            timeout=5 * M,
            region=region,
            resource=self.res.name,
            retry=ENDPOINT_RETRY,
        )
