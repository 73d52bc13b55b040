"""Ownership changes under Odoo's prefork server, at the same time, and across a crash.

Every call goes through sales_allocation_client, one client per thread. The server is
the session's (`--workers=2` by default, SA_RPC_WORKERS); the crash tests start servers
of their own on the same database and SIGKILL them mid-run.
"""
import json
import os
import random
import re
import signal
import threading
from collections import Counter, defaultdict

import pytest

from conftest import OdooServer
from rpc_helpers import (
    client, insert_backlog, insert_due_pool_leads, make_queue, make_rule, make_tag,
    make_user, replay_claims, run_cli, run_threads, unique, wait_until, xmlid)
from sales_allocation_client import OdooError, TransportError


@pytest.fixture(scope="module")
def quiet_crons(odoo_server):
    """Keep the server's cron thread off the module's crons while these tests count
    what runs did: postpone them a day (the UPDATE waits for a run in progress, which
    holds the cron row locked), and put them back after."""
    rows = odoo_server.sql("""
        WITH old AS (
            SELECT c.id, c.nextcall FROM ir_cron c
              JOIN ir_model_data d ON d.model = 'ir.cron' AND d.res_id = c.id
             WHERE d.module = 'sales_allocation'
               FOR UPDATE OF c
        )
        UPDATE ir_cron c SET nextcall = now() at time zone 'UTC' + interval '1 day'
          FROM old WHERE old.id = c.id
        RETURNING old.id, old.nextcall""")
    yield
    for cron_id, nextcall in rows:
        odoo_server.sql("UPDATE ir_cron SET nextcall = %s WHERE id = %s", (nextcall, cron_id))


@pytest.fixture(scope="module")
def crew(odoo_server, quiet_crons):
    """A team of six reps, an allocation manager, and a queue + rule of our own."""
    admin = client(odoo_server)
    team = admin.execute("crm.team", "create", {"name": unique("conc team")})
    reps = [make_user(odoo_server, admin, "conc-rep", team_id=team) for _index in range(6)]
    manager = make_user(odoo_server, admin, "conc-mgr",
                        groups=("sales_allocation.group_allocation_manager",))
    tag = make_tag(admin, "conc")
    queue = make_queue(admin, "conc queue", [rep.id for rep in reps[:3]])
    rule = make_rule(admin, "conc rule", tag, queue_id=queue, sequence=-500000)
    yield {"admin": admin, "team": team, "reps": reps, "manager": manager, "tag": tag,
           "queue": queue, "rule": rule, "server": odoo_server}
    admin.execute("sales.allocation.rule", "write", [rule], {"active": False})


def rotation_of(crew):
    return [rep.id for rep in crew["reps"][:3]]


def assigned_in_log_order(server, lead_ids):
    return server.sql("""
        SELECT lead_id, user_id FROM sales_allocation_log
         WHERE lead_id IN %s AND event IN ('assigned', 'reassigned') ORDER BY id
    """, (tuple(lead_ids),))


def assert_exact_rotation(users, members):
    """Each user is followed by the next member: no turn skipped or taken twice."""
    for before, after in zip(users, users[1:]):
        assert after == members[(members.index(before) + 1) % len(members)], users


# ---------------------------------------------------------------------- allocation

