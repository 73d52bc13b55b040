# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Follow-up on assignment (issue 13, item 4): a rule schedules an activity for the
new owner, due in working hours of his calendar, without one ORM create per lead."""
from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import ValidationError

from .common import AllocationCase


class TestFollowup(AllocationCase):

    @classmethod
    def setUpClass(cls):
        super(TestFollowup, cls).setUpClass()
        cls.call = cls.env.ref("mail.mail_activity_data_call")

    def _activities(self, leads):
        return self.env["mail.activity"].search(
            [("res_model", "=", "crm.lead"), ("res_id", "in", leads.ids),
             ("activity_type_id", "=", self.call.id)], order="res_id")

    def test_the_rule_schedules_the_first_call_for_each_new_owner(self):
        self._rule("Call them", queue=self.seq_queue, activity_type_id=self.call.id,
                   activity_summary="First call")
        leads = self._leads(3)
        activities = self._activities(leads)
        self.assertEqual(activities.mapped("res_id"), leads.ids)
        self.assertEqual(activities.mapped("user_id"), self.reps)
        self.assertEqual(set(activities.mapped("summary")), {"First call"})
        # Due the day of the assignment, in the owner's zone (none set: UTC).
        self.assertEqual(set(activities.mapped("date_deadline")),
                         {fields.Date.to_string(datetime.utcnow().date())})
        leads.invalidate_cache()
        self.assertEqual(leads[0].activity_user_id, self.rep_a)
        # The system's activity is not the owner's first touch.
        self.assertEqual(leads[0].allocation_state, "allocated")

    def test_due_in_working_hours_skips_the_days_off(self):
        # Rep A works on the weekday after tomorrow only, 9 to 18.
        later = (datetime.utcnow() + timedelta(days=2)).date()
        calendar = self.env["resource.calendar"].create({
            "name": "SA later", "attendance_ids": [(0, 0, {
                "name": "Later", "dayofweek": str(later.weekday()), "hour_from": 9.0,
                "hour_to": 18.0})]})
        self.env["resource.resource"].create({
            "name": "Rep A", "user_id": self.rep_a.id, "calendar_id": calendar.id})
        self.rep_a.partner_id.tz = "UTC"
        self._rule("Call within 4 hours", user=self.rep_a, activity_type_id=self.call.id,
                   activity_due_hours=4)
        lead = self._lead()
        self.assertEqual(self._activities(lead).date_deadline,
                         fields.Date.to_string(later))

    def test_a_rule_without_activity_schedules_none(self):
        self._rule("Quiet", queue=self.seq_queue)
        self.assertFalse(self._activities(self._leads(2)))

    def test_a_negative_due_time_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "negative number of hours"):
            self._rule("Bad", queue=self.seq_queue, activity_type_id=self.call.id,
                       activity_due_hours=-1)
