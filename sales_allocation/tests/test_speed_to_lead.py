# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Speed-to-lead (issue 13, item 3): a first-response deadline in working minutes,
cleared by the owner's first touch; past it the owner is warned once, then the lead
goes to the next member of the queue who is at work, logged ``reassigned``."""
from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import ValidationError

from .common import AllocationCase
from .test_working_hours import ROUND_THE_CLOCK


class TestSpeedToLead(AllocationCase):

    @classmethod
    def setUpClass(cls):
        super(TestSpeedToLead, cls).setUpClass()
        cls.always = cls.env["resource.calendar"].create(
            {"name": "SA always", "attendance_ids": ROUND_THE_CLOCK})
        cls.seq_queue.write({"respect_working_hours": True,
                             "resource_calendar_id": cls.always.id})
        cls.response = cls.env["sales.allocation.response"]

    def _timed_rule(self, minutes=30, grace=15):
        return self._rule("Answer fast", queue=self.seq_queue, response_minutes=minutes,
                          response_grace_minutes=grace)

    def _deadline(self, lead):
        lead.invalidate_cache()
        return fields.Datetime.from_string(lead.response_deadline) \
            if lead.response_deadline else None

    def test_the_rule_sets_a_deadline_in_working_minutes_of_the_owner(self):
        rule = self._timed_rule(30)
        # Rep B works on the weekday after tomorrow only: his 30 minutes start then.
        later = (datetime.utcnow() + timedelta(days=2)).weekday()
        calendar = self.env["resource.calendar"].create({
            "name": "SA later", "attendance_ids": [(0, 0, {
                "name": "Later", "dayofweek": str(later), "hour_from": 9.0,
                "hour_to": 18.0})]})
        self.env["resource.resource"].create({
            "name": "Rep B", "user_id": self.rep_b.id, "calendar_id": calendar.id})
        self.rep_b.partner_id.tz = "UTC"
        before = datetime.utcnow().replace(microsecond=0)
        lead = self._lead()
        self.assertEqual(self._db_owner(lead), self.rep_a.id)
        deadline = self._deadline(lead)
        self.assertTrue(before + timedelta(minutes=30) <= deadline
                        <= datetime.utcnow() + timedelta(minutes=30, seconds=1))
        self.assertEqual(lead.response_user_id, self.rep_a)
        # Rep B is off shift now: Rep C gets the next lead... and Rep B's own calendar
        # counts for a lead given to him by a rule without queue hours.
        rule.queue_id.respect_working_hours = False
        self._lead()  # Rep B's turn
        lead_b = self.Lead.search([("user_id", "=", self.rep_b.id)], limit=1)
        deadline_b = self._deadline(lead_b)
        self.assertEqual(deadline_b.weekday(), later)
        self.assertEqual((deadline_b.hour, deadline_b.minute), (9, 30))

    def test_a_rule_without_deadline_sets_none(self):
        self._rule("No hurry", queue=self.seq_queue)
        self.assertIsNone(self._deadline(self._lead()))

    def test_the_owners_first_touch_clears_the_deadline(self):
        self._timed_rule()
        lead = self._lead()
        self.assertTrue(self._deadline(lead))
        # Someone else's note (a manager's) does not count...
        lead.message_post(body="Not mine", message_type="comment")
        self.assertTrue(self._deadline(lead))
        # ...the owner's does.
        lead.sudo(self.rep_a).message_post(body="Called", message_type="comment")
        self.assertIsNone(self._deadline(lead))

    def test_past_the_deadline_warn_once_then_reassign_to_the_next_at_work(self):
        self._timed_rule(30, grace=15)
        lead = self._lead()
        self.assertEqual(self._db_owner(lead), self.rep_a.id)
        # Rep B is on leave: the lead skips him.
        resource = self.env["resource.resource"].create({
            "name": "Rep B", "user_id": self.rep_b.id, "calendar_id": self.always.id})
        now = datetime.utcnow()
        self.env["resource.calendar.leaves"].create({
            "name": "SA leave", "resource_id": resource.id,
            "calendar_id": self.always.id, "date_from": now - timedelta(days=1),
            "date_to": now + timedelta(days=3)})
        due = self._deadline(lead)
        self.team.user_id = self.rep_d
        # Before the deadline: nothing.
        self.assertEqual(self.response.run(now=due - timedelta(minutes=1))["warned"], 0)
        # At the deadline: warned once, an activity for the owner.
        result = self.response.run(now=due)
        self.assertEqual((result["warned"], result["reassigned"]), (1, 0))
        self.assertEqual(self.response.run(now=due + timedelta(minutes=5))["warned"], 0)
        lead.invalidate_cache()
        activity = lead.activity_ids.filtered(
            lambda act: act.activity_type_id == self.env.ref(
                "sales_allocation.mail_activity_type_first_response"))
        self.assertEqual(activity.user_id, self.rep_a)
        self.assertEqual(self._logs(lead, "warned").user_id, self.rep_a)
        # The queue's team leader hears of it, once per run.
        note = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.rep_d.partner_id.id),
             ("body", "ilike", "got no first response in time")])
        self.assertEqual(len(note), 1)
        self.assertIn(lead.name, note.body)
        # After the grace period: to Rep C (Rep B is on leave), never back to Rep A.
        result = self.response.run(now=due + timedelta(minutes=15))
        self.assertEqual(result["reassigned"], 1)
        self.assertEqual(self._db_owner(lead), self.rep_c.id)
        log = self._logs(lead, "reassigned")
        self.assertEqual((log.previous_user_id, log.user_id, log.queue_id),
                         (self.rep_a, self.rep_c, self.seq_queue))
        self.assertIn("No first response in 30 working minutes.", log.reason)
        # Rep C has his own 30 minutes now; when he lapses too, neither A nor B (on
        # leave) can take it: it stays with him until a shift starts.
        deadline_c = self._deadline(lead)
        self.assertEqual(lead.response_user_id, self.rep_c)
        self.response.run(now=deadline_c)
        result = self.response.run(now=deadline_c + timedelta(minutes=15))
        self.assertEqual(result["reassigned"], 0)
        self.assertEqual(self._db_owner(lead), self.rep_c.id)
        self.assertTrue(self._deadline(lead))

    def test_a_lead_that_changed_hands_is_left_alone(self):
        self._timed_rule()
        lead = self._lead()
        due = self._deadline(lead)
        lead.user_id = self.rep_d
        result = self.response.run(now=due + timedelta(hours=1))
        self.assertEqual((result["warned"], result["cleared"]), (0, 1))
        self.assertIsNone(self._deadline(lead))
        self.assertEqual(self._db_owner(lead), self.rep_d.id)

    def test_caps_hold_across_batches_of_the_run(self):
        """Open leads per rep are counted once per run and carried from batch to
        batch: with batches of one lead, each pick sees the moves before it."""
        self._timed_rule(30, grace=15)
        self.seq_queue.member_ids.write({"max_open_leads": 2})
        leads = self._leads(5)
        self.assertEqual(self._owners(leads), [self.rep_a.id, self.rep_b.id,
                                               self.rep_c.id, self.rep_a.id,
                                               self.rep_b.id])
        due = max(self._deadline(lead) for lead in leads)
        self.env["ir.config_parameter"].sudo().set_param(
            "sales_allocation.response_batch_size", "1")
        self.assertEqual(self.response.run(now=due)["warned"], 5)
        result = self.response.run(now=due + timedelta(minutes=15))
        self.assertEqual(result["reassigned"], 5)
        # A 2, B 2, C 1 open leads, Rep B last served: each lead goes to the next rep
        # after the last one who is under his cap, never back to its owner. Counts
        # not brought up to date would see Rep A at his cap for the second lead.
        self.assertEqual(self._owners(leads), [self.rep_c.id, self.rep_a.id,
                                               self.rep_b.id, self.rep_c.id,
                                               self.rep_a.id])

    def test_the_deadline_is_written_with_the_owner_on_his_log_row(self):
        """The ledger writes a deadline in the statement that moves the owner: the
        lead points to that move's log row, which carries the same deadline; a new
        owner given by a rule without deadline ends it."""
        rule = self._timed_rule(30, grace=15)
        lead = self._lead()
        assigned = self._logs(lead, "assigned")
        self.assertEqual(lead.response_log_id, assigned)
        self.assertEqual(assigned.response_deadline, lead.response_deadline)
        self.assertTrue(lead.response_deadline)
        due = self._deadline(lead)
        self.response.run(now=due)
        self.assertEqual(self.response.run(now=due + timedelta(minutes=15))["reassigned"],
                         1)
        lead.invalidate_cache()
        reassigned = self._logs(lead, "reassigned")
        self.assertEqual(len(reassigned), 1)
        self.assertEqual(lead.response_log_id, reassigned)
        self.assertEqual(reassigned.response_deadline, lead.response_deadline)
        self.assertEqual(lead.response_user_id.id, self._db_owner(lead))
        self.assertFalse(lead.response_warned)
        self.assertGreater(self._deadline(lead), due)
        assigned.invalidate_cache()
        self.assertTrue(assigned.response_lapsed and assigned.response_reassigned)
        self.assertFalse(reassigned.response_lapsed or reassigned.response_reassigned)
        # The rule drops its deadline; the lead goes to the next rep through it.
        rule.response_minutes = 0
        owner = self._db_owner(lead)
        lead.action_allocate()
        self.assertNotEqual(self._db_owner(lead), owner)
        lead.invalidate_cache()
        self.assertFalse(lead.response_deadline or lead.response_log_id
                         or lead.response_user_id)
        self.assertFalse(self._logs(lead)[-1].response_deadline)

    def test_a_negative_deadline_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "above 0"):
            self._timed_rule(-5)
