"""The admin's main paths in a real browser, and the README's screenshots.

Create an assignment rule in its form, open a queue, run a simulation, open the
allocation dashboard; each screen is saved to docs/screenshots/.
"""
import uuid

from browser_helpers import login, open_action, screenshot


def test_admin_creates_a_rule_in_its_form(page, odoo_server, screenshots):
    name = "浙江政企客户 %s" % uuid.uuid4().hex[:4]
    login(page, odoo_server)
    open_action(page, odoo_server, "sales_allocation.sales_allocation_rule_action")
    page.click(".o_list_button_add")
    page.wait_for_selector(".o_form_view.o_form_editable")
    page.fill(".o_field_widget[name=name] input, input.o_field_widget[name=name]", name)
    # Target: the salesperson radio, then pick the rep.
    page.click(".o_field_radio[name=target_type] input[data-value=user]")
    user_input = page.locator(".o_field_widget[name=user_id] input")
    user_input.fill("张伟")
    page.click(".ui-autocomplete li:has-text('张伟')")
    page.select_option(".o_field_widget[name=customer_type]", label="Company")
    screenshot(page, screenshots / "rule-form.png")
    page.click(".o_form_button_save")
    page.wait_for_selector(".o_form_view.o_form_readonly")
    rules = odoo_server.execute("sales.allocation.rule", "search_read",
                                [("name", "=", name)],
                                ["target_type", "user_id", "customer_type"])
    assert len(rules) == 1
    assert rules[0]["target_type"] == "user"
    assert rules[0]["user_id"][1] == "张伟"
    assert rules[0]["customer_type"] == "company"
    # A lead of a company now goes to him, by that rule.
    odoo_server.execute("sales.allocation.rule", "write", [rules[0]["id"]], {"sequence": 0})
    lead_id = odoo_server.execute("crm.lead", "create", {
        "name": "browser rule check", "partner_name": "某集团有限公司"})
    [lead] = odoo_server.execute("crm.lead", "read", [lead_id],
                                 ["user_id", "allocation_rule_id"])
    assert lead["user_id"][1] == "张伟"
    assert lead["allocation_rule_id"][0] == rules[0]["id"]
    odoo_server.execute("sales.allocation.rule", "write", [rules[0]["id"]],
                        {"active": False})
    assert page.js_errors == []


def test_queue_form_shows_members_and_rotation(page, odoo_server, screenshots):
    login(page, odoo_server)
    open_action(page, odoo_server, "sales_allocation.sales_allocation_queue_action")
    page.click(".o_list_view td:has-text('华东轮询')")
    page.wait_for_selector(".o_form_view .o_field_one2many[name=member_ids] tr.o_data_row")
    members = page.locator(".o_field_one2many[name=member_ids] tr.o_data_row")
    assert members.count() == 3
    assert "李娜" in members.nth(1).inner_text()
    screenshot(page, screenshots / "queue-form.png")
    assert page.js_errors == []


def test_admin_runs_a_simulation(page, odoo_server, screenshots):
    log_count = odoo_server.execute("sales.allocation.log", "search_count", [])
    login(page, odoo_server)
    open_action(page, odoo_server, "sales_allocation.sales_allocation_simulation_action")
    page.wait_for_selector(".modal-dialog .o_form_view")
    page.click(".modal-footer button[name=action_run]")
    page.wait_for_selector(".modal-dialog .o_field_one2many[name=rep_ids] tr.o_data_row")
    lead_count = odoo_server.execute("crm.lead", "search_count", [])
    assert str(lead_count) in page.locator(
        ".modal-dialog .o_field_widget[name=lead_count]").inner_text()
    screenshot(page, screenshots / "simulation.png")
    # A dry run: nothing was logged.
    assert odoo_server.execute("sales.allocation.log", "search_count", []) == log_count
    assert page.js_errors == []


def test_allocation_dashboard(page, odoo_server, screenshots):
    login(page, odoo_server)
    open_action(page, odoo_server, "sales_allocation.sales_allocation_report_action")
    page.wait_for_selector(".o_pivot table")
    assert "张伟" in page.locator(".o_pivot table").inner_text()
    screenshot(page, screenshots / "dashboard.png")
    page.click(".o_cp_switch_graph")
    page.wait_for_selector(".o_graph_svg_container svg, .o_graph_container svg")
    screenshot(page, screenshots / "dashboard-graph.png")
    assert page.js_errors == []


def test_admin_creates_a_queue_with_members_in_its_form(page, odoo_server, screenshots):
    name = "杭州电销轮询 %s" % uuid.uuid4().hex[:4]
    login(page, odoo_server)
    open_action(page, odoo_server, "sales_allocation.sales_allocation_queue_action")
    page.click(".o_list_button_add")
    page.wait_for_selector(".o_form_view.o_form_editable")
    page.fill("input.o_field_widget[name=name], .o_field_widget[name=name] input", name)
    page.click(".o_field_radio[name=strategy] input[data-value=weighted]")
    members = ".o_field_one2many[name=member_ids]"
    for index, (login_name, weight) in enumerate((("李娜", "1"), ("王芳", "2"))):
        page.click(members + " .o_field_x2many_list_row_add a")
        # The new row, once it is the one being edited (the previous one is saved).
        row = page.locator(members + " tr.o_data_row").nth(index)
        page.wait_for_selector(
            members + " tr.o_data_row:nth-child(%d).o_selected_row" % (index + 1))
        row.locator(".o_field_widget[name=user_id] input").fill(login_name)
        page.click(".ui-autocomplete li:has-text('%s')" % login_name)
        page.wait_for_selector(".ui-autocomplete", state="hidden")
        weight_input = row.locator(
            "input.o_field_widget[name=weight], .o_field_widget[name=weight] input")
        weight_input.fill(weight)
        # Commit the value (the field widget applies it on change) before leaving the row.
        weight_input.press("Tab")
        page.wait_for_selector(".o_loading", state="hidden")
        assert weight_input.input_value() == weight
    page.click(".o_form_button_save")
    page.wait_for_selector(".o_form_view.o_form_readonly")
    [queue] = odoo_server.execute("sales.allocation.queue", "search_read",
                                  [("name", "=", name)], ["strategy", "member_ids"])
    assert queue["strategy"] == "weighted"
    rows = odoo_server.execute("sales.allocation.queue.member", "read",
                               queue["member_ids"], ["user_id", "weight"])
    assert sorted((row["user_id"][1], row["weight"]) for row in rows) == [
        ("李娜", 1), ("王芳", 2)]
    assert page.js_errors == []
