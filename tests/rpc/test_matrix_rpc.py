"""The matrix and hand-offs over XML-RPC against a real server: the product line is
settable by an integration, a matrix built over RPC places its leads, a conversion
called over RPC hands the opportunity off.

The database is shared with the other RPC tests and is not rolled back: everything
here has names unique to the run, and the rules only match leads with this run's tag.
"""
import uuid

import pytest

RUN = uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def setup(odoo_server):
    ex = odoo_server.execute
    ref = lambda xmlid: ex("ir.model.data", "xmlid_to_res_id", xmlid)  # noqa: E731
    employee, salesman = ref("base.group_user"), ref("sales_team.group_sale_salesman")
    ctx = {"context": {"no_reset_password": True}}
    reps = [ex("res.users", "create", {
        "name": "RPC matrix %s %s" % (letter, RUN), "login": "rpc_mx_%s_%s" % (letter, RUN),
        "groups_id": [(6, 0, [employee, salesman])]}, **ctx) for letter in "abc"]
    tag = ex("crm.lead.tag", "create", {"name": "rpc-matrix-%s" % RUN})
    category = ex("product.category", "create", {
        "name": "RPC servers %s" % RUN, "parent_id": ref("product.product_category_all")})
    sub_category = ex("product.category", "create", {
        "name": "RPC GPU %s" % RUN, "parent_id": category})
    queue = ex("sales.allocation.queue", "create", {
        "name": "RPC matrix queue %s" % RUN, "strategy": "sequential",
        "member_ids": [(0, 0, {"user_id": reps[0], "sequence": 1})]})
    matrix = ex("sales.allocation.matrix", "create", {"name": "RPC matrix %s" % RUN})
    # Only the target is given: the cell works out its type.
    cell = ex("sales.allocation.matrix.cell", "create", {
        "matrix_id": matrix, "product_category_id": category, "queue_id": queue,
        "region_id": ref("sales_allocation.sales_allocation_region_east_demo"),
        "specialist_user_id": reps[2]})
    rules = [
        ex("sales.allocation.rule", "create", {
            "name": "RPC matrix rule %s" % RUN, "sequence": -1000000,
            "target_type": "matrix", "matrix_id": matrix, "tag_ids": [(6, 0, [tag])]}),
        ex("sales.allocation.rule", "create", {
            "name": "RPC convert rule %s" % RUN, "sequence": -1000000, "trigger": "convert",
            "target_type": "user", "user_id": reps[1], "tag_ids": [(6, 0, [tag])]}),
    ]
    yield {"reps": reps, "tag": tag, "category": category, "sub_category": sub_category,
           "queue": queue, "matrix": matrix, "cell": cell, "rules": rules,
           "zhejiang": ref("l10n_cn.state_ZJ"), "china": ref("base.cn")}
    ex("sales.allocation.rule", "write", rules, {"active": False})


def test_contract_fields_exist(odoo_server):
    fields = odoo_server.execute("crm.lead", "fields_get", ["product_category_id"],
                                 attributes=["string", "relation"])
    assert fields["product_category_id"] == {"string": "Product line",
                                             "relation": "product.category"}
    rule_fields = odoo_server.execute("sales.allocation.rule", "fields_get",
                                      ["target_type", "trigger"], attributes=["selection"])
    assert "matrix" in dict(rule_fields["target_type"]["selection"])
    assert set(dict(rule_fields["trigger"]["selection"])) == {"create", "convert", "stage",
                                                              "won"}


def test_cell_type_follows_its_target(odoo_server, setup):
    [cell] = odoo_server.execute("sales.allocation.matrix.cell", "read", [setup["cell"]],
                                 ["target_type", "queue_id", "user_id"])
    assert (cell["target_type"], cell["queue_id"][0], cell["user_id"]) == (
        "queue", setup["queue"], False)


def test_lead_with_product_line_goes_through_the_matrix(odoo_server, setup):
    lead_id = odoo_server.execute("crm.lead", "create", {
        "name": "RPC matrix lead %s" % RUN, "type": "lead", "country_id": setup["china"],
        "state_id": setup["zhejiang"], "product_category_id": setup["sub_category"],
        "tag_ids": [(6, 0, [setup["tag"]])]})
    [lead] = odoo_server.execute("crm.lead", "read", [lead_id], [
        "product_category_id", "user_id", "allocation_rule_id", "allocation_reason",
        "message_partner_ids", "region_id"])
    assert lead["product_category_id"][0] == setup["sub_category"]
    assert lead["user_id"][0] == setup["reps"][0]
    assert lead["allocation_rule_id"][0] == setup["rules"][0]
    assert "Matrix cell" in lead["allocation_reason"]
    assert lead["region_id"][1] == "华东"
    specialist = odoo_server.execute("res.users", "read", [setup["reps"][2]],
                                     ["partner_id"])[0]["partner_id"][0]
    assert specialist in lead["message_partner_ids"]


def test_product_line_is_writable_and_grid_answers(odoo_server, setup):
    lead_id = odoo_server.execute("crm.lead", "create", {
        "name": "RPC no line %s" % RUN, "user_id": setup["reps"][1]})
    assert odoo_server.execute("crm.lead", "write", [lead_id],
                               {"product_category_id": setup["category"]}) is True
    grid = odoo_server.execute("sales.allocation.matrix", "get_grid", [setup["matrix"]])
    states = {(row["name"], entry["category_id"]): entry["state"]
              for row in grid["rows"] for entry in row["cells"]}
    assert states[("华东", setup["category"])] == "direct"
    assert states[("华北", setup["category"])] == "gap"


def test_convert_opportunity_over_rpc_hands_off(odoo_server, setup):
    rep_a, rep_b, _rep_c = setup["reps"]
    lead_id = odoo_server.execute("crm.lead", "create", {
        "name": "RPC convert %s" % RUN, "type": "lead", "country_id": setup["china"],
        "state_id": setup["zhejiang"], "product_category_id": setup["category"],
        "tag_ids": [(6, 0, [setup["tag"]])]})
    assert odoo_server.execute("crm.lead", "read", [lead_id], ["user_id"])[0][
        "user_id"][0] == rep_a
    assert odoo_server.execute("crm.lead", "convert_opportunity", [lead_id], False) is True
    [lead] = odoo_server.execute("crm.lead", "read", [lead_id],
                                 ["type", "user_id", "allocation_rule_id"])
    assert (lead["type"], lead["user_id"][0], lead["allocation_rule_id"][0]) == (
        "opportunity", rep_b, setup["rules"][1])
    logs = odoo_server.execute("sales.allocation.log", "search_read",
                               [("lead_id", "=", lead_id)],
                               ["event", "user_id", "previous_user_id", "reason"],
                               order="id")
    assert [(log["event"], log["user_id"][0]) for log in logs] == [
        ("assigned", rep_a), ("reassigned", rep_b)]
    assert logs[-1]["previous_user_id"][0] == rep_a
    assert "Hand-off" in logs[-1]["reason"]
