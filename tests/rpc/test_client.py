"""sales_allocation_client: its transport, its errors, and its command line.

The transport tests talk to small XML-RPC servers from the standard library (they need
behaviours Odoo cannot be made to show on demand: keep-alive, a dropped connection, a
slow answer, a server that is not up yet); everything else runs against the Odoo server
of the `odoo_server` fixture.
"""
import csv
import json
import socket
import subprocess
import sys
import threading
import time
import xmlrpc.client
import xmlrpc.server
from http.server import HTTPServer
from socketserver import ThreadingMixIn

import pytest
import requests

from rpc_helpers import (
    ROOT, client, create_leads, make_queue, make_rule, make_user, run_cli, unique)
from sales_allocation_client import (
    OdooAccessDenied, OdooAccessError, OdooClient, OdooError, OdooUserError,
    RequestsTransport, TransportError)
from sales_allocation_client.cli import parse_domain, UsageError


# ---------------------------------------------------------------------- a stdlib server

class _Handler(xmlrpc.server.SimpleXMLRPCRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Odoo behind nginx would
    rpc_paths = ("/xmlrpc/2/object", "/xmlrpc/2/common", "/RPC2")

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        self.server.connections.append(self.client_address)

    def do_POST(self):
        self.server.posts += 1
        if self.server.drop_next > 0:
            # Read the request, then hang up without answering: the call may have run.
            self.server.drop_next -= 1
            length = int(self.headers.get("content-length", 0))
            self.rfile.read(length)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        super().do_POST()


class _XmlRpcServer(ThreadingMixIn, xmlrpc.server.SimpleXMLRPCDispatcher, HTTPServer):
    daemon_threads = True
    logRequests = False

    def __init__(self, port=0):
        self.connections = []
        self.posts = 0
        self.drop_next = 0
        xmlrpc.server.SimpleXMLRPCDispatcher.__init__(self, allow_none=True)
        HTTPServer.__init__(self, ("127.0.0.1", port), _Handler)
        self.register_function(lambda *args: list(args), "echo")
        self.register_function(lambda seconds: time.sleep(seconds) or True, "sleep")

    def start(self):
        thread = threading.Thread(target=self.serve_forever, daemon=True)
        thread.start()
        return self

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]


@pytest.fixture
def stdlib_server():
    server = _XmlRpcServer().start()
    yield server
    server.shutdown()
    server.server_close()


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------- transport

def test_transport_reuses_one_connection(stdlib_server):
    transport = RequestsTransport()
    proxy = xmlrpc.client.ServerProxy(stdlib_server.url + "/RPC2", transport=transport,
                                      allow_none=True)
    for index in range(5):
        assert proxy.echo(index, "二") == [index, "二"]
    assert stdlib_server.posts == 5
    assert len(stdlib_server.connections) == 1, stdlib_server.connections


def test_transport_waits_for_a_server_that_is_starting():
    port = _free_port()
    sleeps = []
    transport = RequestsTransport(retries=5, backoff=0.2, sleep=lambda s: (
        sleeps.append(s), time.sleep(s)))
    server_holder = {}

    def start_later():
        time.sleep(0.5)
        server_holder["server"] = _XmlRpcServer(port).start()

    threading.Thread(target=start_later, daemon=True).start()
    proxy = xmlrpc.client.ServerProxy("http://127.0.0.1:%d/RPC2" % port, transport=transport)
    try:
        assert proxy.echo("up") == ["up"]
    finally:
        server_holder["server"].shutdown()
        server_holder["server"].server_close()
    assert transport.retries_done >= 1
    assert sleeps[:2] == [0.2, 0.4]  # exponential back-off


def test_transport_gives_up_with_the_cause():
    port = _free_port()
    transport = RequestsTransport(retries=2, backoff=0.01)
    proxy = xmlrpc.client.ServerProxy("http://127.0.0.1:%d/RPC2" % port, transport=transport)
    with pytest.raises(TransportError) as caught:
        proxy.echo(1)
    assert caught.value.attempts == 3
    assert "cannot reach http://127.0.0.1:%d/RPC2 after 3 attempt(s)" % port in str(caught.value)


def test_transport_resends_a_dropped_call_only_when_idempotent(stdlib_server):
    body = xmlrpc.client.dumps((1,), "echo").encode()
    host = stdlib_server.url.split("//")[1]
    stdlib_server.drop_next = 1
    transport = RequestsTransport(retries=3, backoff=0.01)
    # Not idempotent: the server may have done it; the client must not do it twice.
    with pytest.raises(TransportError):
        transport.request(host, "/RPC2", body)
    assert stdlib_server.posts == 1
    stdlib_server.drop_next = 1
    assert transport.request(host, "/RPC2", body, idempotent=True) == ([1],)
    assert stdlib_server.posts == 3


