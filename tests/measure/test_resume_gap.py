"""A measured `drctl run` SIGKILLed mid-run, then resumed (`drctl runs resume`) or taken over by
another worker (`drctl runs recover`): its samples survive, the gap stays a gap."""

from __future__ import annotations

import http.server
import json
import os
import secrets
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.engine.conftest import drctl, until

from drctl import engine
from drctl.measure.store import MeasureStore
from drctl.settings import Settings

pytestmark = pytest.mark.slow
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CANARY_DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres"


class _Switchable(http.server.BaseHTTPRequestHandler):
    healthy = False

    def do_GET(self) -> None:
        code = 200 if type(self).healthy else 503
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"ok" if code == 200 else b"down")

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def app() -> Iterator[tuple[str, type[_Switchable]]]:
    handler = type("Handler", (_Switchable,), {"healthy": True})
    server = http.server.ThreadingHTTPServer(("127.0.0.4", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.4:{server.server_address[1]}/health", handler
    server.shutdown()


def _plan(tmp_path: Path, url: str) -> Path:
    text = (EXAMPLES / "lab.yaml").read_text()
    text += f"""probes:
  availability: {{url: "{url}", interval: 100ms, timeout: 1s, success_threshold: 3, settle: 10s}}
  canary: {{kind: postgres, dsn: "{CANARY_DSN}", dr_dsn: "${{CANARY_DR_DSN}}", interval: 100ms}}
"""
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("how", ["resume", "recover"])
def test_a_sigkilled_measured_run_resumes_with_its_samples_and_records_the_gap(
    tmp_path: Path, app: tuple[str, type[_Switchable]], how: str
) -> None:
    url, handler = app
    settings = Settings(home=tmp_path / ".drctl", database_url="", executor_id="gap-host")
    env = {"DRCTL_HOME": str(settings.home), "DRCTL_EXECUTOR_ID": "gap-host",
           "DRCTL_DATABASE_URL": "", "CANARY_DR_DSN": CANARY_DSN}  # fmt: skip
    run_id = f"gap-{secrets.token_hex(3)}"
    plan = _plan(tmp_path, url)
    settings.home.mkdir(parents=True)
    store = MeasureStore(sa.create_engine(settings.state_database_url()))
    try:
        worker = drctl("run", str(plan), "--scenario", "region-failure", "--run-id", run_id,
                       "--as", "ops", env=env, cwd=tmp_path)  # fmt: skip
        until(lambda: _has_table(store) and len(store.availability(run_id)) >= 5, 90, "samples")
        handler.healthy = False  # the failure: detected by the probe, nobody says when
        until(lambda: sum(not s.ok for _, s in store.availability(run_id)) >= 5, 30, "failures")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        killed_at = datetime.now(UTC)
        before = store.availability(run_id)
        handler.healthy = True  # the service comes back while nobody probes
        time.sleep(1.5)

        if how == "resume":
            resumed = drctl("runs", "resume", run_id, "--as", "ops", env=env, cwd=tmp_path)
        else:  # another worker takes over the dead one's run
            resumed = drctl("runs", "recover", "--executor", "gap-host",
                            env={**env, "DRCTL_EXECUTOR_ID": "other-host"}, cwd=tmp_path)  # fmt: skip
        until(lambda: len(store.availability(run_id)) > len(before) + 5, 90, "new samples")
        reject = drctl("reject", run_id, "declare-disaster", "--as", "bob",
                       "--reason", "drill over", env=env, cwd=tmp_path)  # fmt: skip
        assert reject.wait(timeout=60) == 0, reject.stdout.read() if reject.stdout else ""
        output, _ = resumed.communicate(timeout=120)
        shown = drctl("runs", "show", run_id, "--json", env=env, cwd=tmp_path)
        data = json.loads(shown.communicate(timeout=60)[0])
    finally:
        engine.shutdown()

    measured = data["measured"]
    assert data["status"] == "failed", output
    rows = store.availability(run_id)
    assert rows[: len(before)] == before, "the samples taken before the kill are kept"
    assert {session for session, _ in rows} == {0, 1}
    (gap,) = [g for g in measured["gaps"] if g["probe"] == "availability"]
    start, end = datetime.fromisoformat(gap["start"]), datetime.fromisoformat(gap["end"])
    assert start == before[-1][1].time and start < killed_at < end
    assert not [s for _, s in rows if start < s.time < end], "nothing is filled into the gap"
    first_after = min(s.time for session, s in rows if session == 1)
    assert end == first_after
    # The service was back during the gap, but only samples after it can show that.
    assert measured["failure_source"] == "probe"
    first_failed = next(s.time for _, s in before if not s.ok)
    assert datetime.fromisoformat(measured["failure_at"]) == first_failed
    assert datetime.fromisoformat(measured["recovered_at"]) == first_after
    assert measured["rto_seconds"] == pytest.approx((first_after - first_failed).total_seconds())
    assert measured["lost_writes"] == 0 and measured["rpo_seconds"] == 0
    (rto,) = [m for m in data["measurements"] if m["name"] == "rto"]
    assert "from the probe" in rto["detail"] and "unprobed (gap, not filled in)" in rto["detail"]
    acks = store.acks(run_id)
    assert {session for session, _ in acks} == {0, 1}
    seqs = [a.seq for _, a in acks]
    assert seqs == sorted(set(seqs)), "the resumed canary continues the sequence"


def _has_table(store: MeasureStore) -> bool:
    return sa.inspect(store.engine).has_table("drctl_probe_samples")
