# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Daily and weekly caps of new leads for queue members (issue 14)."""
from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import ValidationError

from ..models.sales_allocation_queue_member import day_and_week_start
from .common import AllocationCase


class TestNewCaps(AllocationCase):

    def setUp(self):
        super(TestNewCaps, self).setUp()
        self._rule("SA caps: all to the rotation", queue=self.seq_queue)

    def _log_given(self, user, when, count=1):
        for _index in range(count):
            lead = self.Lead.sudo().with_context(sales_allocation_skip=True).create(
                {"name": "Earlier lead"})
            self.Log.sudo().create({
                "lead_id": lead.id, "user_id": user.id, "event": "assigned",
                "date": fields.Datetime.to_string(when), "reason": "earlier"})

    def test_a_member_at_his_daily_cap_is_skipped_and_the_reason_says_so(self):
        self._member(self.seq_queue, self.rep_a).max_new_per_day = 1
        leads = self._leads(4)
        self.assertEqual(len(leads.filtered(lambda lead: lead.user_id == self.rep_a)), 1)
        capped = leads.filtered(lambda lead: lead.user_id != self.rep_a)[-1]
        self.assertIn("daily or weekly cap of new leads reached",
                      capped.allocation_reason)

    def test_leads_given_earlier_today_count(self):
        self.rep_a.tz = "UTC"
        self._member(self.seq_queue, self.rep_a).max_new_per_day = 2
        self._log_given(self.rep_a, datetime.utcnow() - timedelta(seconds=5), count=2)
        leads = self._leads(3)
        self.assertNotIn(self.rep_a, leads.mapped("user_id"))

    def test_the_weekly_cap_counts_the_whole_week(self):
        self.rep_b.tz = "UTC"
        member = self._member(self.seq_queue, self.rep_b)
        member.max_new_per_week = 1
        _day, week = day_and_week_start(datetime.utcnow(), "UTC")
        self._log_given(self.rep_b, week + timedelta(seconds=1))
        leads = self._leads(3)
        self.assertNotIn(self.rep_b, leads.mapped("user_id"))
        member.max_new_per_week = 0
        self.assertIn(self.rep_b, self._leads(3).mapped("user_id"))

    def test_days_and_weeks_start_at_midnight_in_the_reps_time_zone(self):
        # Wednesday 2026-03-04 17:00 UTC is Thursday 01:00 in Shanghai.
        now = datetime(2026, 3, 4, 17, 0)
        day, week = day_and_week_start(now, "Asia/Shanghai")
        self.assertEqual(day, datetime(2026, 3, 4, 16, 0))
        self.assertEqual(week, datetime(2026, 3, 1, 16, 0))  # Monday 2 March, 00:00
        day, week = day_and_week_start(now, "UTC")
        self.assertEqual((day, week), (datetime(2026, 3, 4), datetime(2026, 3, 2)))
        self.assertEqual(day_and_week_start(now, "Not/AZone"), (day, week))

    def test_negative_caps_are_refused(self):
        with self.assertRaises(ValidationError):
            self._member(self.seq_queue, self.rep_a).max_new_per_day = -1
