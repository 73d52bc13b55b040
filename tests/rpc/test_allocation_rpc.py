"""Allocation of leads created and re-allocated over XML-RPC against a real server.

The database is shared with the other RPC tests and is not rolled back, so this
module makes its own reps, queue, API user and a rule that only its own leads match
(a tag of its own, a sequence before any other rule), under names unique to the run.
"""
import threading
import uuid
import xmlrpc.client
from collections import Counter

import pytest

RUN = uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def setup(odoo_server):
    ex = odoo_server.execute
    salesman = ex("ir.model.data", "xmlid_to_res_id", "sales_team.group_sale_salesman")
    all_leads = ex("ir.model.data", "xmlid_to_res_id",
                   "sales_team.group_sale_salesman_all_leads")
    employee = ex("ir.model.data", "xmlid_to_res_id", "base.group_user")
    ctx = {"context": {"no_reset_password": True}}
    reps = [
        ex("res.users", "create", {
            "name": "RPC rep %s %s" % (letter, RUN), "login": "rpc_%s_%s" % (letter, RUN),
            "email": "rpc_%s_%s@example.com" % (letter, RUN),
            "groups_id": [(6, 0, [employee, salesman])]}, **ctx)
        for letter in "ab"
    ]
    api_password = "api-%s" % RUN
    api_login = "rpc_api_%s" % RUN
    api_uid = ex("res.users", "create", {
        "name": "RPC integration %s" % RUN, "login": api_login, "password": api_password,
        "email": "%s@example.com" % api_login,
        "groups_id": [(6, 0, [employee, all_leads])]}, **ctx)
    tag = ex("crm.lead.tag", "create", {"name": "rpc-%s" % RUN})
    team = ex("crm.team", "create", {"name": "RPC team %s" % RUN, "use_leads": True})
    queue = ex("sales.allocation.queue", "create", {
        "name": "RPC queue %s" % RUN, "strategy": "sequential", "team_id": team,
        "member_ids": [(0, 0, {"user_id": rep, "sequence": index})
                       for index, rep in enumerate(reps)]})
    rule = ex("sales.allocation.rule", "create", {
        "name": "RPC rule %s" % RUN, "sequence": -1000000, "target_type": "queue",
        "queue_id": queue, "tag_ids": [(6, 0, [tag])]})
    return {
        "reps": reps, "tag": tag, "team": team, "queue": queue, "rule": rule,
        "api": odoo_server.login(api_login, api_password), "api_uid": api_uid,
    }


def _lead_vals(setup, name, **vals):
    return dict(vals, name="%s %s" % (name, RUN), tag_ids=[(6, 0, [setup["tag"]])])


def _reset_rotation(odoo_server, setup):
    assert odoo_server.execute("sales.allocation.queue", "action_reset_rotation",
                               [setup["queue"]]) is True


def _owners(odoo_server, lead_ids):
    rows = odoo_server.execute("crm.lead", "read", lead_ids, ["user_id"])
    by_id = {row["id"]: row["user_id"] and row["user_id"][0] for row in rows}
    return [by_id[lead_id] for lead_id in lead_ids]


def test_created_leads_are_allocated_by_the_rules(odoo_server, setup):
    _reset_rotation(odoo_server, setup)
    api = setup["api"]
    lead_ids = [api.execute("crm.lead", "create", _lead_vals(setup, "RPC lead %d" % n))
                for n in range(4)]
    rep_a, rep_b = setup["reps"]
    owners = _owners(odoo_server, lead_ids)
    assert owners == [rep_a, rep_b, rep_a, rep_b]
    assert setup["api_uid"] not in owners
    # The API user reads what allocation wrote, over RPC.
    leads = api.execute("crm.lead", "read", lead_ids, [
        "allocation_rule_id", "allocation_date", "allocation_state", "allocation_reason",
        "team_id"])
    for lead in leads:
        assert lead["allocation_rule_id"][0] == setup["rule"]
        assert lead["allocation_date"]
        assert lead["allocation_state"] == "allocated"
        assert lead["team_id"][0] == setup["team"]
        assert "RPC rule %s" % RUN in lead["allocation_reason"]
    logs = api.execute("sales.allocation.log", "search_read",
                       [("lead_id", "in", lead_ids)],
                       ["lead_id", "event", "user_id", "rule_id", "queue_id", "author_id",
                        "reason"])
    assert len(logs) == 4
    by_lead = {log["lead_id"][0]: log for log in logs}
    for lead_id, owner in zip(lead_ids, owners):
        log = by_lead[lead_id]
        assert log["event"] == "assigned"
        assert log["user_id"][0] == owner
        assert log["rule_id"][0] == setup["rule"]
        assert log["queue_id"][0] == setup["queue"]
        assert log["author_id"][0] == setup["api_uid"]
        assert "chose RPC rep" in log["reason"]


