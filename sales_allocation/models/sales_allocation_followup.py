# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Follow-up on assignment: ``sales.allocation.followup.schedule``.

When a rule with a follow-up activity gives leads to new owners, one activity per lead
is inserted set-based (``sales.allocation.reclaim._insert_warnings``: a per-lead
``mail.activity.create`` costs about a hundred queries), due in the rule's working
hours of the owner's calendar, on the owner's local date.
"""
from collections import defaultdict
from datetime import timedelta

from odoo import api, models

from ..dates import to_datetime
from ..engine import worktime
from ..sql import int_array


class SalesAllocationFollowup(models.AbstractModel):
    _name = "sales.allocation.followup"
    _description = "Lead allocation: follow-up activities"

    @api.model
    def schedule(self, decisions, previous, now, calendars=None):
        """Schedule the rules' follow-up activities for the leads ``decisions`` give
        to a new owner; returns the number of activities. ``calendars``: those the
        turns built for the same moment (``QueueSet.calendars``), reused."""
        with_activity = self.env["sales.allocation.rule"]._feature_rule_ids()["activity"]
        given = [decision for decision in decisions
                 if decision.rule_id in with_activity and decision.user_id
                 and decision.user_id != previous.get(decision.lead_id)]
        if not given:
            return 0
        cr = self.env.cr
        cr.execute("""
            SELECT r.id, r.activity_type_id, r.activity_due_hours,
                   COALESCE(r.activity_summary, t.summary, t.name)
              FROM sales_allocation_rule r
              JOIN mail_activity_type t ON t.id = r.activity_type_id
             WHERE r.id = ANY(%s::int[])
        """, [int_array(sorted({decision.rule_id for decision in given}))])
        rules = {row[0]: row[1:] for row in cr.fetchall()}
        given = [decision for decision in given if decision.rule_id in rules]
        if not given:
            return 0
        now = to_datetime(now)
        cr.execute("SELECT id, name FROM crm_lead WHERE id = ANY(%s::int[])",
                   [int_array([decision.lead_id for decision in given])])
        names = dict(cr.fetchall())
        calendars = self.env["sales.allocation.worktime"].owner_calendars(
            {(decision.user_id, decision.queue_id) for decision in given}, now,
            calendars)
        due_dates, rows = {}, defaultdict(list)
        for decision in given:
            type_id, hours, summary = rules[decision.rule_id]
            calendar = calendars[(decision.user_id, decision.queue_id)][0]
            key = (id(calendar), hours)
            if key not in due_dates:
                due_dates[key] = self._due_date(calendar, now, hours)
            rows[type_id].append((decision.lead_id, names.get(decision.lead_id) or "",
                                  decision.user_id, due_dates[key], summary or "", None))
        reclaim = self.env["sales.allocation.reclaim"]
        types = self.env["mail.activity.type"].browse(list(rows))
        for activity_type in types:
            reclaim._insert_warnings(rows[activity_type.id], now,
                                     activity_type=activity_type)
        return sum(map(len, rows.values()))

    @staticmethod
    def _due_date(calendar, now, hours):
        """The owner's local date ``hours`` working hours after ``now`` (today for 0,
        or when he has no working time at all)."""
        due = now
        if hours > 0:
            try:
                due = worktime.add_working_minutes(calendar, now, hours * 60)
            except ValueError:
                due = now + timedelta(hours=hours)
        return calendar.zone.to_local(due).date()
