"""The lead pool in a real browser, as a rep: CRM > Lead Pool, claim a lead from the
kanban, work it (a note in the chatter), release it with a reason from its form;
screenshots in docs/screenshots/."""
import time
import uuid

from browser_helpers import login, open_action, screenshot, xmlid


def _lead(odoo_server, lead_id):
    [lead] = odoo_server.execute("crm.lead", "read", [lead_id],
                                 ["user_id", "owner_activity_date", "reclaim_deadline"])
    return lead


def test_rep_claims_works_and_releases_a_pool_lead(page, odoo_server, screenshots):
    pool_id = xmlid(odoo_server, "sales_allocation.sales_allocation_pool_east_demo")
    rep_id = xmlid(odoo_server, "sales_allocation.res_users_zhangwei_demo")
    name = "常州某医院 - 影像存储 %s" % uuid.uuid4().hex[:4]
    lead_id = odoo_server.execute("crm.lead", "create", {
        "name": name, "type": "lead", "pool_id": pool_id, "planned_revenue": 88000})

    login(page, odoo_server, "zhangwei")
    open_action(page, odoo_server, "sales_allocation.crm_lead_action_pool_claimable")
    card = page.locator(".o_kanban_record:has-text('%s')" % name)
    card.wait_for()
    assert "华东公海" in card.inner_text()
    screenshot(page, screenshots / "pool-claimable.png")

    card.locator("button:has-text('Claim'), button:has-text('认领')").click()
    card.wait_for(state="detached")
    claimed = _lead(odoo_server, lead_id)
    assert claimed["user_id"][0] == rep_id
    assert claimed["reclaim_deadline"]

    # My pool leads: the lead with its reclaim deadline; open it.
    open_action(page, odoo_server, "sales_allocation.crm_lead_action_pool_mine")
    row = page.locator(".o_list_view tr.o_data_row:has-text('%s')" % name)
    row.wait_for()
    screenshot(page, screenshots / "pool-my-leads.png")
    row.locator("td").nth(1).click()
    page.wait_for_selector(".o_form_view .o_chatter")

    # Work it: a note restarts the idle clock.
    time.sleep(1.1)
    page.click(".o_chatter_button_log_note")
    page.fill(".o_chatter .o_composer_text_field", "客户确认预算，下周演示")
    page.click(".o_chatter .o_composer_button_send")
    page.wait_for_selector(".o_thread_message:has-text('客户确认预算')")
    worked = _lead(odoo_server, lead_id)
    assert worked["owner_activity_date"] > claimed["owner_activity_date"]

    # Release it with a reason, from the form.
    page.click(".o_form_statusbar .o_statusbar_buttons button:has-text('Release')")
    page.wait_for_selector(".modal-dialog .o_form_view")
    page.fill(".modal-dialog .o_field_widget[name=reason]", "客户只通过代理商采购")
    screenshot(page, screenshots / "pool-release.png")
    page.click(".modal-dialog .modal-footer .btn-primary")
    page.wait_for_selector(".modal-dialog", state="detached")
    page.wait_for_selector(".o_form_view .label-info")  # "In pool" again
    assert _lead(odoo_server, lead_id)["user_id"] is False
    [log] = odoo_server.execute("sales.allocation.log", "search_read", [
        ("lead_id", "=", lead_id), ("event", "=", "released")], ["previous_user_id", "reason"])
    assert log["previous_user_id"][0] == rep_id
    assert "客户只通过代理商采购" in log["reason"]
    assert page.js_errors == []
