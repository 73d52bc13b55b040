"""Rotation turns taken in transactions of their own (``sales.allocation.turns``), seen
from a real server: what a create that rolls back does to the rotation, and the loads
of transactions that other transactions cannot see yet."""
from rpc_helpers import client, make_queue, make_rule, make_tag, make_user, unique


def _tagged(tag_id, name):
    return {"name": name, "tag_ids": [(6, 0, [tag_id])]}


def _import_rows(admin, tag_id, rows):
    """``crm.lead.load`` (Odoo's importer): one transaction; any bad row rolls every row
    back, after the good ones have been created and allocated."""
    tag_name = admin.execute("crm.lead.tag", "read", [tag_id], ["name"])[0]["name"]
    return admin.execute("crm.lead", "load", ["name", "tag_ids", "country_id"],
                         [[name, tag_name, country] for name, country in rows])


def test_a_rolled_back_create_consumes_its_turn(odoo_server):
    """A create takes its turn in a transaction of its own, then its own transaction
    rolls back: the turn is consumed (the rotation moved on: the rep whose turn it was
    misses that lead) and the rotation goes on in exact order from there; the rolled
    back lead is counted in nobody's load."""
    admin = client(odoo_server)
    reps = [make_user(odoo_server, admin, "turn-rep") for _index in range(3)]
    tag = make_tag(admin, "turns")
    queue = make_queue(admin, "turns seq", [rep.id for rep in reps])
    rule = make_rule(admin, "turns rule", tag, queue_id=queue, sequence=-600000)
    least = make_queue(admin, "turns least", [rep.id for rep in reps],
                       strategy="least_loaded")
    try:
        first = admin.execute("crm.lead", "create", _tagged(tag, unique("first")))
        owner = admin.execute("crm.lead", "read", [first], ["user_id"])[0]["user_id"][0]
        assert owner == reps[0].id
        # reps[1]'s turn is taken by the good row, then the bad row (no name: its
        # create fails before any allocation) rolls the whole import back.
        result = _import_rows(admin, tag, [(unique("good"), ""), ("", "")])
        assert not result["ids"], result
        assert result["messages"], result
        assert not odoo_server.sql(
            "SELECT 1 FROM crm_lead WHERE name LIKE 'good%%' AND id > %s", (first,))
        after = [admin.execute("crm.lead", "create", _tagged(tag, unique("after")))
                 for _index in range(3)]
        owners = [row["user_id"][0] for row in admin.execute(
            "crm.lead", "read", after, ["user_id"])]
        assert owners == [reps[2].id, reps[0].id, reps[1].id]
        # Loads: the rolled-back lead is nobody's; the least-loaded queue sees 1-1-2
        # (reps[0] has two leads) and gives the next ones to reps[1], then reps[2].
        admin.execute("sales.allocation.rule", "write", [rule], {"queue_id": least})
        more = [admin.execute("crm.lead", "create", _tagged(tag, unique("least")))
                for _index in range(2)]
        owners = sorted(row["user_id"][0] for row in admin.execute(
            "crm.lead", "read", more, ["user_id"]))
        assert owners == sorted([reps[1].id, reps[2].id])
        # Reservations of finished transactions are forgotten by the backlog run's
        # upkeep once no snapshot can need them (here: aged by hand).
        odoo_server.sql("""
            UPDATE sales_allocation_reservation SET date = date - interval '2 hours'
             WHERE user_id IN %s RETURNING 1""", (tuple(rep.id for rep in reps),))
        admin.execute("ir.cron", "method_direct_trigger", [admin.execute(
            "ir.model.data", "xmlid_to_res_id",
            "sales_allocation.ir_cron_allocate_backlog")])
        assert odoo_server.sql(
            "SELECT count(*) FROM sales_allocation_reservation WHERE user_id IN %s",
            (tuple(rep.id for rep in reps),))[0][0] == 0
    finally:
        admin.execute("sales.allocation.rule", "write", [rule], {"active": False})


def test_rotation_state_reads_through_the_queue_fields(odoo_server):
    """``last_user_id`` and the members' ``current_weight`` read the turns' state, and
    the reset button starts the rotation again."""
    admin = client(odoo_server)
    reps = [make_user(odoo_server, admin, "turn-w") for _index in range(2)]
    tag = make_tag(admin, "turns-w")
    queue = make_queue(admin, "turns weighted", [rep.id for rep in reps],
                       strategy="weighted")
    admin.execute("sales.allocation.queue.member", "write", admin.execute(
        "sales.allocation.queue.member", "search",
        [("queue_id", "=", queue), ("user_id", "=", reps[1].id)]), {"weight": 2})
    rule = make_rule(admin, "turns-w rule", tag, queue_id=queue, sequence=-600000)
    try:
        admin.execute("crm.lead", "create", _tagged(tag, unique("w")))
        state = admin.execute("sales.allocation.queue", "read", [queue], ["last_user_id"])
        assert state[0]["last_user_id"][0] == reps[1].id
        weights = {row["user_id"][0]: row["current_weight"] for row in admin.execute(
            "sales.allocation.queue.member", "search_read", [("queue_id", "=", queue)],
            ["user_id", "current_weight"])}
        # Smooth weighted round-robin from 0/0 with weights 1:2: +1/+2, the winner
        # gives back the total 3.
        assert weights == {reps[0].id: 1, reps[1].id: -1}
        assert admin.execute("sales.allocation.queue", "action_reset_rotation", [queue])
        state = admin.execute("sales.allocation.queue", "read", [queue], ["last_user_id"])
        assert state[0]["last_user_id"] is False
        weights = admin.execute("sales.allocation.queue.member", "search_read",
                                [("queue_id", "=", queue)], ["current_weight"])
        assert [row["current_weight"] for row in weights] == [0, 0]
    finally:
        admin.execute("sales.allocation.rule", "write", [rule], {"active": False})
