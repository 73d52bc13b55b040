"""Issue 14 through a running server over XML-RPC: the contract's fields, a new lead
routed to the owner of its match, a claim refused because another rep follows the
customer, and a rep reading a masked pool lead until he claims it."""
import xmlrpc.client

import pytest
from rpc_helpers import unique, xmlid

WARNING_FAULT = 2  # a UserError


def make_rep(server, team_id):
    login = unique("match-rep")
    groups = [xmlid(server, "base.group_user"), xmlid(server, "sales_team.group_sale_salesman")]
    uid = server.execute("res.users", "create", {
        "name": login, "login": login, "password": login, "email": login + "@example.com",
        "groups_id": [(6, 0, groups)], "sale_team_id": team_id, "tz": "UTC",
    }, context={"no_reset_password": True})
    return {"id": uid, "login": login}


@pytest.fixture(scope="module")
def setup(odoo_server):
    team_id = odoo_server.execute("crm.team", "create",
                                  {"name": unique("match-team"), "use_leads": True})
    owner, other = make_rep(odoo_server, team_id), make_rep(odoo_server, team_id)
    tag_id = odoo_server.execute("crm.lead.tag", "create", {"name": unique("match-tag")})
    # First of all rules, for this tag only: to the other rep, unless a match decides.
    rule_id = odoo_server.execute("sales.allocation.rule", "create", {
        "name": unique("match-rule"), "sequence": -100, "target_type": "user",
        "user_id": other["id"], "tag_ids": [(6, 0, [tag_id])]})
    domain = unique("steel") + ".com.cn"
    opportunity_id = odoo_server.execute("crm.lead", "create", {
        "name": unique("opportunity"), "type": "opportunity", "user_id": owner["id"],
        "partner_name": "华东钢铁有限公司", "email_from": "zhang@" + domain})
    return {"team_id": team_id, "owner": owner, "other": other, "tag_id": tag_id,
            "rule_id": rule_id, "domain": domain, "opportunity_id": opportunity_id}


def test_the_contract_fields_exist(odoo_server):
    rule = odoo_server.execute("sales.allocation.rule", "fields_get", ["match_policy"])
    assert rule["match_policy"]["type"] == "selection"
    assert [key for key, _label in rule["match_policy"]["selection"]] == [
        "owner", "flag", "ignore"]
    lead = odoo_server.execute("crm.lead", "fields_get", ["match_lead_id", "match_reason"])
    assert lead["match_lead_id"]["type"] == "many2one"
    assert lead["match_lead_id"]["relation"] == "crm.lead"
    assert lead["match_reason"]["type"] == "char"
    pool = odoo_server.execute("sales.allocation.pool", "fields_get",
                               ["protect_days", "mask_contacts"])
    assert pool["protect_days"]["type"] == "integer"
    assert pool["mask_contacts"]["type"] == "boolean"
    member = odoo_server.execute("sales.allocation.queue.member", "fields_get",
                                 ["max_new_per_day", "max_new_per_week"])
    assert member["max_new_per_day"]["type"] == member["max_new_per_week"]["type"] == \
        "integer"
    defaults = odoo_server.execute("sales.allocation.rule", "default_get", ["match_policy"])
    assert defaults["match_policy"] == "owner"


def test_a_new_lead_of_a_followed_company_goes_to_its_owner(odoo_server, setup):
    lead_id = odoo_server.execute("crm.lead", "create", {
        "name": unique("inquiry"), "email_from": "wang@" + setup["domain"],
        "partner_name": "华东钢铁股份有限公司", "tag_ids": [(6, 0, [setup["tag_id"]])]})
    [lead] = odoo_server.execute("crm.lead", "read", [lead_id],
                                 ["user_id", "match_lead_id", "match_reason",
                                  "allocation_rule_id"])
    assert lead["user_id"][0] == setup["owner"]["id"]
    assert lead["match_lead_id"][0] == setup["opportunity_id"]
    assert lead["match_reason"] == "same email domain as 华东钢铁有限公司 (%s)" % (
        setup["owner"]["login"])
    assert lead["allocation_rule_id"][0] == setup["rule_id"]


def test_claiming_a_followed_customer_is_refused_naming_the_owner(odoo_server, setup):
    pool_id = odoo_server.execute("sales.allocation.pool", "create", {
        "name": unique("match-pool"), "team_id": setup["team_id"],
        "max_claims_per_day": 0, "idle_days": 0, "max_hold_days": 0, "warn_days": 0})
    lead_id = odoo_server.execute("crm.lead", "create", {
        "name": unique("pool-lead"), "pool_id": pool_id,
        "email_from": "li@" + setup["domain"]})
    rep = odoo_server.login(setup["other"]["login"], setup["other"]["login"])
    with pytest.raises(xmlrpc.client.Fault) as refused:
        rep.execute("crm.lead", "action_claim", [lead_id])
    assert refused.value.faultCode == WARNING_FAULT
    assert "already followed by %s" % setup["owner"]["login"] in refused.value.faultString
    odoo_server.execute("sales.allocation.pool", "write", [pool_id],
                        {"allow_matched_claims": True})
    assert rep.execute("crm.lead", "action_claim", [lead_id]) is True


def test_a_rep_reads_masked_contact_details_over_xmlrpc_until_he_claims(odoo_server, setup):
    pool_id = odoo_server.execute("sales.allocation.pool", "create", {
        "name": unique("masked-pool"), "team_id": setup["team_id"], "mask_contacts": True,
        "max_claims_per_day": 0, "idle_days": 0, "max_hold_days": 0, "warn_days": 0})
    lead_id = odoo_server.execute("crm.lead", "create", {
        "name": unique("masked-lead"), "pool_id": pool_id, "phone": "13800138000",
        "email_from": "wang@%s.cn" % unique("masked"), "contact_name": "王小明"})
    rep = odoo_server.login(setup["other"]["login"], setup["other"]["login"])
    fields = ["phone", "email_from", "contact_name"]
    [row] = rep.execute("crm.lead", "read", [lead_id], fields)
    assert row["phone"] == "138****8000"
    assert row["email_from"].startswith("w***@masked-")
    assert row["contact_name"] == "王**"
    [row] = rep.execute("crm.lead", "search_read", [("id", "=", lead_id)], fields)
    assert row["phone"] == "138****8000"
    assert rep.execute("crm.lead", "search", [("phone", "=", "13800138000"),
                                              ("id", "=", lead_id)]) == []
    exported = rep.execute("crm.lead", "export_data", [lead_id], ["phone"])
    assert exported["datas"] == [["138****8000"]]
    # The manager (admin) sees them; the rep too once he owns the lead.
    [row] = odoo_server.execute("crm.lead", "read", [lead_id], ["phone"])
    assert row["phone"] == "13800138000"
    assert rep.execute("crm.lead", "action_claim", [lead_id]) is True
    [row] = rep.execute("crm.lead", "read", [lead_id], fields)
    assert row["phone"] == "13800138000" and row["contact_name"] == "王小明"