def test_allocation_runs_at_once_keep_the_rotation_exact(crew):
    server, manager = crew["server"], crew["manager"]
    manager_api = manager.client()
    assert manager_api.execute("sales.allocation.queue", "action_reset_rotation",
                               [crew["queue"]]) is True
    runs, per_run = 4, 150
    batches = [insert_backlog(server, per_run, crew["tag"], unique("run%d" % index))
               for index in range(runs)]

    def allocate(lead_ids):
        api = manager.client()
        return api.execute("crm.lead", "action_allocate", lead_ids), api.conflicts_retried

    outcomes = run_threads(allocate, [(batch,) for batch in batches])
    assert [error for _result, error in outcomes] == [None] * runs
    all_ids = [lead_id for batch in batches for lead_id in batch]
    rows = assigned_in_log_order(server, all_ids)
    assert Counter(lead_id for lead_id, _user in rows) == Counter(all_ids)  # once each
    members = rotation_of(crew)
    users = [user for _lead, user in rows]
    assert Counter(users) == {member: runs * per_run // 3 for member in members}
    # The runs did not interleave: each run took its turns in one go, a block of
    # consecutive turns. Its log rows may interleave with another run's (a run
    # releases the rotation as soon as it has decided, before it writes), so each
    # run's block is read in its own log order; a run of 150 leads through 3 members
    # ends where it began, so every block starts with the first member, after the
    # reset, and the last one ends with the last member.
    assert per_run % len(members) == 0
    for batch in batches:
        block = [user for _lead, user in assigned_in_log_order(server, batch)]
        assert len(block) == per_run
        assert block[0] == members[0], block
        assert_exact_rotation(block, members)
    owners = dict(server.sql("SELECT id, user_id FROM crm_lead WHERE id IN %s",
                             (tuple(all_ids),)))
    assert owners == dict(rows)
    [(last_user,)] = server.sql(
        "SELECT last_user_id FROM sales_allocation_rotation WHERE queue_id = %s",
        (crew["queue"],))
    assert last_user == members[-1]


def test_rotation_reset_during_allocation_runs(crew):
    """Resetting the rotation while runs go on: every call succeeds, and within each
    run the turns are exact (a reset lands between runs, never inside one)."""
    server, manager = crew["server"], crew["manager"]
    batches = [insert_backlog(server, 30, crew["tag"], unique("reset%d" % index))
               for index in range(6)]

    def allocate(lead_ids):
        return manager.client().execute("crm.lead", "action_allocate", lead_ids)

    def reset(times):
        api = manager.client()
        return [api.execute("sales.allocation.queue", "action_reset_rotation",
                            [crew["queue"]]) for _index in range(times)]

    outcomes = run_threads(lambda kind, arg: allocate(arg) if kind == "run" else reset(arg),
                           [("run", batch) for batch in batches] + [("reset", 4)])
    assert [error for _result, error in outcomes] == [None] * 7
    assert outcomes[-1][0] == [True] * 4
    members = rotation_of(crew)
    for batch in batches:
        rows = assigned_in_log_order(server, batch)
        assert sorted(lead for lead, _user in rows) == sorted(batch)
        assert_exact_rotation([user for _lead, user in rows], members)


def test_backlog_cron_retries_a_transaction_conflict(crew):
    """The backlog run meets a conflict on a lead (another transaction changed it
    after the run's snapshot): it rolls back, retries in a new transaction, and
    succeeds; no error is logged. (The queue's rotation cannot conflict any more: its
    turns are taken in short READ COMMITTED transactions of their own.)"""
    import psycopg2

    server, admin = crew["server"], crew["admin"]
    lead_ids = insert_backlog(server, 40, crew["tag"], unique("cron"))
    cron_id = xmlid(admin, "sales_allocation.ir_cron_allocate_backlog")
    log_start = os.path.getsize(str(server.log_path))
    conn = psycopg2.connect(dbname=server.db)
    try:
        cr = conn.cursor()
        cr.execute("UPDATE crm_lead SET description = 'edited meanwhile' WHERE id = %s",
                   (lead_ids[-1],))
        result = {}

        def trigger():
            try:
                result["value"] = client(server).execute("ir.cron", "method_direct_trigger",
                                                         [cron_id])
            except Exception as error:  # checked below
                result["error"] = error

        thread = threading.Thread(target=trigger, daemon=True)
        thread.start()
        # The run reaches the lead and waits on our lock...
        waiting = """
            SELECT count(*) FROM pg_stat_activity
             WHERE datname = %s AND wait_event_type = 'Lock'"""
        wait_until(lambda: server.sql(waiting, (server.db,))[0][0],
                   what="the backlog run to wait for the lead")
        # ...then we commit a change to it: the run's snapshot is now stale.
        conn.commit()
        thread.join(120)
        assert not thread.is_alive()
    finally:
        conn.close()
    assert result.get("error") is None, result
    assert result["value"] is True
    with open(str(server.log_path), "rb") as log:
        log.seek(log_start)
        text = log.read().decode("utf-8", "replace")
    assert re.search(r"_cron_allocate_backlog: transaction conflict \(40001\), rolled back; "
                     r"attempt 2/4", text), text[-3000:]
    assert "Traceback" not in text
    states = Counter(row[0] for row in server.sql(
        "SELECT allocation_state FROM crm_lead WHERE id IN %s", (tuple(lead_ids),)))
    assert states == {"allocated": len(lead_ids)}
    rows = assigned_in_log_order(server, lead_ids)
    assert Counter(lead for lead, _user in rows) == Counter(lead_ids)


# ---------------------------------------------------------------------- claims

replay_ownership = replay_claims


def test_stress_many_reps_claiming_a_shared_set(crew):
    """Twelve reps claim from a shared set of pool leads at once, through the client:
    ten through the library (releasing when they hold the maximum), two through the
    command line. Afterwards: no lead ever had two owners, no limit was exceeded, every
    successful claim is logged exactly once."""
    server, admin = crew["server"], crew["admin"]
    reps = crew["reps"] + [make_user(server, admin, "stress-rep", team_id=crew["team"])
                           for _index in range(6)]
    max_per_day, max_open = 6, 3
    pool = admin.execute("sales.allocation.pool", "create", {
        "name": unique("stress pool"), "team_id": crew["team"],
        "max_claims_per_day": max_per_day, "max_open_leads": max_open, "idle_days": 0,
        "max_hold_days": 0, "warn_days": 0, "cooldown_days": 0})
    lead_ids = [admin.execute("crm.lead", "create", {"name": unique("shared"), "pool_id": pool},
                              context={"tracking_disable": True}) for _index in range(30)]
    attempts = 12

    def library(rep, rng):
        api = rep.client()
        claimed, refused, released, errors = [], [], [], []
        for _attempt in range(attempts):
            lead_id = rng.choice(lead_ids)
            try:
                assert api.execute("crm.lead", "action_claim", [lead_id]) is True
                claimed.append(lead_id)
            except OdooError as error:
                if error.kind != "UserError":
                    errors.append(error)
                refused.append(error.message)
                if "may hold %d at once" % max_open in error.message:
                    held = api.execute("crm.lead", "search", [
                        ("pool_id", "=", pool), ("user_id", "=", rep.id)])
                    api.execute("crm.lead", "action_release", [held[0]])
                    released.append(held[0])
        return {"claimed": claimed, "refused": refused, "released": released,
                "errors": errors}

    def command_line(rep, rng):
        proc = run_cli(server, "--json", "claim", *[str(lead_id) for lead_id in
                                                    rng.sample(lead_ids, attempts)],
                       login=rep.login, password=rep.password)
        assert proc.returncode in (0, 1, 3), proc.stderr
        data = json.loads(proc.stdout)
        return {"claimed": data["claimed"], "released": [],
                "refused": [item["message"] for item in data["refused"]],
                "errors": [item for item in data["refused"] if item["kind"] != "UserError"]}

    def work(rep, index):
        rng = random.Random(index)
        return (command_line if index >= len(reps) - 2 else library)(rep, rng)

    outcomes = run_threads(work, [(rep, index) for index, rep in enumerate(reps)])
    assert [error for _result, error in outcomes] == [None] * len(reps)
    results = {rep.id: result for rep, (result, _error) in zip(reps, outcomes)}
    assert all(not result["errors"] for result in results.values()), results
    total = sum(len(result["claimed"]) for result in results.values())
    assert total >= len(reps)  # contention, not starvation
    rows = server.sql("""
        SELECT lead_id, event, user_id, previous_user_id FROM sales_allocation_log
         WHERE lead_id IN %s AND event IN ('claimed', 'released', 'reclaimed')
         ORDER BY id""", (tuple(lead_ids),))
    final = replay_ownership(rows)
    owners = dict(server.sql("SELECT id, user_id FROM crm_lead WHERE id IN %s",
                             (tuple(lead_ids),)))
    assert {lead: owner for lead, owner in owners.items() if owner} == \
        {lead: owner for lead, owner in final.items() if owner}
    # Every successful claim logged exactly once, and nothing else logged as claimed.
    logged = Counter((lead, user) for lead, event, user, _prev in rows if event == "claimed")
    made = Counter((lead, rep_id) for rep_id, result in results.items()
                   for lead in result["claimed"])
    assert logged == made
    released = Counter((lead, prev) for lead, event, _user, prev in rows if event == "released")
    assert released == Counter((lead, rep_id) for rep_id, result in results.items()
                               for lead in result["released"])
    # Limits: claims per day, and open leads held at any moment (replayed).
    for rep_id, result in results.items():
        assert len(result["claimed"]) <= max_per_day
    held = Counter()
    for lead_id, event, user_id, previous_id in rows:
        if event == "claimed":
            held[user_id] += 1
            assert held[user_id] <= max_open, (user_id, rows)
        else:
            held[previous_id] -= 1
    refusals = [message for result in results.values() for message in result["refused"]]
    assert any("already taken by" in message for message in refusals)
    assert any("Daily limit reached" in message or "may hold %d at once" % max_open in message
               for message in refusals)


def test_claims_against_a_running_reclaim(crew):
    """Reps claim leads that the reclaim run is taking back at that moment. Each lead
    ends either untouched (still its owner's, no log) or reclaimed exactly once, and
    then possibly claimed exactly once by someone else."""
    server, admin, reps, manager = crew["server"], crew["admin"], crew["reps"], crew["manager"]
    pool = admin.execute("sales.allocation.pool", "create", {
        "name": unique("reclaim pool"), "team_id": crew["team"], "max_claims_per_day": 0,
        "max_open_leads": 0, "idle_days": 1, "max_hold_days": 0, "warn_days": 0,
        "cooldown_days": 0})
    owners_before = insert_due_pool_leads(server, 3000, pool, [rep.id for rep in reps[:3]],
                                          unique("due"))
    lead_ids = sorted(owners_before)
    claimers = reps[3:]

    def reclaim():
        return manager.client().execute("sales.allocation.pool", "action_reclaim_now", [pool])

    def claim(rep, seed):
        rng = random.Random(seed)
        api = rep.client()
        claimed = []
        for _attempt in range(25):
            lead_id = rng.choice(lead_ids[-600:])  # the reclaim run reaches them last
            try:
                api.execute("crm.lead", "action_claim", [lead_id])
                claimed.append(lead_id)
            except OdooError as error:
                assert error.kind == "UserError", error.fault_string
        return claimed

    outcomes = run_threads(lambda kind, *args: reclaim() if kind == "reclaim" else claim(*args),
                           [("reclaim",)] + [("claim", rep, index)
                                             for index, rep in enumerate(claimers)])
    assert [error for _result, error in outcomes] == [None] * (1 + len(claimers))
    summary = outcomes[0][0]
    claims = Counter((lead, rep.id) for rep, (claimed, _e) in zip(claimers, outcomes[1:])
                     for lead in claimed)
    # A second run takes back what the first skipped (leads a claim held locked).
    second = client(server).execute("sales.allocation.pool", "action_reclaim_now", [pool])
    rows = server.sql("""
        SELECT lead_id, event, user_id, previous_user_id FROM sales_allocation_log
         WHERE lead_id IN %s ORDER BY id""", (tuple(lead_ids),))
    by_lead = defaultdict(list)
    for lead_id, event, user_id, previous_id in rows:
        by_lead[lead_id].append((event, user_id, previous_id))
    owners = dict(server.sql("SELECT id, user_id FROM crm_lead WHERE id IN %s",
                             (tuple(lead_ids),)))
    reclaimed = 0
    for lead_id in lead_ids:
        events = by_lead[lead_id]
        assert events[0] == ("reclaimed", None, owners_before[lead_id]), (lead_id, events)
        reclaimed += 1
        assert len(events) <= 2, (lead_id, events)
        if len(events) == 2:
            event, user_id, previous_id = events[1]
            assert event == "claimed" and previous_id is None
            assert owners[lead_id] == user_id and claims[(lead_id, user_id)] == 1
        else:
            assert owners[lead_id] is None
    assert summary["reclaimed"] + second["reclaimed"] == len(lead_ids) == reclaimed
    logged_claims = Counter((lead, events[1][1]) for lead, events in by_lead.items()
                            if len(events) == 2)
    assert logged_claims == claims
    # Idempotent: a third run changes nothing.
    third = client(server).execute("sales.allocation.pool", "action_reclaim_now", [pool])
    assert third["reclaimed"] == 0


# ---------------------------------------------------------------------- crashes

class SpareServer(OdooServer):
    """A second server on the session's database, with no cron thread and a log of its
    own, that a test may SIGKILL."""

    def __init__(self, db, name):
        super().__init__(db, workers=2, extra_args=["--max-cron-threads=0"])
        self.log_path = self.log_path.with_name("rpc-server-%s-%s.log" % (db, name))

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)


