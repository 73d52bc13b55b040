"""Access rights, proved over XML-RPC by real users logged in to a running server.

Admin is Odoo 11's superuser (uid 1), who bypasses every rule: he only sets the scene.
The positive controls use an allocation manager, a real user like the salesmen.
"""
import pytest

from rpc_helpers import NO_MAIL, client, make_user, unique
from sales_allocation_client import OdooAccessError, OdooError, OdooUserError

POOL_OFF = {"max_claims_per_day": 0, "max_open_leads": 0, "idle_days": 0,
            "max_hold_days": 0, "warn_days": 0, "cooldown_days": 0}


@pytest.fixture(scope="module")
def world(odoo_server):
    """Two teams, three salesmen, an allocation manager, two pools and some leads.

    rep_a, rep_b: team 1, may claim from pool 1; rep_c: team 2, may claim from pool 2.
    """
    admin = client(odoo_server)
    team_1 = admin.execute("crm.team", "create", {"name": unique("access team 1")})
    team_2 = admin.execute("crm.team", "create", {"name": unique("access team 2")})
    rep_a = make_user(odoo_server, admin, "rep-a", team_id=team_1)
    rep_b = make_user(odoo_server, admin, "rep-b", team_id=team_1)
    rep_c = make_user(odoo_server, admin, "rep-c", team_id=team_2)
    manager = make_user(odoo_server, admin, "alloc-mgr",
                        groups=("sales_allocation.group_allocation_manager",))
    pool_1 = admin.execute("sales.allocation.pool", "create", dict(
        POOL_OFF, name=unique("access pool 1"), team_id=team_1))
    pool_2 = admin.execute("sales.allocation.pool", "create", dict(
        POOL_OFF, name=unique("access pool 2"), team_id=team_2))

    def lead(name, **vals):
        return admin.execute("crm.lead", "create", dict({"name": unique(name)}, **vals),
                             context=dict(NO_MAIL))

    leads = {
        "a": lead("lead of a", user_id=rep_a.id),
        "b": lead("lead of b", user_id=rep_b.id),
        "pool_1": lead("in pool 1", pool_id=pool_1),
        "pool_1_more": lead("in pool 1 too", pool_id=pool_1),
        "pool_2": lead("in pool 2", pool_id=pool_2),
    }
    # Nobody's and in no pool: the allocation rules must not place it.
    leads["free"] = admin.execute(
        "crm.lead", "create", {"name": unique("free lead"), "user_id": False},
        context=dict(NO_MAIL, sales_allocation_skip=True))
    return {"admin": admin, "server": odoo_server, "rep_a": rep_a, "rep_b": rep_b,
            "rep_c": rep_c, "manager": manager, "pool_1": pool_1, "pool_2": pool_2,
            "team_1": team_1, "leads": leads}


def owner(server, lead_id):
    return server.sql("SELECT user_id FROM crm_lead WHERE id = %s", (lead_id,))[0][0]


def test_rules_are_installed(world):
    """The crm rule really is narrowed (an install-time change of another module's
    noupdate record): without it the tests below would prove nothing."""
    [(domain,)] = world["server"].sql("""
        SELECT r.domain_force FROM ir_rule r
          JOIN ir_model_data d ON d.model = 'ir.rule' AND d.res_id = r.id
         WHERE d.module = 'crm' AND d.name = 'crm_rule_personal_lead'""")
    assert "pool_id" in domain


def test_salesman_sees_own_leads_and_his_pools_only(world):
    leads = world["leads"]
    all_ids = list(leads.values())
    seen_a = set(world["rep_a"].client().execute("crm.lead", "search", [("id", "in", all_ids)]))
    assert seen_a == {leads["a"], leads["pool_1"], leads["pool_1_more"], leads["free"]}
    seen_c = set(world["rep_c"].client().execute("crm.lead", "search", [("id", "in", all_ids)]))
    assert seen_c == {leads["pool_2"], leads["free"]}
    # The manager sees everything (the rule is not simply hiding all leads).
    seen_m = set(world["manager"].client().execute(
        "crm.lead", "search", [("id", "in", all_ids)]))
    assert seen_m == set(all_ids)


