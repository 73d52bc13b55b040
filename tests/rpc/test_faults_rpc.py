"""Bad input over XML-RPC: an Odoo error with a message that says what is wrong, and the
server goes on serving."""
import pytest

from rpc_helpers import NO_MAIL, client, make_user, unique
from sales_allocation_client import OdooError, OdooUserError

MISSING = 2000000000


@pytest.fixture(scope="module")
def scene(odoo_server):
    admin = client(odoo_server)
    team = admin.execute("crm.team", "create", {"name": unique("faults team")})
    rep = make_user(odoo_server, admin, "faults-rep", team_id=team)
    other = make_user(odoo_server, admin, "faults-other", team_id=team)
    manager = make_user(odoo_server, admin, "faults-mgr",
                        groups=("sales_allocation.group_allocation_manager",))
    pool = admin.execute("sales.allocation.pool", "create", {
        "name": unique("faults pool"), "team_id": team, "max_claims_per_day": 0,
        "idle_days": 0, "max_hold_days": 0, "warn_days": 0, "cooldown_days": 0})

    def pool_lead(name, **vals):
        return admin.execute("crm.lead", "create", dict(
            {"name": unique(name), "pool_id": pool}, **vals), context=NO_MAIL)

    leads = {"archived": pool_lead("archived"), "won": pool_lead("won", probability=100),
             "taken": pool_lead("taken"), "free": pool_lead("free")}
    admin.execute("crm.lead", "write", [leads["archived"]], {"active": False})
    assert other.client().execute("crm.lead", "action_claim", [leads["taken"]]) is True
    return {"admin": admin, "rep": rep, "other": other, "manager": manager, "pool": pool,
            "leads": leads, "server": odoo_server}


def still_serving(scene):
    admin = scene["admin"]
    assert admin.version()["server_version_info"][:2] == [11, 0]
    assert admin.execute("crm.lead", "search_count", [("id", "=", scene["leads"]["free"])],
                         context={"active_test": False}) == 1


def test_unknown_ids(scene):
    rep, manager = scene["rep"].client(), scene["manager"].client()
    for api, model, method in [(rep, "crm.lead", "action_claim"),
                               (rep, "crm.lead", "action_release"),
                               (manager, "crm.lead", "action_allocate"),
                               (manager, "sales.allocation.pool", "action_reclaim_now")]:
        with pytest.raises(OdooUserError) as caught:
            api.execute(model, method, [MISSING])
        assert "do not exist or were deleted: %d" % MISSING in caught.value.message, \
            (model, method, caught.value.message)
    with pytest.raises(OdooUserError, match="Record does not exist or has been deleted"):
        rep.execute("crm.lead", "write", [MISSING], {"description": "x"})
    still_serving(scene)


def test_wrong_types(scene):
    rep = scene["rep"].client()
    for method in ("action_claim", "action_release"):
        with pytest.raises(OdooUserError, match=r"whole numbers; got 'abc'"):
            rep.execute("crm.lead", method, ["abc"])
    with pytest.raises(OdooUserError, match=r"whole numbers; got '7'"):
        scene["manager"].client().execute("crm.lead", "action_allocate", ["7"])
    # Odoo's own methods: Odoo's own messages, still readable.
    own = rep.execute("crm.lead", "create", {"name": unique("typed"), "user_id": scene["rep"].id})
    with pytest.raises(OdooError, match="could not convert string to float: 'lots'"):
        rep.execute("crm.lead", "write", [own], {"planned_revenue": "lots"})
    with pytest.raises(OdooError, match='invalid input syntax for type integer: "abc"'):
        scene["manager"].client().execute("crm.lead", "write", [own], {"user_id": "abc"})
    still_serving(scene)


def test_domains_that_do_not_parse(scene):
    rep, manager = scene["rep"].client(), scene["manager"].client()
    with pytest.raises(OdooError, match="Domains to normalize must have a 'domain' form"):
        rep.execute("crm.lead", "search", "not a domain")
    with pytest.raises(OdooError, match="Invalid field 'colour'"):
        rep.execute("crm.lead", "search_count", [("colour", "=", "red")])
    with pytest.raises(OdooUserError) as caught:
        manager.execute("sales.allocation.rule", "create", {
            "name": unique("unparsable"), "target_type": "user",
            "user_id": scene["rep"].id, "domain": "[('name', '=', "})
    assert caught.value.message.startswith("The condition of rule")
    assert "domain editor" in caught.value.message
    still_serving(scene)


def test_claims_that_cannot_be(scene):
    server, leads = scene["server"], scene["leads"]
    rep = scene["rep"].client()
    cases = [("archived", "is archived (lost): it cannot be claimed"),
             ("won", "is already won"),
             ("taken", "was already taken by %s" % scene["other"].name)]
    for key, message in cases:
        with pytest.raises(OdooUserError) as caught:
            rep.execute("crm.lead", "action_claim", [leads[key]])
        assert message in caught.value.message, caught.value.message
    # A claim of several leads is all or nothing: the free one stays free.
    with pytest.raises(OdooUserError):
        rep.execute("crm.lead", "action_claim", [leads["free"], leads["won"]])
    owners = dict(server.sql("SELECT id, user_id FROM crm_lead WHERE id IN %s",
                             (tuple(leads.values()),)))
    assert owners[leads["free"]] is None
    assert owners[leads["won"]] is None
    assert owners[leads["taken"]] == scene["other"].id
    with pytest.raises(OdooUserError, match="is not yours"):
        rep.execute("crm.lead", "action_release", [leads["taken"]])
    with pytest.raises(OdooUserError, match="already in the pool"):
        rep.execute("crm.lead", "action_release", [leads["free"]])
    claimed_logs = server.sql("""SELECT count(*) FROM sales_allocation_log
                                  WHERE lead_id IN %s AND event = 'claimed'""",
                              (tuple(leads.values()),))[0][0]
    assert claimed_logs == 1  # only the one claim of "taken"
    # Then a good claim goes through.
    assert rep.execute("crm.lead", "action_claim", [leads["free"]]) is True
    still_serving(scene)