def backend_writing(server, table):
    """pid of a backend of the database holding a row-write lock on ``table``."""
    rows = server.sql("""
        SELECT l.pid FROM pg_locks l
          JOIN pg_class c ON c.oid = l.relation
          JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE c.relname = %s AND l.mode = 'RowExclusiveLock' AND l.granted
           AND a.datname = %s AND a.pid <> pg_backend_pid()
    """, (table, server.db))
    return rows[0][0] if rows else None


def kill_mid_run(server, name, model, method, ids, written_table):
    """Start ``model.method(ids)`` on a spare server, SIGKILL the server as soon as the run
    has written to ``written_table``, and wait until PostgreSQL has ended the orphaned
    transaction. Returns what the call got (an exception, normally)."""
    spare = SpareServer(server.db, name)
    spare.start()
    outcome = {}
    try:
        api = client(spare, retries=0)

        def call():
            try:
                outcome["result"] = api.execute(model, method, ids)
            except Exception as error:  # the connection dies with the server
                outcome["error"] = error

        thread = threading.Thread(target=call, daemon=True)
        thread.start()
        pid = wait_until(lambda: backend_writing(server, written_table) or
                         ("result" in outcome or "error" in outcome) and -1,
                         timeout=120, interval=0.01, what="the run to start writing")
        spare.kill()
        thread.join(60)
    finally:
        spare.stop()
    assert pid != -1 and "result" not in outcome, (
        "the run ended before the kill (%r): make the test's run bigger" % outcome)
    assert isinstance(outcome.get("error"), TransportError), outcome
    wait_until(lambda: not server.sql("SELECT 1 FROM pg_stat_activity WHERE pid = %s",
                                      (pid,)), timeout=120, what="the orphaned backend to end")
    return outcome


