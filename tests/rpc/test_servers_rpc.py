"""Two Odoo servers on one database (issue 11): two processes on their own ports,
prefork with 2 workers each and no cron thread, both serving SA_RPC_DB (the session's
server, if the session started one, is a third process on it and stays out of these
calls). Rotation turns and claim limits live in the database, so they must hold
across processes exactly as within one.

- Intake: 16 client threads, 8 per server, each its own connection and salesman
  login, create 20 leads each through one sequential queue of 4 reps: not one failed
  call, exactly 80 leads per rep, one 'assigned' log row per lead.
- Claims: 16 reps claim from one pool through both servers, alternating server on
  every try (3 of 5 tries on the same 5 leads): refusals are UserErrors (taken, daily
  limit), never faults; no lead with two owners; the daily limit (2) holds per rep
  across the two servers.

Bounds as in test_intake_load_rpc.py: fixed call counts, a deadline per run
(SA_RPC_LOAD_DEADLINE, default 480 s), a failure budget, a connection gate per server.
"""
import os
import random

import pytest

from conftest import rpc_database
from rpc_helpers import (
    GatedClient, LoadControl, check_claims, check_intake, claim_plan, claim_worker,
    connection_gate, format_failures, intake_state, intake_worker, latency_summary,
    make_queue, make_tag, make_users, merge_worker_results, refusal_counts, run_bounded,
    strict_client, unique)

WORKERS = 2
THREADS = 16
PER_THREAD = 20
REPS = 4
DEADLINE = float(os.environ.get("SA_RPC_LOAD_DEADLINE", "480"))
MAX_FAILURES = 100
JOIN_GRACE = 240.0

CLAIM_REPS = 16
HOT_LEADS = 5
DAILY_LIMIT = 2


def report(capsys, text):
    with capsys.disabled():
        print("\n[servers] " + text)


@pytest.fixture(scope="module")
def servers(extra_odoo_server):
    db = rpc_database()
    return [extra_odoo_server(db, workers=WORKERS, name="twin-%s" % name,
                              extra_args=["--max-cron-threads=0"])
            for name in ("a", "b")]


@pytest.fixture(scope="module")
def admin(servers):
    return strict_client(servers[0])


def first_rule_sequence(server):
    """A sequence before every rule of the database (the tests of other modules
    leave rules of their own)."""
    [(lowest,)] = server.sql("SELECT COALESCE(min(sequence), 0) FROM sales_allocation_rule")
    return lowest - 1000


def test_intake_through_two_servers(servers, admin, capsys):
    server = servers[0]
    tag = make_tag(admin, "twin")
    reps = make_users(server, admin, "twin-rep", REPS)
    queue = make_queue(admin, "twin queue", [rep.id for rep in reps])
    rule = admin.execute("sales.allocation.rule", "create", {
        "name": unique("twin rule"), "sequence": first_rule_sequence(server),
        "trigger": "create", "tag_ids": [(6, 0, [tag])], "target_type": "queue",
        "queue_id": queue})
    try:
        creators = make_users(server, admin, "twin-intake", THREADS)
        gates = {srv.url: connection_gate(srv) for srv in servers}
        apis = []
        for index, user in enumerate(creators):
            srv = servers[index % len(servers)]
            apis.append(GatedClient(strict_client(srv, user.login, user.password),
                                    gates[srv.url]))
        vals = {"name": unique("twin"), "tag_ids": [(6, 0, [tag])]}
        control = LoadControl(DEADLINE, MAX_FAILURES)
        outcomes, seconds = run_bounded(
            intake_worker, [([api], user.login, PER_THREAD, vals)
                            for api, user in zip(apis, creators)], control, JOIN_GRACE)
    finally:
        admin.execute("sales.allocation.rule", "write", [rule], {"active": False})
    merged = merge_worker_results(outcomes, keys=("ids", "latencies"))
    created = len(merged["ids"])
    total = THREADS * PER_THREAD
    expected = {rep.id: total // REPS for rep in reps}
    report(capsys, "intake: %d threads x %d creates over 2 servers x %d workers: %d created, "
           "%d failed, %d not started in %.1f s = %.1f creates/s; %s%s"
           % (THREADS, PER_THREAD, WORKERS, created, len(merged["failed"]),
              merged["skipped"], seconds, created / seconds if seconds else 0,
              latency_summary(merged["latencies"]),
              "; stopped by " + control.stopped_by if control.stopped_by else ""))
    if merged["failed"] or merged["skipped"]:
        state = intake_state(server, tag, rule, expected)
        assert not merged["failed"], format_failures(merged["failed"]) + "\n" + state
        assert merged["skipped"] == 0, "%d creates not started: stopped by %s; %s" % (
            merged["skipped"], control.stopped_by, state)
    per_rep = check_intake(server, tag, merged["ids"], total, rule)
    assert dict(per_rep) == expected, "leads per rep %s, expected %s" % (
        dict(per_rep), expected)


def test_claims_through_two_servers(servers, admin, capsys):
    server = servers[0]
    team = admin.execute("crm.team", "create", {"name": unique("twin team")})
    reps = make_users(server, admin, "twin-claimer", CLAIM_REPS, team_id=team)
    pool = admin.execute("sales.allocation.pool", "create", {
        "name": unique("twin pool"), "team_id": team, "max_claims_per_day": DAILY_LIMIT,
        "max_open_leads": 0, "idle_days": 0, "max_hold_days": 0, "warn_days": 0,
        "cooldown_days": 0})
    lead_ids = [admin.execute("crm.lead", "create", {
        "name": unique("twin pool lead"), "pool_id": pool},
        context={"tracking_disable": True})
        for _index in range(HOT_LEADS + 2 * CLAIM_REPS)]
    hot, cold = lead_ids[:HOT_LEADS], lead_ids[HOT_LEADS:]
    plans = [claim_plan(random.Random(2200 + index), hot, cold[2 * index:2 * index + 2])
             for index in range(CLAIM_REPS)]
    gates = {srv.url: connection_gate(srv) for srv in servers}
    # Each rep: one connection per server; tries alternate, starting on either one.
    apis = [[GatedClient(strict_client(srv, rep.login, rep.password), gates[srv.url])
             for srv in (servers if index % 2 == 0 else servers[::-1])]
            for index, rep in enumerate(reps)]
    control = LoadControl(DEADLINE, MAX_FAILURES)
    outcomes, seconds = run_bounded(
        claim_worker, [(rep_apis, rep.login, plan)
                       for rep_apis, rep, plan in zip(apis, reps, plans)],
        control, JOIN_GRACE)
    merged = merge_worker_results(outcomes, keys=("claimed", "refused"))
    report(capsys, "claims: %d reps x 5 tries over 2 servers x %d workers: %d claimed, "
           "%d refused %s, %d failed, %d not started in %.1f s%s"
           % (CLAIM_REPS, WORKERS, len(merged["claimed"]), len(merged["refused"]),
              refusal_counts(merged["refused"]), len(merged["failed"]),
              merged["skipped"], seconds,
              "; stopped by " + control.stopped_by if control.stopped_by else ""))
    assert not merged["failed"], format_failures(merged["failed"])
    assert merged["skipped"] == 0, "%d claims not started: stopped by %s" % (
        merged["skipped"], control.stopped_by)
    results = {rep.id: result for rep, (result, _error) in zip(reps, outcomes)}
    check_claims(server, lead_ids, reps, results, DAILY_LIMIT)
    refusals = refusal_counts(merged["refused"])
    assert refusals.get("was already taken by") and refusals.get("Daily limit reached"), \
        refusals
