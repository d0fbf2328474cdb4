"""Several availability probes: the RTO comes from the service's own, the others are reported beside it."""

from __future__ import annotations

import http.server
import json
import secrets
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pymysql
import pytest
import sqlalchemy as sa
from tests.engine.conftest import drctl, until
from tests.probes.test_canary_mysql import mysql_dsn  # noqa: F401  (the fixture)

from drctl import engine
from drctl.errors import PlanError
from drctl.measure.store import MeasureStore
from drctl.plan.load import load_plan
from drctl.probes.stores import mysql_params
from drctl.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


class _Switchable(http.server.BaseHTTPRequestHandler):
    healthy = True

    def do_GET(self) -> None:
        self.send_response(200 if type(self).healthy else 503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def servers() -> Iterator[list[tuple[str, type[_Switchable]]]]:
    running = []
    for _ in range(2):
        handler = type("Handler", (_Switchable,), {"healthy": True})
        server = http.server.ThreadingHTTPServer(("127.0.0.5", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        running.append((server, handler))
    yield [(f"http://127.0.0.5:{s.server_address[1]}/health", h) for s, h in running]
    for server, _ in running:
        server.shutdown()


def _write(tmp_path: Path, probes: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text((EXAMPLES / "lab.yaml").read_text() + probes, encoding="utf-8")
    return path


def test_the_rto_probe_is_the_marked_one_and_names_must_differ(tmp_path: Path) -> None:
    probes = load_plan(_write(tmp_path, """probes:
  availability:
    - {name: internal-api, url: "http://10.0.0.9/health"}
    - {name: public, url: "https://shop.example.com/health", rto: true}
    - {name: admin, url: "https://admin.example.com/health"}
""")).probes  # fmt: skip
    assert probes.availability is not None and probes.availability.name == "public"
    assert [p.name for p in probes.more_availability] == ["internal-api", "admin"]
    single = load_plan(_write(tmp_path, 'probes:\n  availability: {url: "http://a/h"}\n')).probes
    assert single.availability is not None and single.more_availability == []
    with pytest.raises(PlanError, match="distinct names"):
        load_plan(
            _write(tmp_path, 'probes:\n  availability: [{url: "http://a/"}, {url: "http://b/"}]\n')
        )
    with pytest.raises(PlanError, match="only one can be marked `rto: true`"):
        load_plan(_write(tmp_path, """probes:
  availability: [{name: a, url: "http://a/", rto: true}, {name: b, url: "http://b/", rto: true}]
"""))  # fmt: skip


@pytest.mark.slow
def test_a_probe_beside_the_rto_probe_is_measured_with_its_own_recovery(
    tmp_path: Path, servers: list[tuple[str, type[_Switchable]]]
) -> None:
    (public, public_app), (internal, internal_app) = servers
    plan = _write(tmp_path, f"""probes:
  availability:
    - {{name: public, url: "{public}", interval: 100ms, timeout: 1s, success_threshold: 3, settle: 10s}}
    - {{name: internal, url: "{internal}", interval: 100ms, timeout: 1s, success_threshold: 3}}
""")  # fmt: skip
    settings = Settings(home=tmp_path / ".drctl", database_url="", executor_id="lists-host")
    env = {"DRCTL_HOME": str(settings.home), "DRCTL_EXECUTOR_ID": "lists-host",
           "DRCTL_DATABASE_URL": ""}  # fmt: skip
    run_id = f"lists-{secrets.token_hex(3)}"
    settings.home.mkdir(parents=True)
    store = MeasureStore(sa.create_engine(settings.state_database_url()))
    try:
        worker = drctl("run", str(plan), "--scenario", "region-failure", "--run-id", run_id,
                       "--as", "ops", env=env, cwd=tmp_path)  # fmt: skip
        until(lambda: len(store.beside(run_id, "internal")) >= 3, 90, "internal samples")
        public_app.healthy = internal_app.healthy = False
        until(lambda: sum(not s.ok for _, s in store.beside(run_id, "internal")) >= 3, 30, "down")
        public_app.healthy = True
        until(lambda: sum(s.ok for _, s in store.availability(run_id)[-5:]) >= 5, 30, "public up")
        internal_app.healthy = True
        reject = drctl("reject", run_id, "declare-disaster", "--as", "bob",
                       "--reason", "drill over", env=env, cwd=tmp_path)  # fmt: skip
        assert reject.wait(timeout=60) == 0, reject.stdout.read() if reject.stdout else ""
        output, _ = worker.communicate(timeout=120)
        shown = drctl("runs", "show", run_id, "--json", env=env, cwd=tmp_path)
        data = json.loads(shown.communicate(timeout=60)[0])
    finally:
        engine.shutdown()

    measured = data["measured"]
    public_rows = [s for _, s in store.availability(run_id)]
    internal_rows = [s for _, s in store.beside(run_id, "internal")]
    assert public_rows and internal_rows, output
    first_failed = next(s.time for s in public_rows if not s.ok)
    assert datetime.fromisoformat(measured["failure_at"]) == first_failed
    (beside,) = measured["beside"]
    assert beside["name"] == "internal" and beside["failed_samples"] >= 3
    public_back = datetime.fromisoformat(measured["recovered_at"])
    internal_back = datetime.fromisoformat(beside["recovered_at"])
    assert internal_back > public_back, "the internal API came back after the public endpoint"
    assert measured["rto_seconds"] == pytest.approx((public_back - first_failed).total_seconds())
    assert beside["rto_seconds"] == pytest.approx((internal_back - first_failed).total_seconds())


def test_canaries_list_marks_the_rpo_one_and_names_must_differ(tmp_path: Path) -> None:
    probes = load_plan(_write(tmp_path, """probes:
  canaries:
    - {name: sessions, kind: dynamodb, target: sessions}
    - {name: orders, kind: mysql, dsn: "mysql://c@a/app", dr_dsn: "mysql://c@b/app", rpo: true}
""")).probes  # fmt: skip
    assert probes.canary is not None and probes.canary.name == "orders"
    assert [c.name for c in probes.more_canaries] == ["sessions"]
    with pytest.raises(PlanError, match="not both"):
        load_plan(_write(tmp_path, """probes:
  canary: {kind: dynamodb, target: a}
  canaries: [{kind: dynamodb, target: b}]
"""))  # fmt: skip
    with pytest.raises(PlanError, match="canaries need distinct names"):
        load_plan(_write(tmp_path, """probes:
  canaries: [{kind: dynamodb, target: a}, {kind: dynamodb, target: b}]
"""))  # fmt: skip


@pytest.mark.slow
def test_a_canary_beside_the_rpo_canary_reports_its_own_loss(
    tmp_path: Path,
    servers: list[tuple[str, type[_Switchable]]],
    mysql_dsn: str,  # noqa: F811
) -> None:
    (public, public_app), _ = servers
    dr = mysql_dsn.replace("/app", "/app_dr")  # nothing replicates there: every write is lost
    plan = _write(tmp_path, f"""probes:
  availability: {{url: "{public}", interval: 100ms, timeout: 1s, success_threshold: 3, settle: 10s}}
  canaries:
    - {{name: sessions, kind: mysql, dsn: "{mysql_dsn}", dr_dsn: "{mysql_dsn}", interval: 100ms}}
    - {{name: orders, kind: mysql, dsn: "{mysql_dsn}", dr_dsn: "{dr}", interval: 100ms}}
""")  # fmt: skip
    settings = Settings(home=tmp_path / ".drctl", database_url="", executor_id="canaries-host")
    env = {"DRCTL_HOME": str(settings.home), "DRCTL_EXECUTOR_ID": "canaries-host",
           "DRCTL_DATABASE_URL": ""}  # fmt: skip
    run_id = f"canaries-{secrets.token_hex(3)}"
    settings.home.mkdir(parents=True)
    store = MeasureStore(sa.create_engine(settings.state_database_url()))
    try:
        worker = drctl("run", str(plan), "--scenario", "region-failure", "--run-id", run_id,
                       "--as", "ops", env=env, cwd=tmp_path)  # fmt: skip
        until(lambda: len(store.beside_acks(run_id, "orders")) >= 5, 90, "orders writes")
        public_app.healthy = False
        until(lambda: sum(not s.ok for _, s in store.availability(run_id)) >= 3, 30, "down")
        public_app.healthy = True
        reject = drctl("reject", run_id, "declare-disaster", "--as", "bob",
                       "--reason", "drill over", env=env, cwd=tmp_path)  # fmt: skip
        assert reject.wait(timeout=60) == 0, reject.stdout.read() if reject.stdout else ""
        output, _ = worker.communicate(timeout=120)
        shown = drctl("runs", "show", run_id, "--json", env=env, cwd=tmp_path)
        data = json.loads(shown.communicate(timeout=60)[0])
    finally:
        engine.shutdown()

    measured = data["measured"]
    assert measured["lost_writes"] == 0 and measured["rpo_seconds"] == 0, output
    failure_at = datetime.fromisoformat(measured["failure_at"])
    orders = [a for _, a in store.beside_acks(run_id, "orders")]
    (beside,) = measured["beside_canaries"]
    assert beside["name"] == "orders" and beside["acknowledged"] == len(orders)
    assert orders[0].time < failure_at and beside["lost_writes"] == len(orders)
    # nothing survived: the RPO reaches back to the first write
    assert beside["rpo_seconds"] == pytest.approx((failure_at - orders[0].time).total_seconds())
    sessions = [a.seq for _, a in store.acks(run_id)]
    assert sessions[:3] == [1, 2, 3] and orders[0].seq == 1, "each canary has its own sequence"
    # Both canaries write the same table: the beside one's rows carry RUN:NAME.
    params = mysql_params(mysql_dsn, "test")
    with pymysql.connect(**params) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT run_id, COUNT(*) FROM drctl_canary GROUP BY run_id")
        counts = dict(cursor.fetchall())
    assert counts[f"{run_id}:orders"] == len(orders)
    assert counts[run_id] == len(sessions)