def test_transport_times_out(stdlib_server):
    transport = RequestsTransport(timeout=(2, 0.5), retries=0)
    proxy = xmlrpc.client.ServerProxy(stdlib_server.url + "/RPC2", transport=transport)
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        proxy.sleep(3)
    assert time.monotonic() - started < 2.5
    assert "did not answer within 0.5 s" in str(caught.value)
    assert isinstance(caught.value.cause, requests.exceptions.ReadTimeout)


def test_transport_rejects_unknown_scheme():
    with pytest.raises(ValueError):
        RequestsTransport(scheme="ftp")
    with pytest.raises(ValueError, match="http://host:8069"):
        OdooClient("localhost:8069", "db", "admin", "admin")


# ---------------------------------------------------------------------- against Odoo

def test_client_talks_to_odoo(odoo_server):
    admin = client(odoo_server)
    assert admin.version()["server_version_info"][:2] == [11, 0]
    assert admin.uid == odoo_server.uid
    assert admin.execute("res.users", "read", [admin.uid], ["login"])[0]["login"] == "admin"
    # Odoo 11's server closes the connection after each answer (HTTP/1.0): the pooled
    # connection is dropped and a new one opened, with no error and no retry.
    for _index in range(3):
        admin.execute("res.users", "search_count", [])
    assert admin.transport.retries_done == 0


def test_wrong_password_is_access_denied(odoo_server):
    with pytest.raises(OdooAccessDenied, match="refused"):
        client(odoo_server, "admin", "not the password")


def test_odoo_errors_carry_odoos_message(odoo_server):
    admin = client(odoo_server)
    # A ValidationError raised by a constraint: the message, not a traceback.
    with pytest.raises(OdooUserError) as caught:
        admin.execute("sales.allocation.rule", "create", {
            "name": unique("bad domain"), "target_type": "user", "user_id": admin.uid,
            "domain": "[('no_such_field', '=', 1)]"})
    assert caught.value.kind == "ValidationError"
    assert caught.value.message.startswith("The condition of rule")
    assert "Traceback" not in caught.value.message
    assert "Traceback" in caught.value.fault_string
    # An unknown model: a UserError from Odoo's RPC layer.
    with pytest.raises(OdooUserError, match="Object no.such.model doesn't exist"):
        admin.execute("no.such.model", "search", [])
    # A domain on a field that does not exist: Odoo's ValueError, message only.
    with pytest.raises(OdooError) as caught:
        admin.execute("crm.lead", "search", [("no_such_field", "=", 1)])
    assert caught.value.kind == "ValueError"
    assert "Invalid field" in caught.value.message and "no_such_field" in caught.value.message
    # A private method.
    with pytest.raises(OdooError, match="Private methods"):
        admin.execute("crm.lead", "_cron_allocate_backlog")
    # The server keeps serving.
    assert admin.execute("res.users", "search_count", [("id", "=", admin.uid)]) == 1


def test_access_errors_are_typed(odoo_server):
    admin = client(odoo_server)
    rep = make_user(odoo_server, admin, "client-rep")
    with pytest.raises(OdooAccessError) as caught:
        rep.client().execute("sales.allocation.rule", "create", {"name": "x"})
    assert caught.value.kind == "AccessError"
    assert "Sorry, you are not allowed to create" in caught.value.message


def test_parse_domain():
    assert parse_domain("[('a', '=', 1), '|', ('b', '!=', False), ('c', 'in', [1, 2])]") == [
        ["a", "=", 1], "|", ["b", "!=", False], ["c", "in", [1, 2]]]
    assert parse_domain("") == []
    for bad, message in [("[('a', '=', 1)", "does not parse"),
                         ("('a', '=', 1)", "neither a condition"),
                         ("{'a': 1}", "must be a list"),
                         ("[('a', '=')]", "neither a condition"),
                         ("__import__('os')", "does not parse")]:
        with pytest.raises(UsageError, match=message):
            parse_domain(bad)


# ---------------------------------------------------------------------- command line

def test_cli_help():
    proc = subprocess.run([sys.executable, "-m", "sales_allocation_client", "--help"],
                          cwd=str(ROOT), stdout=subprocess.PIPE, universal_newlines=True)
    assert proc.returncode == 0
    for command in ("import", "pools", "pool", "claim", "release", "why", "allocate"):
        assert command in proc.stdout


def test_cli_cannot_connect():
    port = _free_port()
    proc = subprocess.run(
        [sys.executable, "-m", "sales_allocation_client", "--url",
         "http://127.0.0.1:%d" % port, "--db", "x", "--password", "x", "--retries", "1",
         "pools"], cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=60)
    assert proc.returncode == 3
    assert "cannot reach http://127.0.0.1:%d" % port in proc.stderr


