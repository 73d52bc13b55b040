"""Helpers for the XML-RPC tests of access, the client and concurrency.

They set up what a test needs as admin, over XML-RPC, through sales_allocation_client
(so the client is exercised by every test), and read the database directly only to
assert. Every name carries a random suffix: the RPC database is shared by all test
modules of a session, and a developer may run the tests twice on the same database.
"""
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sales_allocation_client import OdooClient  # noqa: E402

NO_MAIL = {"no_reset_password": True, "mail_create_nosubscribe": True,
           "tracking_disable": True}


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def client(server, login="admin", password="admin", **kwargs):
    """A logged-in OdooClient on the fixture's server (one per thread)."""
    result = OdooClient(server.url, server.db, login, password, **kwargs)
    result.authenticate()
    return result


def xmlid(admin, full_id):
    module, name = full_id.split(".")
    found = admin.execute("ir.model.data", "search_read",
                          [("module", "=", module), ("name", "=", name)], fields=["res_id"])
    assert found, "no record %s" % full_id
    return found[0]["res_id"]


class User:
    def __init__(self, server, uid, login, password, name):
        self.server = server
        self.id = uid
        self.login = login
        self.password = password
        self.name = name

    def client(self, **kwargs):
        return client(self.server, self.login, self.password, **kwargs)

    def __repr__(self):
        return "<User %s id=%s>" % (self.login, self.id)


def make_user(server, admin, prefix, groups=("sales_team.group_sale_salesman",),
              company_id=None, company_ids=None, team_id=None):
    login = unique(prefix)
    group_ids = [xmlid(admin, "base.group_user")] + [xmlid(admin, group) for group in groups]
    vals = {"name": login, "login": login, "password": login, "email": login + "@example.com",
            "groups_id": [(6, 0, group_ids)], "tz": "Asia/Shanghai"}
    if company_id:
        vals["company_id"] = company_id
        vals["company_ids"] = [(6, 0, company_ids or [company_id])]
    if team_id:
        vals["sale_team_id"] = team_id
    uid = admin.execute("res.users", "create", vals, context=NO_MAIL)
    return User(server, uid, login, login, login)


def make_tag(admin, prefix):
    return admin.execute("crm.lead.tag", "create", {"name": unique(prefix)})


def make_queue(admin, prefix, user_ids, strategy="sequential", **vals):
    members = [(0, 0, {"user_id": uid, "sequence": index + 1})
               for index, uid in enumerate(user_ids)]
    return admin.execute("sales.allocation.queue", "create", dict(
        {"name": unique(prefix), "strategy": strategy, "member_ids": members}, **vals))


def make_rule(admin, prefix, tag_id, queue_id=None, user_id=None, sequence=1, **vals):
    rule = {"name": unique(prefix), "sequence": sequence, "tag_ids": [(6, 0, [tag_id])]}
    if queue_id:
        rule.update(target_type="queue", queue_id=queue_id)
    elif user_id:
        rule.update(target_type="user", user_id=user_id)
    rule.update(vals)
    return admin.execute("sales.allocation.rule", "create", rule)


def create_leads(admin, count, tag_id, prefix="lead", **vals):
    """Create leads one RPC call each (through crm.lead.create: allocated on create)."""
    return [admin.execute("crm.lead", "create", dict(
        {"name": "%s %d" % (prefix, index), "tag_ids": [(6, 0, [tag_id])]}, **vals),
        context=NO_MAIL) for index in range(count)]


def insert_backlog(server, count, tag_id, prefix):
    """``count`` unallocated, unowned leads with the tag, inserted in one SQL statement.

    The ORM creates about 100 leads a second; the kill tests need thousands.
    """
    rows = server.sql("""
        WITH new AS (
            INSERT INTO crm_lead (name, type, active, probability, company_id,
                                  allocation_state, create_date, write_date,
                                  create_uid, write_uid)
            SELECT %s || ' ' || n, 'lead', TRUE, 10,
                   (SELECT id FROM res_company ORDER BY id LIMIT 1),
                   'unallocated', now() at time zone 'UTC', now() at time zone 'UTC', 1, 1
              FROM generate_series(1, %s) AS n
            RETURNING id
        ), tagged AS (
            INSERT INTO crm_lead_tag_rel (lead_id, tag_id) SELECT id, %s FROM new
        )
        SELECT id FROM new ORDER BY id
    """, (prefix, count, tag_id))
    return [row[0] for row in rows]


def run_threads(target, args_list, timeout=300):
    """Run ``target(*args)`` in one thread per args, all released at once.

    Returns the list of (result, exception) in args order.
    """
    barrier = threading.Barrier(len(args_list))
    outcomes = [None] * len(args_list)

    def runner(index, args):
        barrier.wait()
        try:
            outcomes[index] = (target(*args), None)
        except Exception as error:  # the test inspects it
            outcomes[index] = (None, error)

    threads = [threading.Thread(target=runner, args=(index, args), daemon=True)
               for index, args in enumerate(args_list)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a thread of the test hung for %s s" % timeout
    return outcomes


def insert_due_pool_leads(server, count, pool_id, owner_ids, prefix, days_idle=10):
    """``count`` leads of ``pool_id``, owned in turn by ``owner_ids``, idle for
    ``days_idle`` days and past their reclaim deadline, inserted with SQL.

    Returns {lead id: owner id}.
    """
    rows = server.sql("""
        WITH owners AS (
            SELECT row_number() OVER () - 1 AS pos, owner
              FROM unnest(%s::int[]) AS owner
        ), new AS (
            INSERT INTO crm_lead (name, type, active, probability, company_id, pool_id,
                                  user_id, allocation_state, owner_activity_date,
                                  date_open, reclaim_deadline, reclaim_timer,
                                  create_date, write_date, create_uid, write_uid)
            SELECT %s || ' ' || n, 'lead', TRUE, 10,
                   (SELECT id FROM res_company ORDER BY id LIMIT 1), %s,
                   (SELECT owner FROM owners WHERE pos = n %% %s), 'claimed',
                   now() at time zone 'UTC' - %s * interval '1 day',
                   now() at time zone 'UTC' - %s * interval '1 day',
                   now() at time zone 'UTC' - interval '1 hour', 'idle',
                   now() at time zone 'UTC', now() at time zone 'UTC', 1, 1
              FROM generate_series(1, %s) AS n
            RETURNING id, user_id
        )
        SELECT id, user_id FROM new ORDER BY id
    """, (list(owner_ids), prefix, pool_id, len(owner_ids), days_idle, days_idle, count))
    return dict(rows)


def wait_until(predicate, timeout=60.0, interval=0.05, what="condition"):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out after %s s waiting for %s" % (timeout, what))


def run_cli(server, *args, login="admin", password="admin", stdin=None, check=None):
    env = dict(os.environ, SA_URL=server.url, SA_DB=server.db, SA_LOGIN=login,
               SA_PASSWORD=password)
    proc = subprocess.run(
        [sys.executable, "-m", "sales_allocation_client"] + list(args), cwd=str(ROOT),
        env=env, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=300)
    if check is not None:
        assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
    return proc