def run_on_restarted_server(server, name, model, method, ids):
    spare = SpareServer(server.db, name)
    spare.start()
    try:
        return client(spare).execute(model, method, ids)
    finally:
        spare.stop()


def set_param(admin, key, value):
    return admin.execute("ir.config_parameter", "set_param", key, value)


def test_killing_the_server_mid_backlog_loses_nothing(crew):
    server, admin = crew["server"], crew["admin"]
    lead_ids = insert_backlog(server, 10000, crew["tag"], unique("killed backlog"))
    cron_id = xmlid(admin, "sales_allocation.ir_cron_allocate_backlog")
    old_batch = admin.execute("ir.config_parameter", "get_param", "sales_allocation.batch_size")
    set_param(admin, "sales_allocation.batch_size", "1000")
    try:
        kill_mid_run(server, "backlog-1", "ir.cron", "method_direct_trigger", [cron_id],
                     "sales_allocation_log")

        def check():
            """Each lead untouched, or owned + allocated + exactly one matching log row."""
            rows = server.sql("""
                SELECT l.id, l.user_id, l.allocation_state,
                       array_agg(g.user_id ORDER BY g.id) FILTER (WHERE g.id IS NOT NULL)
                  FROM crm_lead l LEFT JOIN sales_allocation_log g ON g.lead_id = l.id
                 WHERE l.id IN %s GROUP BY l.id""", (tuple(lead_ids),))
            moved = 0
            for lead_id, user_id, state, logged in rows:
                if user_id is None:
                    assert state == "unallocated" and not logged, (lead_id, state, logged)
                else:
                    assert state == "allocated" and logged == [user_id], (lead_id, logged)
                    moved += 1
            assert len(rows) == len(lead_ids)
            return moved

        moved_before_restart = check()
        assert moved_before_restart < len(lead_ids)
        assert run_on_restarted_server(server, "backlog-2", "ir.cron", "method_direct_trigger",
                                       [cron_id]) is True
        assert check() == len(lead_ids)
        users = [user for _lead, user in assigned_in_log_order(server, lead_ids)]
        assert_exact_rotation(users, rotation_of(crew))
    finally:
        set_param(admin, "sales_allocation.batch_size", old_batch or "5000")