def test_cli_wrong_password(odoo_server):
    proc = run_cli(odoo_server, "pools", password="wrong", check=3)
    assert "login 'admin' refused" in proc.stderr


@pytest.fixture(scope="module")
def import_setup(odoo_server):
    """Two reps in a sequential queue, a rule sending leads with a fresh tag to it."""
    admin = client(odoo_server)
    reps = [make_user(odoo_server, admin, "import-rep") for _index in range(2)]
    tag_name = unique("import-tag")
    tag_id = admin.execute("crm.lead.tag", "create", {"name": tag_name})
    queue_id = make_queue(admin, "import-queue", [rep.id for rep in reps])
    rule_id = make_rule(admin, "import-rule", tag_id, queue_id=queue_id)
    yield {"admin": admin, "reps": reps, "tag_id": tag_id, "tag_name": tag_name,
           "queue_id": queue_id, "rule_id": rule_id}
    admin.execute("sales.allocation.rule", "write", [rule_id], {"active": False})


def test_cli_import_reports_bad_rows_and_imports_the_rest(odoo_server, import_setup, tmp_path):
    tag = import_setup["tag_name"]
    marker = unique("imp")
    path = tmp_path / "leads.csv"
    with open(str(path), "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["name", "company", "email", "country", "province", "revenue", "tags"])
        writer.writerow([marker + " good 1", "上海某公司", "a@example.com", "CN", "", "1000", tag])
        writer.writerow([marker + " bad country", "x", "", "ZZ", "", "", tag])        # line 3
        writer.writerow(["", "no name", "", "", "", "", tag])                          # line 4
        writer.writerow([marker + " good 2\nwith a second line", "y", "", "", "", "5", tag])
        writer.writerow([marker + " bad revenue", "z", "", "", "", "lots", tag])       # line 7
        writer.writerow([marker + " short row", "z"])                                   # line 8
        writer.writerow([marker + " bad tag", "z", "", "", "", "", unique("no-such-tag")])
        writer.writerow([marker + " good 3", "", "", "", "", "", tag])                  # line 10
    proc = run_cli(odoo_server, "--json", "import", str(path), "--batch-size", "3", check=1)
    result = json.loads(proc.stdout)
    bad = {row["line"]: row["message"] for row in result["bad_rows"]}
    assert sorted(bad) == [3, 4, 7, 8, 9], result
    assert "unknown country 'ZZ'" in bad[3]
    assert "name" in bad[4] and "empty" in bad[4]
    assert "lots" in bad[7]
    assert "2 values" in bad[8]
    assert "no-such-tag" in bad[9]
    assert result["created"] == 3
    # The good leads exist, went through the rules (two reps in turn), and are logged.
    rows = odoo_server.sql("""
        SELECT l.name, l.user_id, l.allocation_rule_id,
               (SELECT count(*) FROM sales_allocation_log g
                 WHERE g.lead_id = l.id AND g.event = 'assigned' AND g.user_id = l.user_id)
          FROM crm_lead l WHERE l.id IN %s ORDER BY l.id
    """, (tuple(result["ids"]),))
    assert [row[0] for row in rows] == [marker + " good 1",
                                        marker + " good 2\nwith a second line",
                                        marker + " good 3"]
    rep_ids = {rep.id for rep in import_setup["reps"]}
    assert all(row[1] in rep_ids for row in rows)
    assert all(row[2] == import_setup["rule_id"] for row in rows)
    assert all(row[3] == 1 for row in rows)
    assert {row[1] for row in rows} == rep_ids
    # Text output: one line per bad row, then the summary.
    proc = run_cli(odoo_server, "import", str(path), check=1)
    assert "line 3: unknown country 'ZZ'" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "3 leads created in 1 batches, 5 bad rows"


def test_cli_import_refuses_unknown_columns(odoo_server, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("name,colour\nA,red\n", encoding="utf-8")
    proc = run_cli(odoo_server, "import", str(path), check=3)
    assert "unknown column(s) 'colour'" in proc.stderr


def test_cli_why_explains_the_owner(odoo_server, import_setup):
    admin = import_setup["admin"]
    [lead_id] = create_leads(admin, 1, import_setup["tag_id"], prefix=unique("why"))
    proc = run_cli(odoo_server, "why", str(lead_id), check=0)
    lead = admin.execute("crm.lead", "read", [lead_id], ["user_id", "allocation_rule_id"])[0]
    assert "owner: %s" % lead["user_id"][1] in proc.stdout
    assert lead["allocation_rule_id"][1] in proc.stdout
    assert "assigned" in proc.stdout
    proc = run_cli(odoo_server, "--json", "why", str(lead_id), check=0)
    data = json.loads(proc.stdout)
    assert [log["event"] for log in data["log"]] == ["assigned"]
    # A lead that does not exist.
    proc = run_cli(odoo_server, "why", "999999999", check=2)
    assert "lead 999999999 does not exist" in proc.stderr


def test_cli_allocate_on_a_domain(odoo_server, import_setup):
    admin = import_setup["admin"]
    marker = unique("alloc")
    lead_ids = create_leads(admin, 4, import_setup["tag_id"], prefix=marker)
    domain = "[('name', '=like', '%s%%')]" % marker
    proc = run_cli(odoo_server, "--json", "allocate", "--domain", domain, "--dry-run", check=0)
    assert json.loads(proc.stdout) == {"leads": 4}
    before = odoo_server.sql("SELECT count(*) FROM sales_allocation_log WHERE lead_id IN %s",
                             (tuple(lead_ids),))[0][0]
    proc = run_cli(odoo_server, "--json", "allocate", "--domain", domain, "--batch-size", "3",
                   check=0)
    assert json.loads(proc.stdout) == {"leads": 4, "states": {"allocated": 4}}
    after = odoo_server.sql("SELECT count(*) FROM sales_allocation_log WHERE lead_id IN %s",
                            (tuple(lead_ids),))[0][0]
    assert after == before + 4
    # A domain that does not parse: said before anything is sent.
    proc = run_cli(odoo_server, "allocate", "--domain", "[('name', '=', ", check=2)
    assert "does not parse" in proc.stderr
    # A domain Odoo refuses: Odoo's message.
    proc = run_cli(odoo_server, "allocate", "--domain", "[('colour', '=', 'red')]", check=3)
    assert "Invalid field" in proc.stderr and "colour" in proc.stderr
    # A salesman may not re-run allocation.
    rep = import_setup["reps"][0]
    proc = run_cli(odoo_server, "allocate", "--domain", "[('user_id', '=', %d)]" % rep.id,
                   login=rep.login, password=rep.password, check=3)
    assert "Only users who see all leads" in proc.stderr and "may re-run allocation" in proc.stderr


def test_cli_pools_claim_release(odoo_server):
    admin = client(odoo_server)
    team = admin.execute("crm.team", "create", {"name": unique("cli team")})
    rep, other = [make_user(odoo_server, admin, "cli-rep", team_id=team) for _index in range(2)]
    pool_name = unique("cli pool")
    pool = admin.execute("sales.allocation.pool", "create", {
        "name": pool_name, "team_id": team, "max_claims_per_day": 0, "idle_days": 0,
        "max_hold_days": 0, "warn_days": 0, "cooldown_days": 1})
    leads = [admin.execute("crm.lead", "create",
                           {"name": unique("cli pool lead"), "pool_id": pool})
             for _index in range(3)]
    as_rep = {"login": rep.login, "password": rep.password}
    proc = run_cli(odoo_server, "pools", check=0, **as_rep)
    assert pool_name in proc.stdout and "3 waiting" in proc.stdout
    proc = run_cli(odoo_server, "--json", "pool", pool_name, check=0, **as_rep)
    assert sorted(lead["id"] for lead in json.loads(proc.stdout)["leads"]) == sorted(leads)
    # Two claims go through; a third on a lead another rep took is refused, politely.
    assert other.client().execute("crm.lead", "action_claim", [leads[2]]) is True
    proc = run_cli(odoo_server, "claim", *[str(lead) for lead in leads], check=1, **as_rep)
    assert "lead %d: claimed" % leads[0] in proc.stdout
    assert "lead %d: refused: " % leads[2] in proc.stdout
    assert "already taken by %s" % other.name in proc.stdout
    proc = run_cli(odoo_server, "--json", "pool", str(pool), "--mine", check=0, **as_rep)
    assert sorted(lead["id"] for lead in json.loads(proc.stdout)["leads"]) == sorted(leads[:2])
    # Release with a reason (through the release wizard) and without.
    run_cli(odoo_server, "release", str(leads[0]), "--reason", "wrong region", check=0,
            **as_rep)
    run_cli(odoo_server, "release", str(leads[1]), check=0, **as_rep)
    reasons = odoo_server.sql("""
        SELECT lead_id, reason FROM sales_allocation_log
         WHERE lead_id IN %s AND event = 'released' ORDER BY lead_id""", (tuple(leads[:2]),))
    assert [lead for lead, _reason in reasons] == sorted(leads[:2])
    assert "wrong region" in dict(reasons)[leads[0]]
    # Claiming it back at once: the cooldown says until when.
    proc = run_cli(odoo_server, "claim", str(leads[0]), check=3, **as_rep)
    assert "cooldown" in proc.stdout
    # why, as the rep: his log rows of the lead.
    proc = run_cli(odoo_server, "why", str(leads[0]), check=0, **as_rep)
    assert "claimed" in proc.stdout and "released" in proc.stdout
