"""Configuration audit and the simulation as a diff, in a real browser (issue 15).

An active rule sends the leads of a campaign to rep A (刘洋); the admin opens a draft
(archived) copy of it, renames it and points it at rep B (赵敏), saves, and reads the
change in the rule's chatter (old -> new value). Then he opens Simulate (developer mode,
to type the leads to replay in the domain editor's code field), picks the draft as the
rule to test and runs it: the "Would Change Owner" tab lists each lead of the campaign,
from rep A to rep B. A dry run: no lead changes owner. Screenshots
docs/screenshots/rule_chatter.png and simulation_diff.png.

The second test goes on to apply the draft from the result, and is expected to fail
(see its marker): the result form loses the archived draft, so the Apply button stays
hidden.
"""
import uuid

import pytest

from browser_helpers import (login, open_action, open_record, pick, screenshot,
                             wait_saved, xmlid)

DIALOG = ".modal-dialog"


def _owners(odoo_server, lead_ids):
    return [lead["user_id"] and lead["user_id"][0] for lead in odoo_server.execute(
        "crm.lead", "read", lead_ids, ["user_id"])]


@pytest.fixture
def campaign(odoo_server):
    """An active rule (the campaign's leads -> rep A), its archived draft (-> rep B)
    and two leads of the campaign, placed by the active rule. Afterwards the rules
    active before are active again, the campaign's rules archived."""
    tag = uuid.uuid4().hex[:6]
    rep_a = xmlid(odoo_server, "sales_allocation.res_users_liuyang_demo")
    rep_b = xmlid(odoo_server, "sales_allocation.res_users_zhaomin_demo")
    active_before = odoo_server.execute("sales.allocation.rule", "search",
                                        [("active", "=", True)])
    common = {"sequence": 1, "target_type": "user", "match_policy": "ignore",
              "domain": "[('name', 'ilike', '%s')]" % tag}
    rule_id = odoo_server.execute("sales.allocation.rule", "create", dict(
        common, name="展会线索 %s" % tag, user_id=rep_a))
    draft_id = odoo_server.execute("sales.allocation.rule", "create", dict(
        common, name="展会线索（草案）%s" % tag, user_id=rep_a, active=False))
    lead_ids = [odoo_server.execute("crm.lead", "create", {
        "name": "展会名片 %s #%d" % (tag, number), "type": "lead"}) for number in (1, 2)]
    assert _owners(odoo_server, lead_ids) == [rep_a, rep_a]
    try:
        yield {"tag": tag, "rep_a": rep_a, "rep_b": rep_b, "rule_id": rule_id,
               "draft_id": draft_id, "lead_ids": lead_ids,
               "draft_name": "展会线索（草案）%s" % tag,
               "new_name": "展会线索 → 赵敏 %s" % tag}
    finally:
        odoo_server.execute("sales.allocation.rule", "write", [rule_id, draft_id],
                            {"active": False})
        odoo_server.execute("sales.allocation.rule", "write", active_before,
                            {"active": True})


def _edit_the_draft(page, odoo_server, campaign):
    """Rename the draft and point it at rep B, in its form."""
    open_record(page, odoo_server, "sales.allocation.rule", campaign["draft_id"],
                action_xmlid="sales_allocation.sales_allocation_rule_action")
    page.click(".o_form_button_edit")
    page.wait_for_selector(".o_form_view.o_form_editable")
    page.fill(".o_field_widget[name=name]", campaign["new_name"])
    pick(page, ".o_form_view", "user_id", "赵敏")
    page.click(".o_form_button_save")
    wait_saved(page)


def _run_simulation(page, odoo_server, campaign):
    """Simulate: the campaign's leads, the draft as the rule to test; Run."""
    open_action(page, odoo_server, "sales_allocation.sales_allocation_simulation_action",
                debug=True)
    page.wait_for_selector(DIALOG + " .o_form_view")
    code = page.locator(DIALOG + " .o_field_widget[name=lead_domain] .o_domain_debug_input")
    code.fill('[["name", "ilike", "%s"]]' % campaign["tag"])
    code.press("Tab")
    page.wait_for_selector(DIALOG + " .o_field_widget[name=lead_domain] .o_domain_leaf")
    pick(page, DIALOG, "rule_ids", campaign["new_name"])
    page.wait_for_selector(DIALOG + " .o_field_widget[name=rule_ids] .badge:has-text('%s')"
                           % campaign["tag"])
    page.click(DIALOG + " .modal-footer button[name=action_run]")
    page.wait_for_selector(DIALOG + " .o_field_widget[name=change_count]")


