"""Working hours in a real browser (issue 13): the admin records a leave for a rep in
the calendar's Leaves, and the next lead skips him.

A sequential queue that respects working hours, two reps on a round-the-clock calendar:
the first lead goes to rep A, the second to rep B. The admin opens the calendar (CRM
reps have no employee: their working time is a resource of Settings > Technical >
Resource), clicks its Leaves button and records a leave for rep A covering today. The
third lead, rep A's turn, goes to rep B, and its form's Allocation tab says why: rep A
was skipped, on leave. Screenshot docs/screenshots/rep_on_leave.png.
"""
import uuid
from datetime import datetime, timedelta

from browser_helpers import login, open_record, pick, screenshot, wait_saved, xmlid

ROUND_THE_CLOCK = [(0, 0, {"name": "Day %d" % day, "dayofweek": str(day),
                           "hour_from": 0.0, "hour_to": 24.0}) for day in range(7)]


def _resource(odoo_server, user_id, calendar_id):
    """The rep's working-time resource on ``calendar_id``, with no leave left from an
    earlier run on this database."""
    resources = odoo_server.execute("resource.resource", "search",
                                    [("user_id", "=", user_id)])
    if resources:
        odoo_server.execute("resource.resource", "write", resources,
                            {"calendar_id": calendar_id})
        leaves = odoo_server.execute("resource.calendar.leaves", "search",
                                     [("resource_id", "in", resources)])
        if leaves:
            odoo_server.execute("resource.calendar.leaves", "unlink", leaves)
        return resources[0]
    [name] = odoo_server.execute("res.users", "read", [user_id], ["name"])
    return odoo_server.execute("resource.resource", "create", {
        "name": name["name"], "user_id": user_id, "calendar_id": calendar_id,
        "resource_type": "user"})


def _datetime_format(odoo_server):
    """The admin's date and time format (what the datetime fields read)."""
    [admin] = odoo_server.execute("res.users", "read", [odoo_server.uid], ["lang"])
    [lang] = odoo_server.execute("res.lang", "search_read", [("code", "=", admin["lang"])],
                                 ["date_format", "time_format"])
    return "%s %s" % (lang["date_format"], lang["time_format"])


def _owner(odoo_server, lead_id):
    [lead] = odoo_server.execute("crm.lead", "read", [lead_id], ["user_id"])
    return lead["user_id"] and lead["user_id"][0]


def test_a_rep_on_leave_in_the_ui_is_skipped_by_the_next_lead(
        page, odoo_server, screenshots):
    tag = uuid.uuid4().hex[:6]
    rep_a = xmlid(odoo_server, "sales_allocation.res_users_chenjing_demo")
    rep_b = xmlid(odoo_server, "sales_allocation.res_users_yanglei_demo")
    calendar_id = odoo_server.execute("resource.calendar", "create", {
        "name": "全天候 %s" % tag, "attendance_ids": ROUND_THE_CLOCK})
    resource_a = _resource(odoo_server, rep_a, calendar_id)
    _resource(odoo_server, rep_b, calendar_id)
    queue_id = odoo_server.execute("sales.allocation.queue", "create", {
        "name": "值班轮询 %s" % tag, "strategy": "sequential",
        "respect_working_hours": True, "resource_calendar_id": calendar_id,
        "member_ids": [(0, 0, {"user_id": rep_a, "sequence": 1}),
                       (0, 0, {"user_id": rep_b, "sequence": 2})]})
    rule_id = odoo_server.execute("sales.allocation.rule", "create", {
        "name": "值班规则 %s" % tag, "sequence": 1, "target_type": "queue",
        "queue_id": queue_id, "match_policy": "ignore",
        "domain": "[('name', 'ilike', '%s')]" % tag})

    def new_lead(number):
        return odoo_server.execute("crm.lead", "create", {
            "name": "在线咨询 %s #%d" % (tag, number), "type": "lead"})

    try:
        # Both at work: the rotation serves A, then B.
        assert _owner(odoo_server, new_lead(1)) == rep_a
        assert _owner(odoo_server, new_lead(2)) == rep_b

        # The admin records A's leave: the calendar's Leaves button, Create.
        login(page, odoo_server)
        open_record(page, odoo_server, "resource.calendar", calendar_id,
                    action_xmlid="resource.action_resource_calendar_form")
        page.click(".o_form_view .oe_button_box button:has-text('Leaves')")
        page.wait_for_selector(".o_list_view")
        page.click(".o_list_button_add")
        page.wait_for_selector(".o_form_view.o_form_editable")
        page.fill(".o_field_widget[name=name]", "年假 %s" % tag)
        pick(page, ".o_form_view", "resource_id", "陈静")
        # From yesterday's midnight to midnight in three days, in the browser's time
        # zone: today is covered whatever that zone is.
        fmt = _datetime_format(odoo_server)
        today = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
        for field, moment in (("date_from", today - timedelta(days=1)),
                              ("date_to", today + timedelta(days=3))):
            date_input = page.locator(".o_field_widget[name=%s] input" % field)
            date_input.fill(moment.strftime(fmt))
            date_input.press("Tab")
        page.click(".o_form_button_save")
        wait_saved(page)
        leaves = odoo_server.execute("resource.calendar.leaves", "search_read", [
            ("name", "=", "年假 %s" % tag)], ["resource_id", "calendar_id"])
        assert len(leaves) == 1
        assert leaves[0]["resource_id"][0] == resource_a
        assert leaves[0]["calendar_id"][0] == calendar_id

        # A's turn, but A is on leave: the lead goes to B.
        lead_id = new_lead(3)
        assert _owner(odoo_server, lead_id) == rep_b

        # What the admin sees on the lead: B, and why A was passed over.
        open_record(page, odoo_server, "crm.lead", lead_id,
                    action_xmlid="crm.crm_lead_all_leads")
        assert "杨磊" in page.locator(".o_field_widget[name=user_id]").inner_text()
        page.click(".o_notebook .nav-tabs a:has-text('Allocation')")
        reason = page.locator(".o_field_widget[name=allocation_reason]")
        reason.wait_for()
        text = reason.inner_text()
        assert "值班轮询 %s" % tag in text
        assert "Skipped 陈静: on leave" in text
        assert "chose 杨磊" in text
        log = page.locator(".o_field_one2many[name=allocation_log_ids] tr.o_data_row")
        assert log.count() == 1
        assert "Skipped 陈静: on leave" in log.first.inner_text()
        screenshot(page, screenshots / "rep_on_leave.png")
        assert page.js_errors == []
    finally:
        odoo_server.execute("sales.allocation.rule", "write", [rule_id], {"active": False})
