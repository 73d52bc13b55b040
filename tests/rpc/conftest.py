"""Fixtures for the XML-RPC tests: a real Odoo server (tools/odoo.py) per session.

Run with plain pytest from the venv (not pytest-odoo):

    SA_RPC_DB=<database> .venv/bin/python -m pytest -q tests/rpc

`make test` does this on a copy of its throw-away database. Environment:

    SA_RPC_DB             database to serve (required; sales_allocation installed)
    SA_RPC_WORKERS        Odoo --workers (default 2: prefork, as in production;
                          0 = threaded server)
    SA_RPC_START_TIMEOUT  seconds to wait for /web/login to answer 200 (default 90)
    SA_RPC_ODOO_ARGS      extra Odoo options, split on spaces

The server log goes to .run/logs/rpc-server-<db>.log.

Fixture `odoo_server` (session scope) is an OdooServer:

    odoo_server.url, .db, .port, .log_path
    odoo_server.common, .models     xmlrpc ServerProxy objects of the admin session
    odoo_server.uid                 uid of admin (login admin / password admin)
    odoo_server.execute(model, method, *args, **kw)   execute_kw as admin
    odoo_server.login(login, password)  -> RpcClient for another user
    odoo_server.sql(query, params)  rows from a direct PostgreSQL query (for asserts)

A ServerProxy holds one HTTP connection and is not thread-safe: a thread of a
concurrency test makes its own client with `odoo_server.login(...)` (or
`odoo_server.admin()`), never shares one.
"""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xmlrpc.client
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ODOO_SCRIPT = ROOT / "tools" / "odoo.py"
ODOO_CONF = ROOT / ".run" / "odoo.conf"
LOG_DIR = ROOT / ".run" / "logs"

ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "admin"


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path, lines=60):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError as exc:
        return "(no log: %s)" % exc
    return "\n".join(text.splitlines()[-lines:])


class RpcClient:
    """One user's XML-RPC session: its own proxies, so one per thread."""

    def __init__(self, url, db, login, password):
        self.url = url
        self.db = db
        self.login_name = login
        self.password = password
        self.common = xmlrpc.client.ServerProxy(url + "/xmlrpc/2/common", allow_none=True)
        self.models = xmlrpc.client.ServerProxy(url + "/xmlrpc/2/object", allow_none=True)
        self.uid = self.common.authenticate(db, login, password, {})
        if not self.uid:
            raise AssertionError("XML-RPC login %r refused on database %r" % (login, db))

    def execute(self, model, method, *args, **kw):
        """`execute_kw(model, method, args, kw)` as this user."""
        return self.models.execute_kw(
            self.db, self.uid, self.password, model, method, list(args), kw)

    def __repr__(self):
        return "<RpcClient %s uid=%s %s>" % (self.login_name, self.uid, self.url)