def test_killing_the_server_mid_reclaim_loses_nothing(crew):
    server, admin, reps = crew["server"], crew["admin"], crew["reps"]
    pool = admin.execute("sales.allocation.pool", "create", {
        "name": unique("killed pool"), "team_id": crew["team"], "max_claims_per_day": 0,
        "idle_days": 1, "max_hold_days": 0, "warn_days": 0, "cooldown_days": 0})
    owners_before = insert_due_pool_leads(server, 10000, pool, [rep.id for rep in reps],
                                          unique("killed reclaim"))
    lead_ids = tuple(owners_before)

    def check():
        """Each lead still its owner's with no log, or back in the pool with exactly one
        'reclaimed' row naming that owner."""
        rows = server.sql("""
            SELECT l.id, l.user_id, l.allocation_state,
                   array_agg(g.event || ':' || g.previous_user_id ORDER BY g.id)
                       FILTER (WHERE g.id IS NOT NULL)
              FROM crm_lead l LEFT JOIN sales_allocation_log g ON g.lead_id = l.id
             WHERE l.id IN %s GROUP BY l.id""", (lead_ids,))
        moved = 0
        for lead_id, user_id, state, logged in rows:
            if user_id is not None:
                assert user_id == owners_before[lead_id] and not logged, (lead_id, logged)
            else:
                assert state == "pool", (lead_id, state)
                assert logged == ["reclaimed:%d" % owners_before[lead_id]], (lead_id, logged)
                moved += 1
        assert len(rows) == len(lead_ids)
        return moved

    kill_mid_run(server, "reclaim-1", "sales.allocation.pool", "action_reclaim_now", [pool],
                 "sales_allocation_log")
    assert check() < len(lead_ids)
    # The session's server picks the work up (the backlog test restarts a server).
    summary = client(server).execute("sales.allocation.pool", "action_reclaim_now", [pool])
    assert check() == len(lead_ids)
    assert summary["reclaimed"] <= len(lead_ids)


