"""The README's Chinese screenshots (docs/screenshots/zh_CN/): the main screens as a
Chinese sales manager sees them, in a database whose administrator and demo users speak
zh_CN (`tools/db.sh create DB --lang=zh_CN`, or `make run LANG=zh_CN`):

    SA_BROWSER_DB=<that database> .venv-browser/bin/python -m pytest -q \\
        tests/browser/test_screenshots_zh.py

On a database without zh_CN (the English run of tests/browser) the language is loaded
and the users speak it for these tests only. Nothing else is changed but a dry-run
simulation's wizard.
"""
from pathlib import Path

import pytest

from browser_helpers import login, open_action, open_record, screenshot, xmlid

ZH = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "zh_CN"


@pytest.fixture(scope="module")
def zh(odoo_server):
    """The users speak zh_CN for this module's tests: the language is loaded into the
    database if it is not (as `make run LANG=zh_CN` does), and each user's own
    language is given back afterwards, for the English tests that follow."""
    users = odoo_server.execute("res.users", "search_read", [("share", "=", False)],
                                ["lang"])
    if not odoo_server.execute("res.lang", "search", [("code", "=", "zh_CN")]):
        wizard = odoo_server.execute("base.language.install", "create",
                                     {"lang": "zh_CN", "overwrite": False})
        odoo_server.execute("base.language.install", "lang_install", [wizard])
    speakers = [user["id"] for user in users if user["lang"] != "zh_CN"]
    odoo_server.execute("res.users", "write", speakers, {"lang": "zh_CN"})
    ZH.mkdir(parents=True, exist_ok=True)
    yield ZH
    for user in users:
        if user["id"] in speakers:
            odoo_server.execute("res.users", "write", [user["id"]], {"lang": user["lang"]})


def _chinese(page):
    """The web client speaks Chinese: the control panel (filters, buttons) says so."""
    menu = page.locator(".o_control_panel").first
    assert any("\u4e00" <= char <= "\u9fff" for char in menu.inner_text())


def test_zh_dashboard(page, odoo_server, zh):
    login(page, odoo_server)
    open_action(page, odoo_server, "sales_allocation.sales_allocation_report_action")
    page.wait_for_selector(".o_pivot table")
    assert "张伟" in page.locator(".o_pivot table").inner_text()
    _chinese(page)
    screenshot(page, zh / "dashboard.png")
    page.click(".o_cp_switch_graph")
    page.wait_for_selector(".o_graph_svg_container svg, .o_graph_container svg")
    screenshot(page, zh / "dashboard-graph.png")
    assert page.js_errors == []


def test_zh_fairness_and_territory(page, odoo_server, zh):
    login(page, odoo_server)
    for action, name in (
            ("sales_allocation.sales_allocation_fairness_report_action", "fairness"),
            ("sales_allocation.sales_allocation_territory_report_action", "territory")):
        open_action(page, odoo_server, action)
        screenshot(page, zh / ("%s.png" % name))
    assert page.js_errors == []


def test_zh_rule_form(page, odoo_server, zh):
    login(page, odoo_server)
    rule_id = xmlid(odoo_server, "sales_allocation.sales_allocation_rule_east_demo")
    open_record(page, odoo_server, "sales.allocation.rule", rule_id,
                "sales_allocation.sales_allocation_rule_action")
    _chinese(page)
    screenshot(page, zh / "rule-form.png")
    assert page.js_errors == []


def test_zh_queue_form(page, odoo_server, zh):
    login(page, odoo_server)
    queue_id = xmlid(odoo_server, "sales_allocation.sales_allocation_queue_east_demo")
    open_record(page, odoo_server, "sales.allocation.queue", queue_id,
                "sales_allocation.sales_allocation_queue_action")
    page.wait_for_selector(".o_form_view .o_field_one2many[name=member_ids] tr.o_data_row")
    screenshot(page, zh / "queue-form.png")
    assert page.js_errors == []


def test_zh_pool(page, odoo_server, zh):
    login(page, odoo_server, "zhangwei")
    open_action(page, odoo_server, "sales_allocation.crm_lead_action_pool_claimable")
    page.wait_for_selector(".o_kanban_record:has-text('华东公海')")
    assert page.locator("button:has-text('认领')").count()
    screenshot(page, zh / "pool-claimable.png")
    assert page.js_errors == []


def test_zh_matrix(page, odoo_server, zh):
    login(page, odoo_server)
    matrix_id = xmlid(odoo_server, "sales_allocation.sales_allocation_matrix_demo")
    open_record(page, odoo_server, "sales.allocation.matrix", matrix_id,
                "sales_allocation.sales_allocation_matrix_action")
    page.wait_for_selector(".o_sales_allocation_matrix_grid table.o_matrix_table")
    screenshot(page, zh / "matrix.png")
    assert page.js_errors == []


def test_zh_simulation(page, odoo_server, zh):
    login(page, odoo_server)
    open_action(page, odoo_server, "sales_allocation.sales_allocation_simulation_action")
    page.wait_for_selector(".modal-dialog .o_form_view")
    page.click(".modal-footer button[name=action_run]")
    page.wait_for_selector(".modal-dialog .o_field_one2many[name=rep_ids] tr.o_data_row")
    screenshot(page, zh / "simulation.png")
    assert page.js_errors == []
