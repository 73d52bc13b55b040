# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Per-level pool timers and the holding limit (issue 14) on real PostgreSQL: timer
lines by condition (the first matching line wins, 0 keeps the pool's value), exact
deadlines, the reclaim run with lines, a bad condition, and the open-lead limit counting
leads a manager assigned."""
from datetime import datetime

from odoo.exceptions import UserError, ValidationError

from .test_pool import DAY, MINUTE, PoolCase, at


class TestPoolTimerLines(PoolCase):

    @classmethod
    def setUpClass(cls):
        super(TestPoolTimerLines, cls).setUpClass()
        cls.levels = cls.Pool.create({
            "name": "Levels pool", "team_id": cls.team.id,
            "max_claims_per_day": 0, "max_open_leads": 0,
            "idle_days": 7, "max_hold_days": 60, "warn_days": 1, "cooldown_days": 0,
            "timer_line_ids": [(0, 0, {
                "sequence": 1, "name": "Key accounts", "idle_days": 30,
                "domain": "[('customer_segment', '=', 'key_account')]"})],
        })
        cls.key_line = cls.levels.timer_line_ids
        cls.china = cls.env.ref("base.cn")

    def setUp(self):
        super(TestPoolTimerLines, self).setUp()
        self.start = datetime.utcnow().replace(microsecond=0) - 40 * DAY

    def _key_and_other(self):
        key = self._pool_leads(pool=self.levels, name="Key lead",
                               customer_segment="key_account")
        other = self._pool_leads(pool=self.levels, name="Small lead",
                                 customer_segment="small_business")
        return key, other

    def test_key_accounts_idle_30_days_others_7(self):
        key, other = self._key_and_other()
        # A claim and a manager's assignment: both start the line's timers.
        self._claim(key, self.rep_a, now=self.start)
        other.sudo(self.manager)._pool_assign(self.rep_b, now=self.start)
        self.assertEqual((key.reclaim_deadline, key.reclaim_warn_date, key.reclaim_timer),
                         (at(self.start + 30 * DAY), at(self.start + 29 * DAY), "idle"))
        self.assertEqual(
            (other.reclaim_deadline, other.reclaim_warn_date, other.reclaim_timer),
            (at(self.start + 7 * DAY), at(self.start + 6 * DAY), "idle"))
        # The owner works the key lead: the stored compute applies the line again.
        later = self.start + 2 * DAY
        key.sudo(self.rep_a)._pool_touch_owner(now=later)
        key.invalidate_cache()
        self.assertEqual((key.reclaim_deadline, key.reclaim_warn_date),
                         (at(later + 30 * DAY), at(later + 29 * DAY)))

    def test_the_first_matching_line_wins(self):
        self.levels.write({"timer_line_ids": [(0, 0, {
            "sequence": 2, "name": "China", "idle_days": 14, "warn_days": 2,
            "domain": "[('country_id.code', '=', 'CN')]"})]})
        both = self._pool_leads(pool=self.levels, name="Key in China",
                                customer_segment="key_account", country_id=self.china.id)
        china = self._pool_leads(pool=self.levels, name="China only",
                                 country_id=self.china.id)
        neither = self._pool_leads(pool=self.levels, name="Neither")
        self._claim(both | china | neither, self.rep_a, now=self.start)
        self.assertEqual(
            [(lead.reclaim_deadline, lead.reclaim_warn_date)
             for lead in (both, china, neither)],
            [(at(self.start + 30 * DAY), at(self.start + 29 * DAY)),
             (at(self.start + 14 * DAY), at(self.start + 12 * DAY)),
             (at(self.start + 7 * DAY), at(self.start + 6 * DAY))])
        # China first now: the owned leads' stored timers follow the new order.
        self.key_line.sequence = 3
        self.assertEqual(both.reclaim_deadline, at(self.start + 14 * DAY))
        self.assertEqual(china.reclaim_deadline, at(self.start + 14 * DAY))
        self.assertEqual(neither.reclaim_deadline, at(self.start + 7 * DAY))

    def test_a_line_overriding_idle_only_keeps_the_pools_hold_and_warning(self):
        self.levels.max_hold_days = 20
        key, other = self._key_and_other()
        self._claim(key | other, self.rep_a, now=self.start)
        # Idle 30 from the line, but the pool's holding limit of 20 days comes first.
        self.assertEqual((key.reclaim_deadline, key.reclaim_warn_date, key.reclaim_timer),
                         (at(self.start + 20 * DAY), at(self.start + 19 * DAY), "hold"))
        self.assertEqual((other.reclaim_deadline, other.reclaim_timer),
                         (at(self.start + 7 * DAY), "idle"))
        # The pool's holding limit changes: the line keeps following it.
        self.levels.max_hold_days = 25
        self.assertEqual(key.reclaim_deadline, at(self.start + 25 * DAY))

    def test_the_reclaim_run_takes_back_the_7_day_lead_and_keeps_the_30_day_one(self):
        key, other = self._key_and_other()
        self._claim(key | other, self.rep_a, now=self.start)
        summary = self._reclaim(self.start + 7 * DAY + MINUTE, pool=self.levels)
        self.assertEqual((summary["warned"], summary["reclaimed"]), (0, 1))
        key.invalidate_cache()
        other.invalidate_cache()
        self.assertFalse(other.user_id)
        self.assertEqual(self._logs(other, "reclaimed").reason, "idle 7 days, limit 7")
        self.assertEqual(key.user_id, self.rep_a)
        self.assertEqual(key.reclaim_deadline, at(self.start + 30 * DAY))
        # The key lead: warned on day 29, reclaimed on day 30, the line named.
        summary = self._reclaim(self.start + 29 * DAY + MINUTE, pool=self.levels)
        self.assertEqual((summary["warned"], summary["reclaimed"]), (1, 0))
        self.assertEqual(self._logs(key, "warned").reason,
                         "idle 29 days, limit 30 (Key accounts)")
        self.assertIn("(idle 29 days, limit 30 (Key accounts))",
                      key.activity_ids.note)
        summary = self._reclaim(self.start + 30 * DAY, pool=self.levels)
        self.assertEqual((summary["warned"], summary["reclaimed"]), (0, 1))
        key.invalidate_cache()
        self.assertFalse(key.user_id)
        self.assertEqual(self._logs(key, "reclaimed").reason,
                         "idle 30 days, limit 30 (Key accounts)")

    def test_a_lead_that_became_a_key_account_gets_its_new_deadline_from_the_run(self):
        lead = self._pool_leads(pool=self.levels, customer_segment="small_business")
        self._claim(lead, self.rep_a, now=self.start)
        self.assertEqual(lead.reclaim_deadline, at(self.start + 7 * DAY))
        # A manager makes it a key account: the owner has not worked it since.
        lead.write({"customer_segment": "key_account"})
        self.assertEqual(self._db(lead, "reclaim_deadline"), at(self.start + 7 * DAY))
        # Found due by its stored deadline, but the line says 30 days: kept, with its
        # new timers stored.
        summary = self._reclaim(self.start + 7 * DAY + MINUTE, pool=self.levels)
        self.assertEqual((summary["warned"], summary["reclaimed"]), (0, 0))
        lead.invalidate_cache()
        self.assertEqual(lead.user_id, self.rep_a)
        self.assertEqual((lead.reclaim_deadline, lead.reclaim_warn_date),
                         (at(self.start + 30 * DAY), at(self.start + 29 * DAY)))
        self.assertFalse(self._logs(lead, "reclaimed") | self._logs(lead, "warned"))

    def test_a_bad_condition_names_the_line(self):
        with self.assertRaises(ValidationError) as caught:
            self.levels.write({"timer_line_ids": [(0, 0, {
                "name": "Broken", "idle_days": 10,
                "domain": "[('no_such_field', '=', 1)]"})]})
        self.assertIn(
            "The condition of timer line \"Broken\" of pool \"Levels pool\" is not "
            "valid:", str(caught.exception))
        with self.assertRaisesRegex(ValidationError, "timer line \"Not a list\""):
            self.key_line.copy({"name": "Not a list", "domain": "42"})
        # The warning must come before the line's shortest timer.
        with self.assertRaisesRegex(
                ValidationError, "Pool \"Levels pool\", timer line \"Key accounts\": the "
                                 "warning comes 30 days before"):
            self.key_line.warn_days = 30
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self.key_line.idle_days = -1

    def test_the_holding_limit_counts_leads_a_manager_assigned(self):
        self.levels.max_open_leads = 2
        leads = self._pool_leads(3, pool=self.levels)
        leads[0].sudo(self.manager)._pool_assign(self.rep_a, now=self.start)
        self._claim(leads[1], self.rep_a, now=self.start)
        with self.assertRaises(UserError) as caught:
            self._claim(leads[2], self.rep_a, now=self.start)
        self.assertEqual(
            caught.exception.name,
            "You hold 2 open leads from pool \"Levels pool\" and may hold 2 at once. Win, "
            "lose or release one of them, then claim again.")
        # Leads of other pools do not count.
        outside = self._pool_leads()
        self._claim(outside, self.rep_a, now=self.start)
        # The assigned lead won: room for one more.
        leads[0].write({"probability": 100})
        self._claim(leads[2], self.rep_a, now=self.start)
        self.assertEqual(leads.mapped("user_id"), self.rep_a)
        self.assertIn("assigned to him by a manager",
                      self.Pool._fields["max_open_leads"].help)