def test_backlog_and_reclaim_crons_at_once(crew):
    """The two scheduled actions that hand out leads, started at the same moment (as two
    cron threads would), through the same queue: the backlog run and a reclaim that
    re-allocates. Both finish; every lead moved once and logged once."""
    server, admin, reps = crew["server"], crew["admin"], crew["reps"]
    pool = admin.execute("sales.allocation.pool", "create", {
        "name": unique("realloc pool"), "team_id": crew["team"], "max_claims_per_day": 0,
        "idle_days": 1, "max_hold_days": 0, "warn_days": 0, "cooldown_days": 0,
        "reclaim_action": "queue", "reclaim_queue_id": crew["queue"]})
    owners_before = insert_due_pool_leads(server, 1500, pool, [rep.id for rep in reps[3:]],
                                          unique("realloc"))
    backlog = insert_backlog(server, 1500, crew["tag"], unique("with reclaim"))
    crons = [xmlid(admin, "sales_allocation.ir_cron_allocate_backlog"),
             xmlid(admin, "sales_allocation.ir_cron_reclaim_pool_leads")]
    log_start = os.path.getsize(str(server.log_path))
    outcomes = run_threads(
        lambda cron_id: client(server).execute("ir.cron", "method_direct_trigger", [cron_id]),
        [(cron_id,) for cron_id in crons])
    assert outcomes == [(True, None), (True, None)]
    with open(str(server.log_path), "rb") as log:
        log.seek(log_start)
        assert b"Traceback" not in log.read()
    members = set(rotation_of(crew))
    rows = server.sql("""
        SELECT l.id, l.user_id, array_agg(g.event ORDER BY g.id),
               array_agg(g.user_id ORDER BY g.id)
          FROM crm_lead l JOIN sales_allocation_log g ON g.lead_id = l.id
         WHERE l.id IN %s GROUP BY l.id""", (tuple(list(owners_before) + backlog),))
    assert len(rows) == len(owners_before) + len(backlog)
    for lead_id, user_id, events, users in rows:
        assert user_id in members
        if lead_id in owners_before:
            assert events == ["reclaimed", "assigned"] and users == [None, user_id]
            assert user_id != owners_before[lead_id]
        else:
            assert events == ["assigned"] and users == [user_id]
