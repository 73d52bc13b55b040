# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Pool timers in working days, on real PostgreSQL: a pool with a calendar like the
demo's 中国大陆工作日 (Monday to Friday 09:00-12:00, 13:00-18:00, the 2026 Spring
Festival 15-23 February off, Saturdays 14 and 28 February worked), reps in
Asia/Shanghai.  Deadlines are stored in UTC: 10:00 in Shanghai is 02:00 UTC.

"N working days after t": from the first working moment at or after t, the same local
time on the N-th working day after that day (``engine.reclaim``)."""
from datetime import date, datetime, timedelta

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests.common import SavepointCase

from odoo.addons.sales_allocation.engine import worktime

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
SHANGHAI = timedelta(hours=8)


def sh(*args):
    """A Shanghai wall-clock time as naive UTC."""
    return datetime(*args) - SHANGHAI


def at(value):
    """A datetime as Odoo 11 returns it from a Datetime field (string)."""
    return fields.Datetime.to_string(value)


class WorkingDaysCase(SavepointCase):

    @classmethod
    def setUpClass(cls):
        super(WorkingDaysCase, cls).setUpClass()
        cls.env["sales.allocation.rule"].search([]).write({"active": False})
        cls.Lead = cls.env["crm.lead"]
        cls.Log = cls.env["sales.allocation.log"]
        cls.Reclaim = cls.env["sales.allocation.reclaim"]
        cls.team = cls.env["crm.team"].create({"name": "Working days team",
                                               "use_leads": True})
        groups = [cls.env.ref("base.group_user"),
                  cls.env.ref("sales_team.group_sale_salesman")]
        cls.rep_a = cls._user("wd_rep_a", "Rep A", groups)
        cls.rep_b = cls._user("wd_rep_b", "Rep B", groups)
        cls.rep_c = cls._user("wd_rep_c", "Rep C", groups)
        cls.calendar = cls._calendar()
        cls.pool = cls.env["sales.allocation.pool"].create({
            "name": "Working days pool", "team_id": cls.team.id,
            "max_claims_per_day": 0, "max_open_leads": 0,
            "idle_days": 3, "max_hold_days": 10, "warn_days": 1, "cooldown_days": 2,
            "calendar_id": cls.calendar.id,
        })
        cls.queue = cls.env["sales.allocation.queue"].create({
            "name": "Working days queue", "strategy": "sequential",
            "team_id": cls.team.id,
            "member_ids": [(0, 0, {"user_id": user.id, "sequence": index})
                           for index, user in enumerate(
                               [cls.rep_a, cls.rep_b, cls.rep_c])],
        })

    @classmethod
    def _user(cls, login, name, groups):
        return cls.env["res.users"].with_context(no_reset_password=True).create({
            "name": name, "login": login, "email": "%s@example.com" % login,
            "groups_id": [(6, 0, [group.id for group in groups])],
            "sale_team_id": cls.team.id, "tz": "Asia/Shanghai"})

    @classmethod
    def _calendar(cls):
        lines = []
        for weekday in range(5):
            lines += [(0, 0, {"name": "am", "dayofweek": str(weekday),
                              "hour_from": 9, "hour_to": 12}),
                      (0, 0, {"name": "pm", "dayofweek": str(weekday),
                              "hour_from": 13, "hour_to": 18})]
        for makeup in ("2026-02-14", "2026-02-28"):
            lines += [(0, 0, {"name": "调休 am", "dayofweek": "5", "hour_from": 9,
                              "hour_to": 12, "date_from": makeup, "date_to": makeup}),
                      (0, 0, {"name": "调休 pm", "dayofweek": "5", "hour_from": 13,
                              "hour_to": 18, "date_from": makeup, "date_to": makeup})]
        calendar = cls.env["resource.calendar"].create({
            "name": "CN working days (test)", "attendance_ids": [(5, 0, 0)] + lines})
        cls.env["resource.calendar.leaves"].create({
            "name": "春节", "calendar_id": calendar.id,
            "date_from": at(sh(2026, 2, 15)), "date_to": at(sh(2026, 2, 24))})
        return calendar

    def _lead(self, pool=None):
        return self.Lead.create({"name": "Working days lead", "type": "lead",
                                 "pool_id": (pool or self.pool).id})

    def _claim(self, lead, user, now):
        return lead.sudo(user)._pool_claim(user, now=now)

    def _run(self, now):
        return self.Reclaim.run(now=now, pool_ids=self.pool.ids)

    def _logs(self, lead, event):
        return self.Log.search([("lead_id", "=", lead.id), ("event", "=", event)],
                               order="id")


class TestWorkingDayTimers(WorkingDaysCase):

    def test_claimed_the_day_before_the_spring_festival(self):
        """Claimed on the make-up Saturday 14 Feb, idle 3 working days: Tuesday 24,
        Wednesday 25, Thursday 26 February, after the holiday week."""
        lead = self._lead()
        self._claim(lead, self.rep_a, sh(2026, 2, 14, 10))
        self.assertEqual(lead.reclaim_deadline, at(sh(2026, 2, 26, 10)))
        self.assertEqual(lead.reclaim_deadline, "2026-02-26 02:00:00")
        self.assertEqual(lead.reclaim_warn_date, at(sh(2026, 2, 25, 10)))
        self.assertEqual(lead.reclaim_timer, "idle")

    def test_the_make_up_saturday_counts(self):
        """Claimed on Friday 13 Feb: Saturday 14 (make-up), Tuesday 24, Wednesday 25."""
        lead = self._lead()
        self._claim(lead, self.rep_a, sh(2026, 2, 13, 10))
        self.assertEqual(lead.reclaim_deadline, at(sh(2026, 2, 25, 10)))
        self.assertEqual(lead.reclaim_warn_date, at(sh(2026, 2, 24, 10)))
        # Saturday 28 February is worked too: Thursday 26 + 1 working day.
        other = self._lead()
        self.pool.write({"idle_days": 1, "warn_days": 0})
        self._claim(other, self.rep_a, sh(2026, 2, 27, 10))
        self.assertEqual(other.reclaim_deadline, at(sh(2026, 2, 28, 10)))
        self.assertFalse(other.reclaim_warn_date)

    def test_outside_working_time_the_clock_starts_at_the_next_start_of_work(self):
        lead = self._lead()
        # Friday 13 Feb 20:00: the clock starts Saturday 14 Feb 09:00.
        self._claim(lead, self.rep_a, sh(2026, 2, 13, 20))
        self.assertEqual(lead.reclaim_deadline, at(sh(2026, 2, 26, 9)))
        self.assertEqual(lead.reclaim_warn_date, at(sh(2026, 2, 25, 9)))

    def test_holding_timer_in_working_days(self):
        self.pool.write({"idle_days": 0, "max_hold_days": 5, "warn_days": 2})
        lead = self._lead()
        self._claim(lead, self.rep_a, sh(2026, 2, 12, 15, 30))
        # Fri 13, Sat 14, Tue 24, Wed 25, Thu 26; warned 2 working days before.
        self.assertEqual(lead.reclaim_deadline, at(sh(2026, 2, 26, 15, 30)))
        self.assertEqual(lead.reclaim_warn_date, at(sh(2026, 2, 24, 15, 30)))
        self.assertEqual(lead.reclaim_timer, "hold")

    def test_the_owners_work_restarts_the_clock_in_working_days(self):
        lead = self._lead()
        self._claim(lead, self.rep_a, sh(2026, 2, 12, 10))
        self.assertEqual(lead.reclaim_deadline, at(sh(2026, 2, 24, 10)))
        # Worked on the make-up Saturday afternoon (stored field, recomputed).
        lead.write({"owner_activity_date": at(sh(2026, 2, 14, 16))})
        self.assertEqual(lead.reclaim_deadline, at(sh(2026, 2, 26, 16)))
        self.assertEqual(lead.reclaim_warn_date, at(sh(2026, 2, 25, 16)))

    def test_the_owners_time_zone_is_used(self):
        """A rep in Europe/Paris reads the same calendar on Paris days: claimed on
        Friday 27 Feb 2026 at 10:00 CET, idle 1 working day (Saturday 28 is a make-up
        day of the calendar): Saturday 10:00 CET."""
        self.rep_b.tz = "Europe/Paris"
        self.pool.write({"idle_days": 1, "warn_days": 0})
        lead = self._lead()
        self._claim(lead, self.rep_b, datetime(2026, 2, 27, 9))
        self.assertEqual(lead.reclaim_deadline, at(datetime(2026, 2, 28, 9)))

    def test_a_pool_without_calendar_keeps_calendar_days(self):
        lead = self._lead()
        self._claim(lead, self.rep_a, sh(2026, 2, 14, 10))
        self.assertEqual(lead.reclaim_deadline, at(sh(2026, 2, 26, 10)))
        # Clearing the calendar recomputes the stored timers in calendar days.
        self.pool.calendar_id = False
        self.assertEqual(lead.reclaim_deadline, at(sh(2026, 2, 17, 10)))
        self.assertEqual(lead.reclaim_warn_date, at(sh(2026, 2, 16, 10)))
        other = self._lead()
        self._claim(other, self.rep_b, sh(2026, 2, 13, 10))
        self.assertEqual(other.reclaim_deadline, at(sh(2026, 2, 16, 10)))
        # And setting it again counts working days again.
        self.pool.calendar_id = self.calendar
        self.assertEqual(lead.reclaim_deadline, at(sh(2026, 2, 26, 10)))
        self.assertEqual(other.reclaim_deadline, at(sh(2026, 2, 25, 10)))

    def test_editing_the_calendar_moves_the_deadlines(self):
        lead = self._lead()
        self._claim(lead, self.rep_a, sh(2026, 2, 13, 10))
        self.assertEqual(lead.reclaim_deadline, at(sh(2026, 2, 25, 10)))
        # The admin removes the make-up Saturday 14 February.
        self.calendar.attendance_ids.filtered(
            lambda line: line.date_from == "2026-02-14").unlink()
        lead.invalidate_cache()
        self.assertEqual(lead.reclaim_deadline, at(sh(2026, 2, 26, 10)))
        # ... and adds a holiday on Wednesday 25 February.
        self.env["resource.calendar.leaves"].create({
            "name": "Extra day off", "calendar_id": self.calendar.id,
            "date_from": at(sh(2026, 2, 25)), "date_to": at(sh(2026, 2, 26))})
        lead.invalidate_cache()
        self.assertEqual(lead.reclaim_deadline, at(sh(2026, 2, 27, 10)))


class TestWorkingDayReclaim(WorkingDaysCase):

    def test_reclaim_run_exactly_when_due(self):
        lead = self._lead()
        self._claim(lead, self.rep_a, sh(2026, 2, 13, 10))
        deadline, warn_from = sh(2026, 2, 25, 10), sh(2026, 2, 24, 10)
        # Three calendar days later (Monday 16 February, in the holiday): nothing.
        summary = self._run(sh(2026, 2, 16, 10, 1))
        self.assertEqual((summary["warned"], summary["reclaimed"]), (0, 0))
        summary = self._run(warn_from - SECOND)
        self.assertEqual((summary["warned"], summary["reclaimed"]), (0, 0))
        summary = self._run(warn_from)
        self.assertEqual((summary["warned"], summary["reclaimed"]), (1, 0))
        warning = self._logs(lead, "warned")
        self.assertEqual(warning.reason, "idle 2 working days, limit 3")
        summary = self._run(deadline - SECOND)
        self.assertEqual((summary["warned"], summary["reclaimed"]), (0, 0))
        self.assertEqual(lead.user_id, self.rep_a)
        summary = self._run(deadline)
        self.assertEqual((summary["warned"], summary["reclaimed"]), (0, 1))
        lead.invalidate_cache()
        self.assertFalse(lead.user_id)
        self.assertFalse(lead.reclaim_deadline)
        log = self._logs(lead, "reclaimed")
        self.assertEqual((log.previous_user_id, log.date), (self.rep_a, at(deadline)))
        self.assertEqual(log.reason, "idle 3 working days, limit 3")

    def test_reclaim_run_reads_the_calendar_once_per_batch(self):
        """The queries of a run do not grow with its leads: 2 due leads or 8 (after a
        first run that fills the caches)."""
        counts = []
        for week, size in enumerate((2, 2, 8)):
            leads = self.Lead.browse()
            for _index in range(size):
                leads |= self._lead()
            # Claimed on a Monday, due on the Thursday.
            for index, lead in enumerate(leads):
                self._claim(lead, (self.rep_a, self.rep_b)[index % 2],
                            sh(2026, 3, 2 + 7 * week, 10))
            now = sh(2026, 3, 5 + 7 * week, 10)
            self.env.cr.execute("SELECT 1")  # settle pending work before counting
            before = self.env.cr.sql_log_count
            summary = self._run(now)
            counts.append(self.env.cr.sql_log_count - before)
            self.assertEqual(summary["reclaimed"], size)
        self.assertEqual(counts[1], counts[2])

    def test_cooldown_in_working_days(self):
        """Released on Friday 13 Feb 15:00, cooldown 2 working days: Saturday 14 and
        Tuesday 24 February, so again from Tuesday 24 February 15:00."""
        lead = self._lead()
        self._claim(lead, self.rep_a, sh(2026, 2, 12, 10))
        lead.sudo(self.rep_a)._pool_release(now=sh(2026, 2, 13, 15))
        until = sh(2026, 2, 24, 15)
        self.assertEqual(self.Log._cooldown_users(
            lead.ids, 2, sh(2026, 2, 20), pool=self.pool), {lead.id: {self.rep_a.id}})
        self.assertEqual(self.Log._cooldowns(lead.ids, self.pool, until - SECOND), {
            lead.id: {self.rep_a.id: (sh(2026, 2, 13, 15), until)}})
        self.assertEqual(self.Log._cooldown_users(lead.ids, 2, until, pool=self.pool), {})
        # Two calendar days later, in the holiday week: still in cooldown.
        with self.assertRaisesRegex(
                UserError, r"cooldown of 2 working days, so you may claim it again "
                           r"from 02/24/2026 15:00"):
            self._claim(lead, self.rep_a, sh(2026, 2, 16, 10))
        with self.assertRaisesRegex(UserError, "cooldown of 2 working days"):
            self._claim(lead, self.rep_a, until - SECOND)
        self._claim(lead, self.rep_a, until)
        self.assertEqual(lead.user_id, self.rep_a)

    def test_reclaim_through_the_queue_skips_reps_in_working_day_cooldown(self):
        self.pool.write({"reclaim_action": "queue", "reclaim_queue_id": self.queue.id,
                         "cooldown_days": 4})
        lead = self._lead()
        # B gave it back on Thursday 12 Feb: cooldown until Wednesday 25 Feb 15:00
        # (Friday 13, Saturday 14, Tuesday 24, Wednesday 25); A claimed it on Friday 13.
        self._claim(lead, self.rep_b, sh(2026, 2, 12, 9))
        lead.sudo(self.rep_b)._pool_release(now=sh(2026, 2, 12, 15))
        self._claim(lead, self.rep_a, sh(2026, 2, 13, 10))
        summary = self._run(sh(2026, 2, 25, 10))
        self.assertEqual((summary["reclaimed"], summary["reallocated"]), (1, 1))
        lead.invalidate_cache()
        self.assertEqual(lead.user_id, self.rep_c)
        assigned = self._logs(lead, "assigned")
        self.assertIn("Skipped Rep B: in cooldown on this lead.", assigned.reason)
        # C's timers count working days from the reclaim (Wednesday 25 Feb 10:00):
        # Thursday 26, Friday 27, make-up Saturday 28.
        self.assertEqual(lead.reclaim_deadline, at(sh(2026, 2, 28, 10)))
        self.assertEqual(lead.reclaim_warn_date, at(sh(2026, 2, 27, 10)))
        # B until Wednesday 25 Feb 15:00 (four calendar days would have ended on
        # Monday 16 Feb), A from the reclaim (Thursday 26, Friday 27, Saturday 28,
        # Monday 2 March).
        self.assertEqual(self.Log._cooldowns(lead.ids, self.pool, sh(2026, 2, 25, 12)), {
            lead.id: {self.rep_b.id: (sh(2026, 2, 12, 15), sh(2026, 2, 25, 15)),
                      self.rep_a.id: (sh(2026, 2, 25, 10), sh(2026, 3, 2, 10))}})

    def test_without_calendar_the_cooldown_is_in_calendar_days(self):
        self.pool.calendar_id = False
        lead = self._lead()
        self._claim(lead, self.rep_a, sh(2026, 2, 12, 10))
        lead.sudo(self.rep_a)._pool_release(now=sh(2026, 2, 13, 15))
        with self.assertRaisesRegex(UserError, "cooldown of 2 days, so"):
            self._claim(lead, self.rep_a, sh(2026, 2, 15, 15) - SECOND)
        self._claim(lead, self.rep_a, sh(2026, 2, 15, 15))


class TestWorkingDayErrors(WorkingDaysCase):

    def test_a_calendar_without_attendances_is_refused(self):
        empty = self.env["resource.calendar"].create(
            {"name": "No hours", "attendance_ids": [(5, 0, 0)]})
        with self.assertRaisesRegex(ValidationError, r'Pool "Working days pool" counts '
                                    r'its days in working days of calendar "No hours", '
                                    r'but that calendar has no working hours'):
            self.pool.calendar_id = empty
        with self.assertRaisesRegex(ValidationError, "has no working hours"):
            self.env["sales.allocation.pool"].create(
                {"name": "Bad", "calendar_id": empty.id})

    def test_the_form_warns_at_once(self):
        empty = self.env["resource.calendar"].create(
            {"name": "No hours", "attendance_ids": [(5, 0, 0)]})
        pool = self.env["sales.allocation.pool"].new({"name": "Draft", "calendar_id": empty.id})
        result = pool._onchange_calendar_id()
        self.assertIn("has no working hours", result["warning"]["message"])
        pool = self.env["sales.allocation.pool"].new(
            {"name": "Draft", "calendar_id": self.calendar.id})
        self.assertFalse(pool._onchange_calendar_id())

    def test_removing_every_working_hour_of_a_used_calendar_is_refused(self):
        lead = self._lead()
        self._claim(lead, self.rep_a, sh(2026, 2, 13, 10))
        with self.assertRaisesRegex(UserError, 'counts its days in working days of '
                                               'calendar "CN working days \\(test\\)"'):
            self.calendar.attendance_ids.unlink()

    def test_a_calendar_whose_hours_ended_gives_a_clear_error(self):
        """The weekly hours end on 13 Feb 2026: two make-up Saturdays, then nothing."""
        self.calendar.attendance_ids.filtered(lambda line: not line.date_from).write(
            {"date_to": "2026-02-13"})
        lead = self._lead()
        with self.assertRaisesRegex(UserError, "gives no working day to count"):
            self._claim(lead, self.rep_a, sh(2026, 2, 13, 10))


class TestDemoCalendar(SavepointCase):

    def test_the_demo_calendar_is_the_2026_schedule(self):
        """中国大陆工作日 as loaded: the 2026 holidays off, the 调休 days worked."""
        calendar = self.env.ref("sales_allocation.resource_calendar_cn_2026_demo")
        pool = self.env["sales.allocation.pool"].create(
            {"name": "Demo calendar", "calendar_id": calendar.id})
        user = self.env.ref("base.user_root")
        user.tz = "Asia/Shanghai"
        engine_calendar = pool._day_calendars({user.id}, datetime(2026, 1, 1))[
            (pool.id, user.id)]
        holidays = [(date(2026, 1, 1), date(2026, 1, 3)),
                    (date(2026, 2, 15), date(2026, 2, 23)),
                    (date(2026, 4, 4), date(2026, 4, 6)),
                    (date(2026, 5, 1), date(2026, 5, 5)),
                    (date(2026, 6, 19), date(2026, 6, 21)),
                    (date(2026, 9, 25), date(2026, 9, 27)),
                    (date(2026, 10, 1), date(2026, 10, 7))]
        makeup = {date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28),
                  date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10)}
        off = {first + n * DAY for first, last in holidays
               for n in range((last - first).days + 1)}
        for n in range(365):
            day = date(2026, 1, 1) + n * DAY
            expected = day in makeup or (day.weekday() < 5 and day not in off)
            self.assertEqual(worktime.is_working_day(engine_calendar, day), expected, day)
        demo_pool = self.env.ref("sales_allocation.sales_allocation_pool_east_demo")
        if demo_pool.calendar_id:  # demo data of a fresh install (noupdate on upgrade)
            self.assertEqual(demo_pool.calendar_id, calendar)
