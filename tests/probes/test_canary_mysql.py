"""The MySQL canary against a MariaDB server the test starts: acknowledged writes survive."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pymysql
import pytest

from drctl.errors import ProviderError
from drctl.plan.probes import MySqlCanary
from drctl.probes.canary import Canary
from drctl.probes.measure import measure_rpo
from drctl.probes.stores import MySqlStore

SERVER = shutil.which("mariadbd", path="/usr/sbin:/usr/bin") or shutil.which(
    "mysqld", path="/usr/sbin:/usr/bin"
)
INSTALL_DB = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def mysql_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if SERVER is None or INSTALL_DB is None:
        pytest.skip("no MariaDB/MySQL server binaries: run `make mysql-bin`")
    base: Path = tmp_path_factory.mktemp("mysql")
    data, sock, port = base / "data", str(base / "mysql.sock"), _free_port()
    subprocess.run([INSTALL_DB, "--no-defaults", f"--datadir={data}", "--user=root",
                    "--auth-root-authentication-method=normal", "--skip-test-db"],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    server = subprocess.Popen(
        [SERVER, "--no-defaults", f"--datadir={data}", f"--socket={sock}", f"--port={port}",
         "--bind-address=127.0.0.1", "--user=root", "--skip-name-resolve",
         f"--pid-file={base / 'mysqld.pid'}", f"--log-error={base / 'error.log'}"],
    )  # fmt: skip
    try:
        root = _connect_root(sock, server, base)
        with root.cursor() as cursor:
            cursor.execute("CREATE USER 'canary'@'127.0.0.1' IDENTIFIED BY 'pa:ss@word'")
            for database in ("app", "app_dr"):  # app_dr: a DR side nothing replicates to
                cursor.execute(f"CREATE DATABASE {database}")
                cursor.execute(f"GRANT ALL ON {database}.* TO 'canary'@'127.0.0.1'")
        root.close()
        yield f"mysql://canary:pa%3Ass%40word@127.0.0.1:{port}/app"
    finally:
        server.terminate()
        server.wait(timeout=60)


def _connect_root(
    sock: str, server: subprocess.Popen[bytes], base: Path
) -> pymysql.connections.Connection[pymysql.cursors.Cursor]:
    end = time.monotonic() + 60
    while True:
        try:
            return pymysql.connect(unix_socket=sock, user="root", autocommit=True)
        except pymysql.MySQLError:
            if server.poll() is not None or time.monotonic() > end:
                raise AssertionError((base / "error.log").read_text()) from None
            time.sleep(0.2)


def test_mysql_canary_acknowledged_writes_all_survive_on_the_same_server(mysql_dsn: str) -> None:
    store = MySqlStore("primary", mysql_dsn)
    run_id = f"test-{uuid.uuid4().hex[:8]}"
    canary = Canary(run_id, lambda: store, interval=timedelta(milliseconds=20))
    canary.start()
    time.sleep(0.4)
    failure_at = canary.clock.now()
    canary.stop()
    acks = canary.snapshot()
    assert len(acks) >= 5
    assert [a.seq for a in acks] == list(range(1, len(acks) + 1))
    surviving = MySqlStore("dr", mysql_dsn).surviving(run_id, [a.seq for a in acks] + [10_000])
    assert surviving == {a.seq for a in acks}, "every acknowledged write, nothing else"
    result = measure_rpo(acks, surviving, failure_at, "primary")
    assert result.lost == [] and result.rpo == timedelta(0)


def test_a_mysql_write_that_is_refused_is_not_acknowledged_and_hides_the_password(
    mysql_dsn: str,
) -> None:
    wrong = mysql_dsn.replace("pa%3Ass%40word", "not-it")
    store = MySqlStore("primary", wrong)
    canary = Canary("run", lambda: store)
    canary.tick()
    assert canary.acks == [] and canary.failures == 1
    with pytest.raises(ProviderError) as raised:
        store.write("run", 1, "2026-01-01T00:00:00+00:00")
    assert "not-it" not in str(raised.value) and "Access denied" in str(raised.value)


def test_a_mysql_canary_dsn_that_is_not_a_mysql_url_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"mysql://USER:PASSWORD@HOST:PORT/DATABASE"):
        MySqlCanary(kind="mysql", dsn="host=a user=b", dr_dsn="mysql://u@h/d")
    with pytest.raises(ProviderError, match="is not mysql://"):
        MySqlStore("primary", "mysql://user@host")