def test_explicit_salesperson_over_rpc_is_kept(odoo_server, setup):
    rep_b = setup["reps"][1]
    lead_id = setup["api"].execute(
        "crm.lead", "create", _lead_vals(setup, "RPC for B", user_id=rep_b))
    [lead] = odoo_server.execute("crm.lead", "read", [lead_id],
                                 ["user_id", "allocation_state", "allocation_rule_id"])
    assert lead["user_id"][0] == rep_b
    assert lead["allocation_state"] == "manual"
    assert lead["allocation_rule_id"] is False
    logs = odoo_server.execute("sales.allocation.log", "search_read",
                               [("lead_id", "=", lead_id)], ["event", "user_id"])
    assert [(log["event"], log["user_id"][0]) for log in logs] == [("manual", rep_b)]


def test_action_allocate_over_rpc_returns_true(odoo_server, setup):
    rep_a, rep_b = setup["reps"]
    # Leads that arrive with an owner by hand, then are re-run through the rules.
    lead_ids = [odoo_server.execute("crm.lead", "create",
                                    _lead_vals(setup, "RPC rerun %d" % n, user_id=rep_b))
                for n in range(4)]
    _reset_rotation(odoo_server, setup)
    result = odoo_server.execute("crm.lead", "action_allocate", lead_ids)
    assert result is True
    assert _owners(odoo_server, lead_ids) == [rep_a, rep_b, rep_a, rep_b]
    logs = odoo_server.execute(
        "sales.allocation.log", "search_read",
        [("lead_id", "in", lead_ids), ("event", "in", ["assigned", "reassigned"])],
        ["event", "previous_user_id"])
    assert sorted(log["event"] for log in logs) == ["assigned"] * 2 + ["reassigned"] * 2
    assert {log["previous_user_id"][0] for log in logs} == {rep_b}


def test_malformed_calls_fault_clearly_and_the_server_keeps_serving(odoo_server, setup):
    ex = odoo_server.execute
    with pytest.raises(xmlrpc.client.Fault) as caught:
        ex("sales.allocation.rule", "write", [setup["rule"]],
           {"domain": "[('no_such_field', '=', 1)]"})
    assert 'The condition of rule "RPC rule %s" is not valid' % RUN in caught.value.faultString
    assert "no_such_field" in caught.value.faultString
    [rule] = ex("sales.allocation.rule", "read", [setup["rule"]], ["domain"])
    assert "no_such_field" not in (rule["domain"] or "")

    with pytest.raises(xmlrpc.client.Fault) as caught:
        ex("sales.allocation.rule", "create",
           {"name": "RPC no queue %s" % RUN, "target_type": "queue"})
    assert "choose the queue" in caught.value.faultString

    missing = [2000000000, 2000000001]
    with pytest.raises(xmlrpc.client.Fault) as caught:
        ex("crm.lead", "action_allocate", missing)
    assert "2000000000" in caught.value.faultString
    assert "do not exist" in caught.value.faultString

    # Still serving, and still allocating.
    assert odoo_server.common.version()["server_version_info"][:2] == [11, 0]
    lead_id = setup["api"].execute("crm.lead", "create", _lead_vals(setup, "RPC after"))
    assert _owners(odoo_server, [lead_id])[0] in setup["reps"]


def test_concurrent_creates_keep_the_rotation_exact(odoo_server, setup):
    """Two clients create leads at once on a prefork server: every turn is taken once,
    in the order the rotation was locked. The log rows are written afterwards by each
    create's own transaction (their ids may interleave); the turn order is the one the
    side transactions recorded, under the lock, with each create's transaction id."""
    _reset_rotation(odoo_server, setup)
    per_thread = 8
    created, errors = [], []

    def work(index):
        try:
            client = odoo_server.admin()
            for n in range(per_thread):
                created.append(client.execute(
                    "crm.lead", "create", _lead_vals(setup, "RPC race %d-%d" % (index, n))))
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert len(created) == 2 * per_thread
    rep_a, rep_b = setup["reps"]
    owners = _owners(odoo_server, created)
    assert Counter(owners) == {rep_a: per_thread, rep_b: per_thread}
    rows = odoo_server.sql(
        "SELECT user_id FROM sales_allocation_log WHERE lead_id IN %s AND event = 'assigned'",
        [tuple(created)])
    assert Counter(row[0] for row in rows) == {rep_a: per_thread, rep_b: per_thread}
    # Each create is one transaction giving one lead: its reservation row is its turn.
    turns = odoo_server.sql(
        "SELECT r.user_id, l.user_id FROM sales_allocation_reservation r"
        "  JOIN crm_lead l ON l.xmin::text::bigint = r.xid %% 4294967296"
        " WHERE l.id IN %s ORDER BY r.turn", [tuple(created)])
    assert len(turns) == 2 * per_thread
    assert all(given == owner for given, owner in turns), turns
    assert [given for given, _owner in turns] == [rep_a, rep_b] * per_thread
