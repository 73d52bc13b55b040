"""The public lead pool through a running server (prefork workers) over XML-RPC.

Concurrent claims are real threads, each with its own XML-RPC connection and user. To
make "at the same instant" certain rather than likely, a test may hold a row lock from
its own PostgreSQL connection while the calls arrive, wait until the server's workers
are blocked on it, then let go: the calls then race for the same rows, and the loser
meets a serialization failure that Odoo's RPC layer retries (REPEATABLE READ). The
retried call must answer with a clear refusal (a warning fault), never a server error.
"""
import threading
import time
import xmlrpc.client
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from rpc_helpers import unique, xmlid

WARNING_FAULT = 2  # odoo.service.wsgi_server.RPC_FAULT_CODE_WARNING: a UserError


def make_rep(server, team_id, prefix="pool-rep"):
    login = unique(prefix)
    groups = [xmlid(server, "base.group_user"), xmlid(server, "sales_team.group_sale_salesman")]
    uid = server.execute("res.users", "create", {
        "name": login, "login": login, "password": login, "email": login + "@example.com",
        "groups_id": [(6, 0, groups)], "sale_team_id": team_id, "tz": "UTC",
    }, context={"no_reset_password": True})
    return {"id": uid, "login": login, "name": login}


@pytest.fixture(scope="module")
def pool(odoo_server):
    team_id = odoo_server.execute("crm.team", "create",
                                  {"name": unique("pool-team"), "use_leads": True})
    pool_id = odoo_server.execute("sales.allocation.pool", "create", {
        "name": unique("rpc-pool"), "team_id": team_id, "max_claims_per_day": 3,
        "max_open_leads": 0, "idle_days": 3, "max_hold_days": 0, "warn_days": 1,
        "cooldown_days": 1,
    })
    return {"id": pool_id, "team_id": team_id}


def pool_leads(server, pool, count):
    return [server.execute("crm.lead", "create", {
        "name": unique("pool-lead"), "type": "lead", "pool_id": pool["id"]},
        context={"tracking_disable": True}) for _index in range(count)]


@contextmanager
def holding_lock(server, query, params):
    """Hold the row lock ``query`` takes, in a transaction of our own, until the block
    ends; then roll back (nothing changed, the waiters go on)."""
    import psycopg2

    conn = psycopg2.connect(dbname=server.db)
    try:
        with conn.cursor() as cr:
            cr.execute(query, params)
        yield
    finally:
        conn.rollback()
        conn.close()


def wait_for_lock_waiters(server, count, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        [(waiting,)] = server.sql("""
            SELECT count(*) FROM pg_stat_activity
             WHERE datname = %s AND wait_event_type = 'Lock'
        """, (server.db,))
        if waiting >= count:
            return waiting
        time.sleep(0.05)
    raise AssertionError("fewer than %d server transactions ever waited on the lock" % count)


def claim_at_once(server, calls):
    """Run ``calls`` (login, lead id) in threads released together; return the
    outcome of each, in order: True, or the xmlrpc Fault."""
    clients = [server.login(login, login) for login, _lead in calls]
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index):
        barrier.wait()
        try:
            outcomes[index] = clients[index].execute(
                "crm.lead", "action_claim", [calls[index][1]])
        except xmlrpc.client.Fault as fault:
            outcomes[index] = fault

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    return threads, outcomes


def join(threads):
    for thread in threads:
        thread.join(120)
        assert not thread.is_alive(), "an XML-RPC call never answered"


def serialization_retries(server):
    try:
        return server.log_path.read_text(errors="replace").count("SERIALIZATION_FAILURE, retry")
    except OSError:
        return 0


def test_two_reps_claiming_the_same_lead_at_the_same_instant(odoo_server, pool):
    rep_a = make_rep(odoo_server, pool["team_id"])
    rep_b = make_rep(odoo_server, pool["team_id"])
    [lead_id] = pool_leads(odoo_server, pool, 1)
    retries_before = serialization_retries(odoo_server)
    with holding_lock(odoo_server, "SELECT id FROM crm_lead WHERE id = %s FOR UPDATE",
                      (lead_id,)):
        threads, outcomes = claim_at_once(
            odoo_server, [(rep_a["login"], lead_id), (rep_b["login"], lead_id)])
        wait_for_lock_waiters(odoo_server, 2)
    join(threads)

    winners = [index for index, outcome in enumerate(outcomes) if outcome is True]
    assert len(winners) == 1, outcomes
    winner = (rep_a, rep_b)[winners[0]]
    loser = outcomes[1 - winners[0]]
    assert isinstance(loser, xmlrpc.client.Fault), loser
    assert loser.faultCode == WARNING_FAULT, loser.faultString
    assert "was already taken by %s" % winner["name"] in loser.faultString
    assert odoo_server.sql("SELECT user_id FROM crm_lead WHERE id = %s",
                           (lead_id,)) == [(winner["id"],)]
    assert odoo_server.sql("""
        SELECT user_id FROM sales_allocation_log WHERE lead_id = %s AND event = 'claimed'
    """, (lead_id,)) == [(winner["id"],)]
    # The loser really collided and was retried by the server, not refused up front.
    assert serialization_retries(odoo_server) > retries_before