def test_salesman_cannot_read_another_reps_lead(world):
    rep_a = world["rep_a"].client()
    for key in ("b", "pool_2"):
        with pytest.raises(OdooAccessError) as caught:
            rep_a.execute("crm.lead", "read", [world["leads"][key]], ["name", "user_id"])
        assert "restriction" in caught.value.message or "not allowed" in caught.value.message
    # search_read and read_group do not leak it either.
    rows = rep_a.execute("crm.lead", "search_read", [("id", "=", world["leads"]["b"])],
                         fields=["name"])
    assert rows == []
    assert rep_a.execute("crm.lead", "read", [world["leads"]["a"]], ["name"])


def test_salesman_cannot_take_a_lead_by_writing_user_id(world):
    server, leads = world["server"], world["leads"]
    rep_a = world["rep_a"]
    api = rep_a.client()
    for key in ("pool_1", "free"):
        with pytest.raises(OdooAccessError, match="not yours"):
            api.execute("crm.lead", "write", [leads[key]], {"user_id": rep_a.id})
        assert owner(server, leads[key]) is None
    # Nor by sneaking in the context key that skips the allocation log.
    with pytest.raises(OdooAccessError, match="not yours"):
        api.execute("crm.lead", "write", [leads["pool_1"]], {"user_id": rep_a.id},
                    context={"sales_allocation_skip": True})
    # Nor give his own lead away, nor create one for someone else.
    with pytest.raises(OdooAccessError, match="cannot give the lead"):
        api.execute("crm.lead", "write", [leads["a"]], {"user_id": world["rep_b"].id})
    assert owner(server, leads["a"]) == rep_a.id
    with pytest.raises(OdooAccessError, match="only create leads for yourself"):
        api.execute("crm.lead", "create",
                    {"name": unique("for b"), "user_id": world["rep_b"].id})
    with pytest.raises(OdooAccessError, match="only create leads for yourself"):
        api.execute("crm.lead", "create", {"name": unique("for b")},
                    context={"default_user_id": world["rep_b"].id})
    # Creating for himself and editing his own lead still work.
    mine = api.execute("crm.lead", "create", {"name": unique("mine"), "user_id": rep_a.id})
    assert owner(server, mine) == rep_a.id
    assert api.execute("crm.lead", "write", [leads["a"]], {"description": "called"})
    # The manager may reassign (the check is not simply refusing everyone).
    manager = world["manager"].client()
    assert manager.execute("crm.lead", "write", [mine], {"user_id": world["rep_b"].id})
    assert owner(server, mine) == world["rep_b"].id


def test_salesman_cannot_set_the_allocation_fields(world):
    api = world["rep_a"].client()
    lead_a = world["leads"]["a"]
    for vals in ({"pool_id": world["pool_1"]}, {"allocation_state": "allocated"},
                 {"allocation_reason": "trust me"}, {"owner_activity_date": "2030-01-01 00:00:00"}):
        with pytest.raises(OdooAccessError, match="Only users who see all leads"):
            api.execute("crm.lead", "write", [lead_a], vals)
    [(pool_id, state)] = world["server"].sql(
        "SELECT pool_id, allocation_state FROM crm_lead WHERE id = %s", (lead_a,))
    assert pool_id is None and state == "manual"


def test_pool_leads_are_taken_by_claim_and_given_back_by_release(world):
    server, leads = world["server"], world["leads"]
    rep_a, rep_b = world["rep_a"], world["rep_b"]
    api_a = rep_a.client()
    lead_id = leads["pool_1_more"]
    assert api_a.execute("crm.lead", "action_claim", [lead_id]) is True
    assert owner(server, lead_id) == rep_a.id
    # Now it is rep_a's: rep_b, in the same pool, no longer sees it.
    assert rep_b.client().execute("crm.lead", "search", [("id", "=", lead_id)]) == []
    # Clearing the salesperson of a pool lead is not how it goes back.
    with pytest.raises(OdooAccessError, match="use Release"):
        api_a.execute("crm.lead", "write", [lead_id], {"user_id": False})
    assert owner(server, lead_id) == rep_a.id
    assert api_a.execute("crm.lead", "action_release", [lead_id]) is True
    assert owner(server, lead_id) is None
    events = [row[0] for row in server.sql(
        "SELECT event FROM sales_allocation_log WHERE lead_id = %s ORDER BY id", (lead_id,))]
    assert events[-2:] == ["claimed", "released"]


