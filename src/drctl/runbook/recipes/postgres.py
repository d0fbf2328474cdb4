"""Self-managed PostgreSQL with a streaming standby (the lab's kind): fence, promote, rebuild."""

from __future__ import annotations

from drctl.plan.resources import PostgresReplica, PostgresServer
from drctl.providers import manual, postgres, postgres_reprotect
from drctl.runbook.draft import Draft
from drctl.runbook.recipes.base import Recipe
from drctl.runbook.steps import M, S, lag_limit


class PostgresReplicaRecipe(Recipe[PostgresReplica]):
    """A primary and a standby by DSN; promotion is fencing the old side, then `pg_promote`."""

    model = PostgresReplica

    def regions(self) -> set[str]:
        return {self.res.primary.region, self.res.standby.region}

    def rehearse(self, d: Draft, region: str, needs: list[str]) -> None:
        d.add(
            f"lag-{self.res.name}",
            f"PostgreSQL standby in {self.res.standby.region} replays within the RPO",
            postgres.ReplicationLag,
            postgres.ReplicationLag.Params(dsn=self.res.primary.dsn, max_lag=lag_limit(self.plan)),
            needs=needs,
            estimate=5 * S,
            region=self.res.standby.region,
            resource=self.res.name,
        )

    def promote(self, d: Draft, needs: list[str]) -> None:
        old, new, name = self.res.primary, self.res.standby, self.res.name
        fenced = d.add(
            f"fence-{name}",
            f"Fence the old PostgreSQL primary in {old.region} (read-only if reachable)",
            postgres.Fence,
            postgres.ServerParams(dsn=old.dsn),
            needs=needs,
            estimate=5 * S,
            timeout=1 * M,
            region=old.region,
            resource=name,
            on_failure="continue",
        )
        self._promote(d, new, "", [fenced], failover=True)

    def _promote(
        self, d: Draft, server: PostgresServer, suffix: str, needs: list[str], failover: bool
    ) -> None:
        """Promote `server`, then prove it takes writes; a failover has tight timeouts."""
        name = self.res.name
        promoted = d.add(
            f"promote-{name}{suffix}",
            f"Promote the PostgreSQL standby in {server.region}",
            postgres.Promote,
            postgres.ServerParams(dsn=server.dsn),
            needs=needs,
            estimate=5 * S,
            timeout=2 * M if failover else None,
            region=server.region,
            resource=name,
        )
        d.add(
            f"writable-{name}{suffix}",
            f"The {'new ' if failover else ''}PostgreSQL primary in {server.region} accepts writes",
            postgres.VerifyWritable,
            postgres.VerifyWritable.Params(dsn=server.dsn),
            needs=[promoted],
            estimate=2 * S,
            timeout=1 * M if failover else None,
            region=server.region,
            resource=name,
        )

    def reprotect(self, d: Draft, needs: list[str]) -> None:
        """Rebuild the old primary as a standby of the new one (pg_rewind, else pg_basebackup)."""
        old, new, name = self.res.primary, self.res.standby, self.res.name
        title = f"Rebuild the PostgreSQL server in {old.region} as a standby of {new.region}"
        data_dir = self.res.data_dirs.get(old.region)
        if data_dir is None:
            instructions = (
                f"Rebuild the {old.region} server as a streaming standby of the "
                f"{new.region} primary (pg_rewind or pg_basebackup -R), then confirm"
            )
            d.add(
                f"reprotect-{name}",
                title,
                manual.Manual,
                manual.Manual.Params(instructions=instructions),
                needs=needs,
                estimate=15 * M,
                timeout=24 * 60 * M,
                region=old.region,
                resource=name,
            )
            return
        d.add(
            f"reprotect-{name}",
            title,
            postgres_reprotect.Reprotect,
            postgres_reprotect.Reprotect.Params(
                dsn=new.dsn, standby_dsn=old.dsn, data_dir=data_dir, bin_dir=self.res.bin_dir
            ),
            needs=needs,
            estimate=1 * M,
            timeout=30 * M,
            region=old.region,
            resource=name,
        )

    def return_home(self, d: Draft, needs: list[str]) -> None:
        """Fence the DR primary, promote the rebuilt original once it has replayed everything."""
        home, dr, name = self.res.primary, self.res.standby, self.res.name
        fenced = d.add(
            f"fence-{name}-{dr.region}",
            f"Make the PostgreSQL primary in {dr.region} read-only",
            postgres.Fence,
            postgres.ServerParams(dsn=dr.dsn),
            needs=needs,
            estimate=5 * S,
            region=dr.region,
            resource=name,
        )
        self._promote(d, home, f"-{home.region}", [fenced], failover=False)