def test_ten_claims_at_once_with_a_daily_limit_of_three(odoo_server, pool):
    rep = make_rep(odoo_server, pool["team_id"])
    lead_ids = pool_leads(odoo_server, pool, 10)
    # The rep's claim lock row exists (as after his first claim ever); hold it so that
    # the server's workers pile up on it, then let them all go at once.
    odoo_server.sql("""
        INSERT INTO sales_allocation_pool_claim_lock (user_id, claimed_at)
        VALUES (%s, now() AT TIME ZONE 'UTC') ON CONFLICT (user_id) DO NOTHING
    """, (rep["id"],))
    with holding_lock(odoo_server, """
            SELECT user_id FROM sales_allocation_pool_claim_lock WHERE user_id = %s
               FOR UPDATE""", (rep["id"],)):
        threads, outcomes = claim_at_once(
            odoo_server, [(rep["login"], lead_id) for lead_id in lead_ids])
        wait_for_lock_waiters(odoo_server, 2)
    join(threads)

    succeeded = [outcome for outcome in outcomes if outcome is True]
    refused = [outcome for outcome in outcomes if outcome is not True]
    assert len(succeeded) == 3, outcomes
    for fault in refused:
        assert isinstance(fault, xmlrpc.client.Fault), fault
        assert fault.faultCode == WARNING_FAULT, fault.faultString
        assert "Daily limit reached" in fault.faultString
        assert "3 of the 3" in fault.faultString
    owned = odoo_server.sql("SELECT count(*) FROM crm_lead WHERE id IN %s AND user_id = %s",
                            (tuple(lead_ids), rep["id"]))
    assert owned == [(3,)]
    logged = odoo_server.sql("""
        SELECT count(*) FROM sales_allocation_log WHERE event = 'claimed' AND user_id = %s
    """, (rep["id"],))
    assert logged == [(3,)]


def test_claim_work_release_and_cooldown_over_rpc(odoo_server, pool):
    rep = make_rep(odoo_server, pool["team_id"])
    outsider = make_rep(odoo_server, odoo_server.execute(
        "crm.team", "create", {"name": unique("other-team")}))
    [lead_id] = pool_leads(odoo_server, pool, 1)
    as_rep = odoo_server.login(rep["login"], rep["login"])
    # Reps see the claimable leads of their pools.
    claimable = as_rep.execute("crm.lead", "search", [
        ("pool_id", "=", pool["id"]), ("user_id", "=", False)])
    assert lead_id in claimable

    with pytest.raises(xmlrpc.client.Fault) as refused:
        odoo_server.login(outsider["login"], outsider["login"]).execute(
            "crm.lead", "action_claim", [lead_id])
    assert refused.value.faultCode == WARNING_FAULT
    assert "may not claim from pool" in refused.value.faultString

    assert as_rep.execute("crm.lead", "action_claim", [lead_id]) is True
    [lead] = as_rep.execute("crm.lead", "read", [lead_id],
                            ["user_id", "owner_activity_date", "reclaim_deadline"])
    assert lead["user_id"][0] == rep["id"]
    assert lead["owner_activity_date"] and lead["reclaim_deadline"]
    # Working it (a note) restarts the idle clock.
    time.sleep(1.1)
    as_rep.execute("crm.lead", "message_post", [lead_id], body="Called the buyer",
                   message_type="comment", subtype="mail.mt_note")
    [worked] = as_rep.execute("crm.lead", "read", [lead_id],
                              ["owner_activity_date", "reclaim_deadline"])
    assert worked["owner_activity_date"] > lead["owner_activity_date"]
    assert worked["reclaim_deadline"] > lead["reclaim_deadline"]

    assert as_rep.execute("crm.lead", "action_release", [lead_id]) is True
    assert odoo_server.sql("SELECT user_id FROM crm_lead WHERE id = %s",
                           (lead_id,)) == [(None,)]
    with pytest.raises(xmlrpc.client.Fault) as cooling:
        as_rep.execute("crm.lead", "action_claim", [lead_id])
    assert cooling.value.faultCode == WARNING_FAULT
    assert "cooldown of 1 days" in cooling.value.faultString


def test_two_reclaim_runs_at_once_do_not_double(odoo_server, pool):
    rep = make_rep(odoo_server, pool["team_id"])
    lead_ids = pool_leads(odoo_server, pool, 30)
    # Assigned by a manager (no daily limit), then neglected for four days.
    odoo_server.execute("sales.allocation.pool.assign", "action_assign", [
        odoo_server.execute("sales.allocation.pool.assign", "create", {
            "user_id": rep["id"], "lead_ids": [(6, 0, lead_ids)]})])
    past = (datetime.utcnow() - timedelta(days=4)).strftime("%Y-%m-%d %H:%M:%S")
    odoo_server.execute("crm.lead", "write", lead_ids,
                        {"owner_activity_date": past, "date_open": past})

    outcomes = [None, None]
    clients = [odoo_server.admin(), odoo_server.admin()]
    barrier = threading.Barrier(2)

    def run(index):
        barrier.wait()
        outcomes[index] = clients[index].execute(
            "sales.allocation.pool", "action_reclaim_now", [pool["id"]])

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    join(threads)

    assert all(isinstance(outcome, dict) for outcome in outcomes), outcomes
    assert sum(outcome["reclaimed"] for outcome in outcomes) == 30, outcomes
    per_lead = odoo_server.sql("""
        SELECT lead_id, count(*) FROM sales_allocation_log
         WHERE lead_id IN %s AND event = 'reclaimed' GROUP BY lead_id
    """, (tuple(lead_ids),))
    assert sorted(per_lead) == [(lead_id, 1) for lead_id in sorted(lead_ids)]
    assert odoo_server.sql("SELECT count(*) FROM crm_lead WHERE id IN %s AND user_id IS NULL",
                           (tuple(lead_ids),)) == [(30,)]
    # And a third run right after changes nothing.
    again = odoo_server.execute("sales.allocation.pool", "action_reclaim_now", [pool["id"]])
    assert (again["reclaimed"], again["warned"]) == (0, 0)