def test_salesman_cannot_see_or_claim_from_a_pool_he_is_not_in(world):
    server, leads = world["server"], world["leads"]
    api_a = world["rep_a"].client()
    pools = api_a.execute("sales.allocation.pool", "search",
                          [("id", "in", [world["pool_1"], world["pool_2"]])])
    assert pools == [world["pool_1"]]
    with pytest.raises(OdooAccessError):
        api_a.execute("sales.allocation.pool", "read", [world["pool_2"]], ["name"])
    with pytest.raises(OdooUserError, match="You may not claim from pool"):
        api_a.execute("crm.lead", "action_claim", [leads["pool_2"]])
    assert owner(server, leads["pool_2"]) is None
    # rep_c is in pool 2's team: he sees it and may claim.
    api_c = world["rep_c"].client()
    assert api_c.execute("sales.allocation.pool", "search",
                         [("id", "in", [world["pool_1"], world["pool_2"]])]) == [world["pool_2"]]
    assert api_c.execute("crm.lead", "action_claim", [leads["pool_2"]]) is True
    assert owner(server, leads["pool_2"]) == world["rep_c"].id


def test_salesman_cannot_change_allocation_configuration(world):
    admin, api = world["admin"], world["rep_a"].client()
    queue_id = admin.execute("sales.allocation.queue", "create", {
        "name": unique("cfg queue"),
        "member_ids": [(0, 0, {"user_id": world["rep_a"].id})]})
    rule_id = admin.execute("sales.allocation.rule", "create", {
        "name": unique("cfg rule"), "target_type": "queue", "queue_id": queue_id,
        "sequence": 999, "active": False})
    [member_id] = admin.execute("sales.allocation.queue", "read", [queue_id],
                                ["member_ids"])[0]["member_ids"]
    # Salesmen read configuration (the lead form shows it) but change nothing.
    assert api.execute("sales.allocation.rule", "read", [rule_id], ["name"])
    attempts = [
        ("sales.allocation.rule", "create", ({"name": "x", "target_type": "user",
                                              "user_id": world["rep_a"].id},)),
        ("sales.allocation.rule", "write", ([rule_id], {"active": True})),
        ("sales.allocation.rule", "unlink", ([rule_id],)),
        ("sales.allocation.queue", "create", ({"name": "x"},)),
        ("sales.allocation.queue", "write", ([queue_id], {"strategy": "weighted"})),
        ("sales.allocation.queue", "action_reset_rotation", ([queue_id],)),
        ("sales.allocation.queue.member", "write", ([member_id], {"weight": 9})),
        ("sales.allocation.queue.member", "create", ({"queue_id": queue_id,
                                                      "user_id": world["rep_b"].id},)),
        ("sales.allocation.pool", "create", ({"name": "x"},)),
        ("sales.allocation.pool", "write", ([world["pool_1"]], {"max_claims_per_day": 99})),
        ("sales.allocation.pool", "action_reclaim_now", ([world["pool_1"]],)),
        ("sales.allocation.matrix", "create", ({"name": "x"},)),
        ("sales.allocation.log", "create", ({"lead_id": world["leads"]["a"],
                                             "event": "manual"},)),
        ("sales.allocation.log", "unlink", (api.execute(
            "sales.allocation.log", "search", [], limit=1),)),
        ("crm.lead", "action_allocate", ([world["leads"]["a"]],)),
        # The allocator is public; it must not let a salesman move others' leads.
        ("sales.allocation.allocator", "allocate", ([world["leads"]["b"]],)),
    ]
    for model, method, args in attempts:
        with pytest.raises(OdooAccessError):
            api.execute(model, method, *args)
            pytest.fail("%s.%s went through for a salesman" % (model, method))
    [(active,)] = world["server"].sql("SELECT active FROM sales_allocation_rule WHERE id = %s",
                                      (rule_id,))
    assert active is False
    # The manager may (positive control).
    manager = world["manager"].client()
    assert manager.execute("sales.allocation.queue", "write", [queue_id],
                           {"strategy": "weighted"})
    assert manager.execute("sales.allocation.queue", "action_reset_rotation", [queue_id])


