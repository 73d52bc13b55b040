"""A caller's context never switches a policy off (issue 11).

Any XML-RPC caller can send any context. A salesman (Sales "User: Own Documents
Only") sends the addon's internal keys -- ``sales_allocation_skip``,
``sales_allocation_no_touch``, ``sales_allocation_converting`` -- and crm's
``tracking_disable``, one at a time and all together, with:

- create: the lead still goes through the allocation rules (owner chosen by the rule,
  one 'assigned' log row), not to him by crm's default;
- a write that wins his lead (probability 100, or the Won stage) or converts it (type
  opportunity) where a hand-off rule of trigger 'won' / 'convert' matches it: the
  hand-off still runs (owner = the rule's target, a 'reassigned' log row);
- a write that sets the salesperson of a pool lead (taking it, or clearing it instead
  of releasing) or its pool: refused with the usual AccessError;
- action_claim of a lead someone holds, from a pool he is not in, or beyond the pool's
  daily limit: refused with the usual UserError.

Each case also runs without any context ("no-context"): the control that proves the
set-up makes the policy act at all. The module uses the session's server (SA_RPC_DB);
its rules match only its own tags and come before every other rule, and are archived
at the end.
"""
import pytest

from rpc_helpers import NO_MAIL, client, make_tag, make_user, unique, xmlid
from sales_allocation_client import OdooAccessError, OdooUserError

KEYS = ("sales_allocation_skip", "sales_allocation_no_touch",
        "sales_allocation_converting", "tracking_disable")
CONTEXTS = ([pytest.param({}, id="no-context")]
            + [pytest.param({key: True}, id=key) for key in KEYS]
            + [pytest.param(dict.fromkeys(KEYS, True), id="all-keys")])
POOL = {"max_claims_per_day": 0, "max_open_leads": 0, "idle_days": 0, "max_hold_days": 0,
        "warn_days": 0, "cooldown_days": 0}


@pytest.fixture(scope="module")
def world(odoo_server):
    """rep: the salesman who sends the contexts; other: a salesman of his team;
    intake / won / converted: the targets of the create, won and convert rules."""
    admin = client(odoo_server)
    team = admin.execute("crm.team", "create", {"name": unique("ctx team")})
    other_team = admin.execute("crm.team", "create", {"name": unique("ctx other team")})
    people = {name: make_user(odoo_server, admin, "ctx-" + name, team_id=team)
              for name in ("rep", "other", "intake", "won", "converted")}
    tags = {trigger: make_tag(admin, "ctx-" + trigger)
            for trigger in ("create", "won", "convert")}
    [(lowest,)] = odoo_server.sql(
        "SELECT COALESCE(min(sequence), 0) FROM sales_allocation_rule")
    targets = {"create": "intake", "won": "won", "convert": "converted"}
    rules = {trigger: admin.execute("sales.allocation.rule", "create", {
        "name": unique("ctx %s rule" % trigger), "sequence": lowest - 1000,
        "trigger": trigger, "tag_ids": [(6, 0, [tags[trigger]])], "target_type": "user",
        "user_id": people[targets[trigger]].id}) for trigger in targets}
    pool = admin.execute("sales.allocation.pool", "create", dict(
        POOL, name=unique("ctx pool"), team_id=team))
    foreign_pool = admin.execute("sales.allocation.pool", "create", dict(
        POOL, name=unique("ctx foreign pool"), team_id=other_team))
    yield dict(people, admin=admin, server=odoo_server, team=team, tags=tags, rules=rules,
               pool=pool, foreign_pool=foreign_pool)
    admin.execute("sales.allocation.rule", "write", list(rules.values()), {"active": False})


def owner(server, lead_id):
    return server.sql("SELECT user_id FROM crm_lead WHERE id = %s", (lead_id,))[0][0]


def log_of(server, lead_id):
    """(event, user, previous user, rule) of the lead's log rows, oldest first."""
    return server.sql("""
        SELECT event, user_id, previous_user_id, rule_id FROM sales_allocation_log
         WHERE lead_id = %s ORDER BY id""", (lead_id,))


def lead_of(world, holder, tag=None, **vals):
    """A lead of ``holder`` (set by admin: 'manual'), with ``tag``."""
    if tag:
        vals["tag_ids"] = [(6, 0, [tag])]
    return world["admin"].execute("crm.lead", "create", dict(
        {"name": unique("ctx lead"), "type": "lead", "user_id": holder.id}, **vals),
        context=dict(NO_MAIL))


def pool_lead(world, pool=None):
    return world["admin"].execute("crm.lead", "create", {
        "name": unique("ctx pool lead"), "pool_id": pool or world["pool"]},
        context=dict(NO_MAIL))


# ---------------------------------------------------------------------- create

@pytest.mark.parametrize("context", CONTEXTS)
def test_create_goes_through_the_rules(world, context):
    server, rep, intake = world["server"], world["rep"], world["intake"]
    lead_id = rep.client().execute("crm.lead", "create", {
        "name": unique("ctx created"), "tag_ids": [(6, 0, [world["tags"]["create"]])]},
        context=dict(context))
    got = (owner(server, lead_id), log_of(server, lead_id))
    assert got == (intake.id, [("assigned", intake.id, None, world["rules"]["create"])]), (
        "expected the create rule to give the lead to %s (id %s) and log it 'assigned'; "
        "got owner %s and log %s (the caller is %s, id %s)"
        % (intake.login, intake.id, got[0], got[1], rep.login, rep.id))