class OdooServer:
    """An Odoo server process serving one database on free local ports."""

    def __init__(self, db, workers=2, extra_args=(), start_timeout=90.0):
        self.db = db
        self.workers = workers
        self.port = _free_port()
        self.longpolling_port = _free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log_path = LOG_DIR / ("rpc-server-%s.log" % db)
        self.start_timeout = start_timeout
        self.extra_args = list(extra_args)
        self.process = None
        self._admin = None

    # -- process ---------------------------------------------------------------
    def command(self):
        cmd = [
            sys.executable, str(ODOO_SCRIPT), "-c", str(ODOO_CONF),
            "-d", self.db, "--db-filter=^%s$" % self.db,
            "--http-interface=127.0.0.1", "--http-port=%d" % self.port,
            "--longpolling-port=%d" % self.longpolling_port,
            "--workers=%d" % self.workers, "--max-cron-threads=1",
            "--log-level=info",
        ]
        return cmd + self.extra_args

    def start(self):
        if not ODOO_CONF.exists():
            raise RuntimeError(
                "%s is missing: run tools/setup.sh (or make setup) first" % ODOO_CONF)
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env["PATH"] = "%s:%s" % (ROOT / ".tools" / "node_modules" / ".bin", env.get("PATH", ""))
        with open(str(self.log_path), "wb") as log:
            # A session of its own, so that stop() reaches the prefork workers and
            # the long-polling process too.
            self.process = subprocess.Popen(
                self.command(), cwd=str(ROOT), env=env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()

    def _wait_ready(self):
        deadline = time.monotonic() + self.start_timeout
        last_error = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    "Odoo server exited with code %s before answering; log %s ends with:\n%s"
                    % (self.process.returncode, self.log_path, _tail(self.log_path)))
            try:
                with urllib.request.urlopen(self.url + "/web/login", timeout=10) as resp:
                    if resp.status == 200:
                        return
                    last_error = "HTTP %s" % resp.status
            except urllib.error.HTTPError as exc:
                last_error = "HTTP %s" % exc.code
            except (urllib.error.URLError, OSError) as exc:
                last_error = str(exc)
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(
            "Odoo server did not answer 200 on %s/web/login within %.0f s (last: %s); "
            "log %s ends with:\n%s"
            % (self.url, self.start_timeout, last_error, self.log_path, _tail(self.log_path)))

    def stop(self, timeout=30.0):
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        # Workers exit with their master; make sure none lingers in the group.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    # -- RPC ---------------------------------------------------------------------
    def login(self, login, password):
        """A new RpcClient authenticated as `login` (raises if refused)."""
        return RpcClient(self.url, self.db, login, password)

    def admin(self):
        """A new RpcClient for admin, e.g. one per thread."""
        return self.login(ADMIN_LOGIN, ADMIN_PASSWORD)

    @property
    def _admin_client(self):
        if self._admin is None:
            self._admin = self.admin()
        return self._admin

    @property
    def common(self):
        return self._admin_client.common

    @property
    def models(self):
        return self._admin_client.models

    @property
    def uid(self):
        return self._admin_client.uid

    def execute(self, model, method, *args, **kw):
        """`execute_kw(model, method, args, kw)` as admin."""
        return self._admin_client.execute(model, method, *args, **kw)

    # -- database ------------------------------------------------------------------
    def sql(self, query, params=None):
        """Rows of a query run directly on the database (own connection, autocommit)."""
        import psycopg2  # the venv's; imported here so a collection error stays readable

        conn = psycopg2.connect(dbname=self.db)
        try:
            conn.autocommit = True
            with conn.cursor() as cr:
                cr.execute(query, params)
                return cr.fetchall() if cr.description else []
        finally:
            conn.close()


def _database_problem(db):
    """Why `db` cannot be served (None when it is an Odoo database)."""
    import psycopg2

    try:
        conn = psycopg2.connect(dbname=db)
    except psycopg2.OperationalError as exc:
        return "cannot connect (%s)" % str(exc).strip()
    try:
        with conn.cursor() as cr:
            cr.execute("select to_regclass('ir_module_module') is not null")
            if not cr.fetchone()[0]:
                return "not an Odoo database (no ir_module_module table)"
    finally:
        conn.close()
    return None


@pytest.fixture(scope="session")
def odoo_server():
    db = os.environ.get("SA_RPC_DB")
    if not db:
        pytest.exit(
            "SA_RPC_DB is not set: give the database the RPC tests run against, e.g.\n"
            "  SA_RPC_DB=sales_allocation .venv/bin/python -m pytest -q tests/rpc\n"
            "(`make test` sets it to a copy of its throw-away database).", returncode=4)
    # Odoo started with -d on a missing or empty database would quietly create and
    # initialise one: refuse instead.
    problem = _database_problem(db)
    if problem:
        pytest.exit("SA_RPC_DB=%s: %s" % (db, problem), returncode=4)
    server = OdooServer(
        db,
        workers=int(os.environ.get("SA_RPC_WORKERS", "2")),
        extra_args=os.environ.get("SA_RPC_ODOO_ARGS", "").split(),
        start_timeout=float(os.environ.get("SA_RPC_START_TIMEOUT", "90")),
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