def test_salesman_sees_only_his_own_log_rows(world):
    rep_a = world["rep_a"]
    rows = rep_a.client().execute("sales.allocation.log", "search_read", [],
                                  fields=["user_id", "previous_user_id", "lead_id"])
    assert rows, "rep_a has log rows (his manual lead, his claim and release)"
    for row in rows:
        assert rep_a.id in (row["user_id"] and row["user_id"][0],
                            row["previous_user_id"] and row["previous_user_id"][0]), row
    assert world["leads"]["a"] in {row["lead_id"][0] for row in rows}
    # The manager sees rep_b's rows too.
    manager_rows = world["manager"].client().execute(
        "sales.allocation.log", "search_read", [("lead_id", "=", world["leads"]["b"])],
        fields=["user_id"])
    assert [row["user_id"][0] for row in manager_rows] == [world["rep_b"].id]
    assert rep_a.client().execute("sales.allocation.log", "search",
                                  [("lead_id", "=", world["leads"]["b"])]) == []


def test_configuration_is_per_company(world):
    admin, server = world["admin"], world["server"]
    company_b = admin.execute("res.company", "create", {"name": unique("Company B")})
    manager_b = make_user(server, admin, "mgr-b", company_id=company_b,
                          groups=("sales_allocation.group_allocation_manager",))
    api_b = manager_b.client()
    api_a = world["manager"].client()  # company A, the main company
    # Each manager creates one of each in his own company.
    created = {}
    for label, api in (("a", api_a), ("b", api_b)):
        queue = api.execute("sales.allocation.queue", "create", {
            "name": unique("co queue " + label),
            "member_ids": [(0, 0, {"user_id": world["rep_a"].id})]})
        created[label] = {
            "sales.allocation.queue": queue,
            "sales.allocation.rule": api.execute("sales.allocation.rule", "create", {
                "name": unique("co rule " + label), "target_type": "queue",
                "queue_id": queue, "active": False}),
            "sales.allocation.pool": api.execute("sales.allocation.pool", "create", dict(
                POOL_OFF, name=unique("co pool " + label))),
            "sales.allocation.matrix": api.execute("sales.allocation.matrix", "create", {
                "name": unique("co matrix " + label)}),
        }
    [(company_of_b_queue,)] = server.sql(
        "SELECT company_id FROM sales_allocation_queue WHERE id = %s",
        (created["b"]["sales.allocation.queue"],))
    assert company_of_b_queue == company_b
    for model in created["a"]:
        ids = [created["a"][model], created["b"][model]]
        ctx = {"active_test": False}
        assert api_a.execute(model, "search", [("id", "in", ids)], context=ctx) == \
            [created["a"][model]], model
        assert api_b.execute(model, "search", [("id", "in", ids)], context=ctx) == \
            [created["b"][model]], model
        with pytest.raises(OdooAccessError):
            api_b.execute(model, "read", [created["a"][model]], ["name"])
        with pytest.raises(OdooError):
            api_b.execute(model, "write", [created["a"][model]], {"name": "taken over"})
    # Queue members follow their queue's company.
    member_ids = api_a.execute("sales.allocation.queue.member", "search",
                               [("queue_id", "in", [created["a"]["sales.allocation.queue"],
                                                    created["b"]["sales.allocation.queue"]])])
    assert len(member_ids) == 1
