# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Queues that respect working hours (issue 13, item 1): members on leave or off shift
are skipped, with the reason; a queue may hold a lead until a shift starts.

The calendars are built around the moment the test runs, so the tests hold at any
hour: "always" works round the clock, "later" only on the weekday after tomorrow.
"""
from datetime import datetime, timedelta

from odoo.exceptions import ValidationError

from .common import AllocationCase
from .test_pool import PoolCase

ROUND_THE_CLOCK = [(0, 0, {"name": "Day %d" % day, "dayofweek": str(day),
                           "hour_from": 0.0, "hour_to": 24.0}) for day in range(7)]


class TestWorkingHours(AllocationCase):

    @classmethod
    def setUpClass(cls):
        super(TestWorkingHours, cls).setUpClass()
        Calendar = cls.env["resource.calendar"]
        cls.always = Calendar.create({"name": "SA always", "attendance_ids": ROUND_THE_CLOCK})
        # Shanghai has no DST: its local weekday is UTC + 8 hours, whatever the date.
        later = (datetime.utcnow() + timedelta(hours=8, days=2)).weekday()
        cls.later = Calendar.create({"name": "SA later", "attendance_ids": [
            (0, 0, {"name": "Later", "dayofweek": str(later), "hour_from": 9.0,
                    "hour_to": 18.0})]})
        cls.seq_queue.write({"respect_working_hours": True,
                             "resource_calendar_id": cls.always.id})
        cls.fallback_user = cls.rep_d

    def _resource(self, user, calendar, tz=None):
        if tz:
            user.partner_id.tz = tz
        return self.env["resource.resource"].create({
            "name": user.name, "user_id": user.id, "calendar_id": calendar.id})

    def _leave(self, resource=None, calendar=None, days=3):
        now = datetime.utcnow()
        return self.env["resource.calendar.leaves"].create({
            "name": "SA leave", "resource_id": resource and resource.id,
            "calendar_id": (calendar or resource.calendar_id).id,
            "date_from": now - timedelta(hours=1), "date_to": now + timedelta(days=days),
        })

    def _rules(self):
        self._rule("To the sequential queue", queue=self.seq_queue, sequence=1)
        self._rule("Else to Rep D", user=self.fallback_user, sequence=2)

    def test_a_rep_on_leave_is_skipped_and_the_reason_says_until_when(self):
        self._rules()
        self._leave(self._resource(self.rep_a, self.always, "Asia/Shanghai"))
        leads = self._leads(4)
        a, b, c = self.reps.ids
        self.assertEqual(self._owners(leads), [b, c, b, c])
        reason = self._last_log(leads[0]).reason
        self.assertIn("Skipped Rep A: on leave until ", reason)

    def test_a_rep_off_shift_is_skipped_with_his_hours_and_zone(self):
        self._rules()
        self._resource(self.rep_b, self.later, "Asia/Shanghai")
        leads = self._leads(2)
        a, b, c = self.reps.ids
        self.assertEqual(self._owners(leads), [a, c])
        self.assertIn("Skipped Rep B: off shift (09:00–18:00 Asia/Shanghai).",
                      self._last_log(leads[0]).reason)

    def test_a_queue_that_ignores_working_hours_keeps_todays_behaviour(self):
        self._rules()
        self.seq_queue.respect_working_hours = False
        self._leave(self._resource(self.rep_a, self.always))
        leads = self._leads(3)
        self.assertEqual(self._owners(leads), self.reps.ids)

    def test_nobody_on_shift_tries_the_next_rule(self):
        self._rules()
        self._leave(calendar=self.always)  # a public holiday of the queue's calendar
        lead = self._lead()
        self.assertEqual(self._db_owner(lead), self.fallback_user.id)
        self.assertIn("Skipped Rep C: on leave until", self._last_log(lead).reason)

    def test_nobody_on_shift_holds_the_lead_until_the_backlog_finds_a_shift(self):
        self._rules()
        self.seq_queue.when_nobody_on_shift = "hold"
        holiday = self._leave(calendar=self.always)
        lead = self._lead()
        self.assertFalse(self._db_owner(lead))
        lead.invalidate_cache()
        self.assertEqual(lead.allocation_state, "unallocated")
        self.assertEqual(lead.allocation_rule_id.queue_id, self.seq_queue)
        self.assertIn("is held for the next shift", self._last_log(lead).reason)
        self.assertTrue(lead.allocation_held)
        # Still the holiday: the backlog run leaves it where it is.
        self.env["crm.lead"]._cron_allocate_backlog()
        self.assertFalse(self._db_owner(lead))
        # The shift starts: the backlog run gives it to the queue.
        holiday.unlink()
        self.env["crm.lead"]._cron_allocate_backlog()
        self.assertEqual(self._db_owner(lead), self.rep_a.id)
        lead.invalidate_cache()
        self.assertFalse(lead.allocation_held)

    def test_owner_continuity_skips_an_owner_on_leave(self):
        self._rule("Keep customers", queue=self.seq_queue, owner_continuity=True)
        partner = self.env["res.partner"].create({"name": "SA customer"})
        first = self._lead(partner_id=partner.id)
        self.assertEqual(self._db_owner(first), self.rep_a.id)
        self._leave(self._resource(self.rep_a, self.always))
        second = self._lead(partner_id=partner.id)
        self.assertEqual(self._db_owner(second), self.rep_b.id)

    def test_a_calendar_without_attendances_is_refused(self):
        empty = self.env["resource.calendar"].create(
            {"name": "SA empty", "attendance_ids": [(5, 0, 0)]})
        self.assertFalse(empty.attendance_ids)
        with self.assertRaisesRegex(ValidationError, "have no attendances"):
            self.seq_queue.resource_calendar_id = empty

    def test_a_holding_queue_whose_members_have_no_working_hours_is_refused(self):
        empty = self.env["resource.calendar"].create(
            {"name": "SA empty", "attendance_ids": [(5, 0, 0)]})
        for user in self.reps:
            self._resource(user, empty)
        with self.assertRaisesRegex(ValidationError, "none of its members"):
            self.seq_queue.when_nobody_on_shift = "hold"


class TestWorkingHoursChina(AllocationCase):
    """The demo calendar "中国大陆工作日" (2026 holidays and make-up days), read at
    chosen moments through the simulation."""

    @classmethod
    def setUpClass(cls):
        super(TestWorkingHoursChina, cls).setUpClass()
        cls.china_calendar = cls.env.ref("sales_allocation.resource_calendar_cn_2026_demo")
        cls.seq_queue.write({"respect_working_hours": True,
                             "resource_calendar_id": cls.china_calendar.id})
        for user in cls.reps:
            user.partner_id.tz = "Asia/Shanghai"

    def _simulate_at(self, moment):
        self._rule("To the sequential queue", queue=self.seq_queue, sequence=1)
        self._rule("Else to Rep D", user=self.rep_d, sequence=2)
        lead = self.Lead.with_context(sales_allocation_skip=True).create(
            {"name": "SA replayed"})
        simulation = self.env["sales.allocation.simulation"].create({
            "lead_domain": "[('id', '=', %d)]" % lead.id, "simulate_at": moment})
        simulation.action_run()
        return simulation.line_ids

    def test_a_working_monday_morning_goes_to_the_queue(self):
        line = self._simulate_at("2026-03-02 01:30:00")  # Monday 09:30 in Shanghai
        self.assertEqual(line.user_id, self.rep_a)

    def test_the_spring_festival_skips_everybody_until_it_ends(self):
        line = self._simulate_at("2026-02-16 02:00:00")  # Monday 10:00, 春节
        self.assertEqual(line.user_id, self.rep_d)
        self.assertIn("Skipped Rep A: on leave until Feb 23.", line.reason)

    def test_a_make_up_sunday_is_a_working_day(self):
        line = self._simulate_at("2026-01-04 02:00:00")  # Sunday 10:00, 调休
        self.assertEqual(line.user_id, self.rep_a)

    def test_a_saturday_is_off_shift_with_the_hours_of_the_next_working_day(self):
        line = self._simulate_at("2026-01-10 02:00:00")  # Saturday 10:00
        self.assertEqual(line.user_id, self.rep_d)
        self.assertIn(
            "Skipped Rep B: off shift (09:00–12:00, 13:00–18:00 Asia/Shanghai).",
            line.reason)
        # Lunch is off shift too.
        self.assertEqual(self._simulate_at("2026-03-02 04:30:00").user_id, self.rep_d)


class TestWorkingHoursReclaim(PoolCase):
    """Reclaim into a queue that respects working hours skips the reps away."""

    def test_reclaim_through_the_queue_skips_a_rep_on_leave(self):
        calendar = self.env["resource.calendar"].create(
            {"name": "SA always", "attendance_ids": ROUND_THE_CLOCK})
        self.queue.write({"respect_working_hours": True,
                          "resource_calendar_id": calendar.id})
        self.pool.write({"reclaim_action": "queue", "reclaim_queue_id": self.queue.id})
        start = datetime.utcnow()
        resource = self.env["resource.resource"].create({
            "name": "Rep B", "user_id": self.rep_b.id, "calendar_id": calendar.id})
        self.env["resource.calendar.leaves"].create({
            "name": "SA leave", "resource_id": resource.id, "calendar_id": calendar.id,
            "date_from": start - timedelta(days=1), "date_to": start + timedelta(days=5)})
        lead = self._pool_leads()
        self._claim(lead, self.rep_a, now=start)
        summary = self._reclaim(start + timedelta(days=3, minutes=1))
        self.assertEqual(summary["reallocated"], 1)
        lead.invalidate_cache()
        self.assertEqual(lead.user_id, self.rep_c)
        self.assertIn("Skipped Rep B: on leave", self._logs(lead, "assigned").reason)