# ---------------------------------------------------------------------- hand-offs

HANDOFF_WRITES = [
    pytest.param("won", "probability", id="won-probability"),
    pytest.param("won", "stage", id="won-stage"),
    pytest.param("convert", "type", id="convert"),
]


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("trigger, how", HANDOFF_WRITES)
def test_handoff_runs_on_the_salesmans_write(world, trigger, how, context):
    server, rep = world["server"], world["rep"]
    target = world["won" if trigger == "won" else "converted"]
    lead_id = lead_of(world, rep, world["tags"][trigger])
    assert owner(server, lead_id) == rep.id
    vals = {
        "probability": {"probability": 100},
        "stage": {"stage_id": xmlid(world["admin"], "crm.stage_lead4")},
        "type": {"type": "opportunity"},
    }[how]
    assert rep.client().execute("crm.lead", "write", [lead_id], vals, context=dict(context))
    [(probability, lead_type)] = server.sql(
        "SELECT probability, type FROM crm_lead WHERE id = %s", (lead_id,))
    assert probability == 100 if trigger == "won" else lead_type == "opportunity"
    rows = log_of(server, lead_id)
    assert (owner(server, lead_id), rows[-1]) == (
        target.id, ("reassigned", target.id, rep.id, world["rules"][trigger])), (
        "expected the %s hand-off to pass the lead from %s (id %s) to %s (id %s); log %s"
        % (trigger, rep.login, rep.id, target.login, target.id, rows))


# ---------------------------------------------------------------------- pool leads

@pytest.mark.parametrize("context", CONTEXTS)
def test_taking_a_pool_lead_by_writing_user_id_is_refused(world, context):
    server, rep = world["server"], world["rep"]
    lead_id = pool_lead(world)
    with pytest.raises(OdooAccessError, match="is not yours"):
        rep.client().execute("crm.lead", "write", [lead_id], {"user_id": rep.id},
                             context=dict(context))
    assert owner(server, lead_id) is None
    assert [row[0] for row in log_of(server, lead_id)] == ["pooled"]


@pytest.mark.parametrize("context", CONTEXTS)
def test_clearing_or_moving_a_claimed_pool_lead_is_refused(world, context):
    server, rep = world["server"], world["rep"]
    lead_id = pool_lead(world)
    api = rep.client()
    assert api.execute("crm.lead", "action_claim", [lead_id]) is True
    with pytest.raises(OdooAccessError, match="use Release"):
        api.execute("crm.lead", "write", [lead_id], {"user_id": False},
                    context=dict(context))
    with pytest.raises(OdooAccessError, match="Only users who see all leads"):
        api.execute("crm.lead", "write", [lead_id], {"pool_id": False},
                    context=dict(context))
    assert server.sql("SELECT user_id, pool_id FROM crm_lead WHERE id = %s",
                      (lead_id,)) == [(rep.id, world["pool"])]
    assert [row[0] for row in log_of(server, lead_id)] == ["pooled", "claimed"]


@pytest.mark.parametrize("context", CONTEXTS)
def test_claiming_a_lead_someone_holds_is_refused(world, context):
    server, rep, other = world["server"], world["rep"], world["other"]
    lead_id = pool_lead(world)
    assert other.client().execute("crm.lead", "action_claim", [lead_id]) is True
    with pytest.raises(OdooUserError, match="was already taken by %s" % other.name):
        rep.client().execute("crm.lead", "action_claim", [lead_id], context=dict(context))
    assert owner(server, lead_id) == other.id
    assert [row[:2] for row in log_of(server, lead_id)] == [
        ("pooled", None), ("claimed", other.id)]


@pytest.mark.parametrize("context", CONTEXTS)
def test_claiming_from_a_pool_he_is_not_in_is_refused(world, context):
    server, rep = world["server"], world["rep"]
    lead_id = pool_lead(world, world["foreign_pool"])
    with pytest.raises(OdooUserError, match="You may not claim from pool"):
        rep.client().execute("crm.lead", "action_claim", [lead_id], context=dict(context))
    assert owner(server, lead_id) is None


@pytest.mark.parametrize("context", CONTEXTS)
def test_claiming_beyond_the_daily_limit_is_refused(world, context):
    server, rep, admin = world["server"], world["rep"], world["admin"]
    pool = admin.execute("sales.allocation.pool", "create", dict(
        POOL, name=unique("ctx limited pool"), team_id=world["team"],
        max_claims_per_day=1))
    first, second = pool_lead(world, pool), pool_lead(world, pool)
    api = rep.client()
    assert api.execute("crm.lead", "action_claim", [first], context=dict(context)) is True
    with pytest.raises(OdooUserError, match="Daily limit reached"):
        api.execute("crm.lead", "action_claim", [second], context=dict(context))
    assert owner(server, second) is None
    assert server.sql("""
        SELECT count(*) FROM sales_allocation_log
         WHERE event = 'claimed' AND pool_id = %s AND user_id = %s""",
                      (pool, rep.id)) == [(1,)]