def _text(page, name):
    return page.locator(DIALOG + " .o_field_widget[name=%s]" % name).inner_text().strip()


def test_admin_edits_a_rule_sees_the_chatter_and_simulates_the_diff(
        page, odoo_server, screenshots, campaign):
    tag, new_name = campaign["tag"], campaign["new_name"]
    login(page, odoo_server)
    _edit_the_draft(page, odoo_server, campaign)
    [rule] = odoo_server.execute("sales.allocation.rule", "read", [campaign["draft_id"]],
                                 ["name", "user_id", "active"])
    assert (rule["name"], rule["user_id"][0], rule["active"]) == (
        new_name, campaign["rep_b"], False)

    # The chatter: old -> new for both fields.
    changed = page.locator(".o_chatter .o_mail_thread_message_tracking li:has-text('赵敏')")
    changed.first.wait_for()
    lines = [line.strip() for line in page.locator(
        ".o_chatter .o_thread_message .o_mail_thread_message_tracking li").all_inner_texts()]
    assert any(line.startswith("Salesperson:") and "刘洋" in line and "赵敏" in line
               for line in lines), lines
    assert any(line.startswith("Name") and campaign["draft_name"] in line
               and new_name in line for line in lines), lines
    assert changed.locator(".fa-long-arrow-right").count() >= 1
    changed.first.scroll_into_view_if_needed()
    screenshot(page, screenshots / "rule_chatter.png")

    # The simulation with the draft: both leads would go from A to B.
    _run_simulation(page, odoo_server, campaign)
    assert _text(page, "lead_count") == "2"
    assert _text(page, "change_count") == "2"
    page.click(DIALOG + " .nav-tabs a:has-text('Would Change Owner')")
    rows = page.locator(DIALOG + " .o_field_one2many[name=change_ids] tr.o_data_row")
    rows.first.wait_for()
    assert rows.count() == 2
    for number in (1, 2):
        row = rows.filter(has_text="展会名片 %s #%d" % (tag, number))
        cells = [cell.strip() for cell in row.locator("td").all_inner_texts()]
        # Lead | with active rules | with proposed rules | active rule | proposed rule
        assert cells[1:5] == ["刘洋", "赵敏", "展会线索 %s" % tag, new_name], cells
    screenshot(page, screenshots / "simulation_diff.png")

    # A dry run: the leads keep their owner, the draft stays a draft.
    assert _owners(odoo_server, campaign["lead_ids"]) == [campaign["rep_a"]] * 2
    [rule] = odoo_server.execute("sales.allocation.rule", "read", [campaign["draft_id"]],
                                 ["active"])
    assert rule["active"] is False
    assert page.js_errors == []


def test_admin_applies_the_draft_from_the_simulation(page, odoo_server, campaign):
    login(page, odoo_server)
    _edit_the_draft(page, odoo_server, campaign)
    _run_simulation(page, odoo_server, campaign)
    assert _text(page, "change_count") == "2"
    # The result still names the rule tested, and offers to apply it.
    tags = page.locator(DIALOG + " .o_field_many2manytags[name=rule_ids]").inner_text()
    assert campaign["new_name"] in tags
    apply = page.locator(DIALOG + " .modal-footer button[name=action_apply]")
    assert apply.is_visible()
    apply.click()
    page.click(".modal-dialog:has-text('Activate the proposed rules') .btn-primary")
    page.wait_for_selector(".o_list_view tr.o_data_row:has-text('%s')" % campaign["tag"])
    rules = {rule["id"]: rule["active"] for rule in odoo_server.execute(
        "sales.allocation.rule", "read", [campaign["rule_id"], campaign["draft_id"]],
        ["active"])}
    assert rules == {campaign["draft_id"]: True, campaign["rule_id"]: False}
    assert page.js_errors == []
