# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Catch-up after absence (issue 13, item 2): ``sales.allocation.queue.catch_up``,
through crm.lead.create on PostgreSQL; the counts live in the queue's rotation row."""
from datetime import datetime, timedelta

from .common import AllocationCase
from .test_working_hours import ROUND_THE_CLOCK


class TestCatchUp(AllocationCase):

    @classmethod
    def setUpClass(cls):
        super(TestCatchUp, cls).setUpClass()
        cls.weighted = cls._queue("SA catch-up 3:1", "weighted", cls.rep_a | cls.rep_b,
                                  weights=[3, 1])
        cls.weighted.catch_up = True
        cls.least = cls._queue("SA catch-up least loaded", "least_loaded", cls.reps)
        cls.least.catch_up = True

    def _catch_up_state(self, queue):
        """{user id: [missed, credit, payback weight]} and the turn seat's weight, as
        stored in the queue's rotation row."""
        cr = self.env.cr
        cr.execute("SELECT catch_up FROM sales_allocation_rotation WHERE queue_id = %s",
                   [queue.id])
        state = dict(cr.fetchone()[0])
        turn = state.pop("turn", 0)
        users = {str(member.id): member.user_id.id for member in queue.member_ids}
        return {users[key]: value for key, value in state.items()}, turn

    def _away(self, queue, user, away=True):
        self._member(queue, user).available = not away

    # ------------------------------------------------------------------ weighted

    def test_weighted_rep_away_for_eight_leads_gets_two_back_gradually(self):
        self._rule("To the 3:1 queue", queue=self.weighted)
        a, b = self.rep_a.id, self.rep_b.id
        self._away(self.weighted, self.rep_b)
        away = self._leads(8, name="B away")
        self.assertEqual(self._owners(away), [a] * 8)
        self.assertIn("Skipped Rep B: unavailable.", self._last_log(away[0]).reason)
        # 8 leads x weight 1 / total weight 4: he missed 2.
        self.assertEqual(self._catch_up_state(self.weighted), ({b: [2, 0, 0]}, 0))
        self._away(self.weighted, self.rep_b, False)
        back = self._leads(12, name="B back")
        self.assertEqual(self._owners(back), [a, b, a, b, a, a, b, a, b, a, a, b])
        self.assertEqual(self._catch_up_state(self.weighted), ({}, 0))

    def test_weighted_without_catch_up_his_turns_are_gone(self):
        self.weighted.catch_up = False
        self._rule("To the 3:1 queue", queue=self.weighted)
        a, b = self.rep_a.id, self.rep_b.id
        self._away(self.weighted, self.rep_b)
        self.assertEqual(self._owners(self._leads(8, name="B away")), [a] * 8)
        self.assertEqual(self._catch_up_state(self.weighted), ({}, 0))
        self._away(self.weighted, self.rep_b, False)
        self.assertEqual(self._owners(self._leads(12, name="B back")),
                         [a, b, a, a, a, b, a, a, a, b, a, a])

    def test_a_rep_on_leave_counts_what_he_missed(self):
        always = self.env["resource.calendar"].create(
            {"name": "SA always", "attendance_ids": ROUND_THE_CLOCK})
        self.weighted.write({"respect_working_hours": True,
                             "resource_calendar_id": always.id})
        resource = self.env["resource.resource"].create(
            {"name": "Rep B", "user_id": self.rep_b.id, "calendar_id": always.id})
        now = datetime.utcnow()
        leave = self.env["resource.calendar.leaves"].create({
            "name": "SA leave", "resource_id": resource.id, "calendar_id": always.id,
            "date_from": now - timedelta(hours=1), "date_to": now + timedelta(days=3)})
        self._rule("To the 3:1 queue", queue=self.weighted)
        a, b = self.rep_a.id, self.rep_b.id
        away = self._leads(8, name="B on leave")
        self.assertEqual(self._owners(away), [a] * 8)
        self.assertIn("Skipped Rep B: on leave until", self._last_log(away[0]).reason)
        self.assertEqual(self._catch_up_state(self.weighted), ({b: [2, 0, 0]}, 0))
        leave.unlink()
        self.assertEqual(self._owners(self._leads(12, name="B back")),
                         [a, b, a, b, a, a, b, a, b, a, a, b])

    def test_a_rep_at_his_cap_is_not_away(self):
        self._rule("To the 3:1 queue", queue=self.weighted)
        self._member(self.weighted, self.rep_b).max_open_leads = 1
        a, b = self.rep_a.id, self.rep_b.id
        leads = self._leads(8)
        self.assertEqual(self._owners(leads), [a, b] + [a] * 6)
        self.assertIn("Skipped Rep B: ", self._last_log(leads[2]).reason)
        self.assertEqual(self._catch_up_state(self.weighted), ({}, 0))

    def test_turning_catch_up_off_forgets_what_is_owed(self):
        self._rule("To the 3:1 queue", queue=self.weighted)
        a, b = self.rep_a.id, self.rep_b.id
        self._away(self.weighted, self.rep_b)
        self._leads(8, name="B away")
        self.assertEqual(self._catch_up_state(self.weighted), ({b: [2, 0, 0]}, 0))
        self._away(self.weighted, self.rep_b, False)
        self.weighted.catch_up = False
        self.assertEqual(self._owners(self._lead(name="Off")), [a])
        self.assertEqual(self._catch_up_state(self.weighted), ({}, 0))
        self.weighted.catch_up = True
        self.assertEqual(self._owners(self._leads(8, name="On again")),
                         [b, a, a, a, b, a, a, a])

    def test_reset_rotation_forgets_what_is_owed(self):
        self._rule("To the 3:1 queue", queue=self.weighted)
        self._away(self.weighted, self.rep_b)
        self._leads(4, name="B away")
        self.assertEqual(self._catch_up_state(self.weighted),
                         ({self.rep_b.id: [1, 0, 0]}, 0))
        self.weighted.action_reset_rotation()
        self.assertEqual(self._catch_up_state(self.weighted), ({}, 0))

    # ------------------------------------------------------------------ least loaded

    def test_least_loaded_rep_back_is_caught_up_gradually(self):
        self._rule("To the least-loaded queue", queue=self.least)
        a, b, c = self.reps.ids
        self._away(self.least, self.rep_b)
        self.assertEqual(self._owners(self._leads(6, name="B away")),
                         [a, c, a, c, a, c])
        self.assertEqual(self._catch_up_state(self.least), ({b: [3, 0, 0]}, 0))
        self._away(self.least, self.rep_b, False)
        back = self._leads(12, name="B back")
        self.assertEqual(self._owners(back), [a, b, c, b, c, a, b, b, c, a, b, b])
        self.assertEqual(self._catch_up_state(self.least), ({}, 0))

    def test_least_loaded_without_catch_up_floods_him_until_level(self):
        self.least.catch_up = False
        self._rule("To the least-loaded queue", queue=self.least)
        a, b, c = self.reps.ids
        self._away(self.least, self.rep_b)
        self.assertEqual(self._owners(self._leads(6, name="B away")),
                         [a, c, a, c, a, c])
        self._away(self.least, self.rep_b, False)
        self.assertEqual(self._owners(self._leads(6, name="B back")),
                         [b, b, b, c, a, b])

    # ------------------------------------------------------------------ contract

    def test_the_setting_is_a_boolean_on_the_queue_form(self):
        field = self.Queue.fields_get(["catch_up"])["catch_up"]
        self.assertEqual(field["type"], "boolean")
        self.assertIn("Sequential queues ignore", field["help"])
        self.assertFalse(self.Queue.create({
            "name": "SA new", "member_ids": [(0, 0, {"user_id": self.rep_a.id})],
        }).catch_up)
        arch = self.Queue.fields_view_get(view_type="form")["arch"]
        self.assertIn('name="catch_up"', arch)
