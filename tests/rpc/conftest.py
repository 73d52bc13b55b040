"""Fixtures for the XML-RPC tests: a real Odoo server (tools/odoo.py) per session.

Run with plain pytest from the venv (not pytest-odoo):

    SA_RPC_DB=<database> .venv/bin/python -m pytest -q tests/rpc

`make test` does this on a copy of its throw-away database. Environment:

    SA_RPC_DB             database to serve (required; sales_allocation installed)
    SA_RPC_WORKERS        Odoo --workers (default 2: prefork, as in production;
                          0 = threaded server)
    SA_RPC_START_TIMEOUT  seconds to wait for /web/login to answer 200 (default 90)
    SA_RPC_ODOO_ARGS      extra Odoo options, split on spaces
    SA_RPC_KEEP_COPIES    1: keep the database copies of `database_copy` (see below)
    SA_RPC_LOAD_DEADLINE  seconds a load run may start calls (test_intake_load_rpc.py,
                          test_servers_rpc.py; default 480)
    SA_RPC_LOAD_CLIENTS   clients of every intake scenario of test_intake_load_rpc.py
                          (a quick check; default: the issue's numbers)

The server log goes to .run/logs/rpc-server-<db>.log.

Fixture `odoo_server` (session scope) is an OdooServer:

    odoo_server.url, .db, .port, .log_path
    odoo_server.common, .models     xmlrpc ServerProxy objects of the admin session
    odoo_server.uid                 uid of admin (login admin / password admin)
    odoo_server.execute(model, method, *args, **kw)   execute_kw as admin
    odoo_server.login(login, password)  -> RpcClient for another user
    odoo_server.sql(query, params)  rows from a direct PostgreSQL query (for asserts)

Fixtures `database_copy` and `extra_odoo_server` (module scope) make a copy of
SA_RPC_DB and start more servers (on it or on SA_RPC_DB), stopped and dropped when
the module ends: see the end of this file.

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
    db = rpc_database()
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


# ---------------------------------------------------------------------------
# Extra servers and database copies (load tests, several servers on one database).
#
#   rpc_database()                       SA_RPC_DB, checked as odoo_server checks it
#   database_copy(suffix) -> name        fixture (module scope): a fresh copy of
#                                        SA_RPC_DB named "<SA_RPC_DB>_<suffix>",
#                                        dropped when the module ends (keep it with
#                                        SA_RPC_KEEP_COPIES=1)
#   extra_odoo_server(db, workers=2, name="extra", extra_args=(), start_timeout=None)
#                                        fixture (module scope): start one more
#                                        OdooServer (own ports, own log
#                                        rpc-server-<db>-<name>.log); every server it
#                                        started is stopped when the module ends
#
# These fixtures do not start the session's `odoo_server`: a module that only uses
# them serves its own database copy and servers.

FILESTORE = ROOT / ".run" / "data" / "filestore"


def rpc_database():
    """SA_RPC_DB after the checks `odoo_server` makes (pytest.exit when unusable)."""
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
    return db


def _drop_database(name):
    """Drop database ``name`` (closing its sessions) and its filestore."""
    import shutil

    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(dbname="postgres")
    try:
        conn.autocommit = True
        with conn.cursor() as cr:
            cr.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
    finally:
        conn.close()
    shutil.rmtree(str(FILESTORE / name), ignore_errors=True)


def copy_database(source, target):
    """``target`` := a copy of ``source`` (database and filestore); an existing
    ``target`` is dropped first.

    CREATE DATABASE ... TEMPLATE is instant but needs ``source`` without sessions (the
    session's server keeps pooled connections to it): then pg_dump | psql instead, a
    consistent snapshot that does not disturb anyone.
    """
    import shutil

    import psycopg2
    from psycopg2 import sql

    _drop_database(target)
    conn = psycopg2.connect(dbname="postgres")
    try:
        conn.autocommit = True
        with conn.cursor() as cr:
            try:
                cr.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(target), sql.Identifier(source)))
                templated = True
            except psycopg2.errors.ObjectInUse:
                templated = False
            if not templated:
                cr.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target)))
    finally:
        conn.close()
    if not templated:
        dump = subprocess.Popen(["pg_dump", "--no-owner", source], stdout=subprocess.PIPE)
        restore = subprocess.run(
            ["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", target],
            stdin=dump.stdout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            timeout=900)
        dump.stdout.close()
        dump_rc = dump.wait(60)
        if dump_rc or restore.returncode:
            _drop_database(target)
            raise RuntimeError("copying database %s to %s failed (pg_dump %s, psql %s): %s"
                               % (source, target, dump_rc, restore.returncode,
                                  restore.stderr.decode("utf-8", "replace")[-2000:]))
    if (FILESTORE / source).is_dir():
        shutil.copytree(str(FILESTORE / source), str(FILESTORE / target), symlinks=True)
    return target


@pytest.fixture(scope="module")
def database_copy():
    """Factory: ``database_copy(suffix)`` -> the name of a fresh copy of SA_RPC_DB,
    "<SA_RPC_DB>_<suffix>"; dropped when the module ends unless SA_RPC_KEEP_COPIES=1."""
    made = []

    def make(suffix):
        source = rpc_database()
        target = ("%s_%s" % (source, suffix))[:63]
        copy_database(source, target)
        made.append(target)
        return target

    yield make
    if os.environ.get("SA_RPC_KEEP_COPIES") != "1":
        for name in made:
            _drop_database(name)


@pytest.fixture(scope="module")
def extra_odoo_server():
    """Factory: start one more OdooServer on ``db`` with ``workers`` prefork workers.

    ``name`` tells its log apart (``rpc-server-<db>-<name>.log``); ``extra_args`` go to
    Odoo after the usual ones (e.g. ``--max-cron-threads=0``; SA_RPC_ODOO_ARGS are
    added too). Every server started is stopped when the module ends.
    """
    started = []

    def start(db, workers=2, name="extra", extra_args=(), start_timeout=None):
        server = OdooServer(
            db, workers=workers,
            extra_args=os.environ.get("SA_RPC_ODOO_ARGS", "").split() + list(extra_args),
            start_timeout=float(start_timeout or os.environ.get("SA_RPC_START_TIMEOUT", "90")))
        server.log_path = server.log_path.with_name("rpc-server-%s-%s.log" % (db, name))
        started.append(server)
        server.start()
        return server

    yield start
    for server in reversed(started):
        server.stop()
