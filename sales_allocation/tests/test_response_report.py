# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The speed-to-lead report (issue 13) on real PostgreSQL: two assignments with a
30-minute deadline, one answered in 10 minutes, one lapsed and reassigned; the rows,
their exact minutes and the share answered within the deadline, read through the
report model."""
from datetime import datetime, timedelta

from odoo import fields

from .common import AllocationCase
from .test_working_hours import ROUND_THE_CLOCK


class TestResponseReport(AllocationCase):

    @classmethod
    def setUpClass(cls):
        super(TestResponseReport, cls).setUpClass()
        cls.always = cls.env["resource.calendar"].create(
            {"name": "SA always", "attendance_ids": ROUND_THE_CLOCK})
        cls.seq_queue.write({"respect_working_hours": True,
                             "resource_calendar_id": cls.always.id})
        cls.response = cls.env["sales.allocation.response"]
        cls.Report = cls.env["sales.allocation.response.report"]

    def _assigned_at(self, lead):
        return fields.Datetime.from_string(self._logs(lead, "assigned").date)

    def test_minutes_to_first_response_and_share_within_the_deadline(self):
        rule = self._rule("Answer fast", queue=self.seq_queue, response_minutes=30,
                          response_grace_minutes=15)
        answered = self._lead("Answered lead")
        lapsed = self._lead("Lapsed lead")
        self.assertEqual(self._owners(answered | lapsed), [self.rep_a.id, self.rep_b.id])
        # Rep A answers 10 minutes after the assignment (a note through the real path
        # restarts his clock; here the same hook with the moment given).
        assigned = self._assigned_at(answered)
        answered.sudo(self.rep_a)._pool_touch_owner(now=assigned + timedelta(minutes=10))
        # A later touch is not the first response.
        answered.sudo(self.rep_a)._pool_touch_owner(now=assigned + timedelta(minutes=50))
        # Rep B never answers: warned at the deadline, reassigned after the grace period.
        lapsed.invalidate_cache()
        due = fields.Datetime.from_string(lapsed.response_deadline)
        self.assertEqual(self.response.run(now=due)["warned"], 1)
        moved_at = due + timedelta(minutes=15)
        self.assertEqual(self.response.run(now=moved_at)["reassigned"], 1)
        self.assertEqual(self._db_owner(lapsed), self.rep_c.id)

        rows = self.Report.search([("lead_id", "in", (answered | lapsed).ids)],
                                  order="id")
        self.assertEqual(
            [(row.lead_id, row.user_id, row.rule_id, row.queue_id, row.event,
              row.response_minutes, row.answered_in_time, row.state, row.lapsed,
              row.reassigned) for row in rows],
            [(answered, self.rep_a, rule, self.seq_queue, "assigned", 10.0, True,
              "in_time", False, False),
             (lapsed, self.rep_b, rule, self.seq_queue, "assigned", 0.0, False,
              "lapsed", True, True),
             (lapsed, self.rep_c, rule, self.seq_queue, "reassigned", 0.0, False,
              "running", False, False)])
        self.assertEqual(rows[0].assigned_date, fields.Datetime.to_string(assigned))
        self.assertEqual(rows[0].response_date,
                         fields.Datetime.to_string(assigned + timedelta(minutes=10)))
        self.assertFalse(rows[1].response_date)
        self.assertEqual(rows[1].deadline, fields.Datetime.to_string(due))
        # Rep C's own 30 minutes started with the reassignment.
        self.assertEqual((rows[2].assigned_date, rows[2].deadline, rows[2].deadline_minutes),
                         (fields.Datetime.to_string(moved_at),
                          fields.Datetime.to_string(moved_at + timedelta(minutes=30)),
                          30.0))
        # The share within the deadline counts the decided deadlines only: 1 of 2.
        total = self.Report.read_group(
            [("lead_id", "in", (answered | lapsed).ids)],
            ["nbr", "in_time_rate", "response_minutes"], [])
        self.assertEqual((total[0]["nbr"], total[0]["in_time_rate"]), (3, 50.0))
        per_rep = self.Report.read_group(
            [("lead_id", "in", (answered | lapsed).ids)],
            ["user_id", "nbr", "in_time_rate", "response_minutes"], ["user_id"],
            orderby="user_id")
        self.assertEqual(
            [(group["user_id"][0], group["nbr"], group["in_time_rate"],
              group["response_minutes"]) for group in per_rep],
            # Odoo's read_group shows an empty average (no decided deadline, no
            # response) as False.
            [(self.rep_a.id, 1, 100.0, 10.0), (self.rep_b.id, 1, 0.0, False),
             (self.rep_c.id, 1, False, False)])

    def test_a_late_first_response_is_recorded_as_late(self):
        self._rule("Answer fast", queue=self.seq_queue, response_minutes=30,
                   response_grace_minutes=15)
        lead = self._lead("Late lead")
        assigned = self._assigned_at(lead)
        lead.invalidate_cache()
        due = fields.Datetime.from_string(lead.response_deadline)
        self.assertEqual(self.response.run(now=due)["warned"], 1)
        # Inside the grace period: answered, 40 minutes after the assignment.
        lead.sudo(self.rep_a)._pool_touch_owner(now=assigned + timedelta(minutes=40))
        row = self.Report.search([("lead_id", "=", lead.id)])
        self.assertEqual((row.user_id, row.response_minutes, row.answered_in_time,
                          row.state, row.lapsed, row.reassigned, row.in_time_rate),
                         (self.rep_a, 40.0, False, "late", True, False, 0.0))

    def test_the_owners_note_records_the_first_response(self):
        self._rule("Answer fast", queue=self.seq_queue, response_minutes=30)
        lead = self._lead("Noted lead")
        before = datetime.utcnow().replace(microsecond=0)
        # Someone else's note is not a response.
        lead.message_post(body="Not mine", message_type="comment")
        self.assertFalse(self.Report.search([("lead_id", "=", lead.id)]).response_date)
        lead.sudo(self.rep_a).message_post(body="Called", message_type="comment")
        row = self.Report.search([("lead_id", "=", lead.id)])
        self.assertEqual(row.state, "in_time")
        answered_at = fields.Datetime.from_string(row.response_date)
        self.assertTrue(before <= answered_at <= datetime.utcnow())
