# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Issue 15: the unplaced leads monitor and the scheduled actions' last runs."""
from .common import AllocationCase


class TestUnplacedMonitor(AllocationCase):

    def _unplaced(self, lead):
        self.env["sales.allocation.unplaced"].invalidate_cache()
        return self.env["sales.allocation.unplaced"].search([("lead_id", "=", lead.id)])

    def test_leads_are_grouped_by_why_they_wait_and_retried(self):
        nobody = self._lead("no rule for me")
        self.assertEqual(nobody.allocation_state, "unallocated")
        self.assertEqual(self._unplaced(nobody).reason, "no_rule")

        away = self._queue("All away", "sequential", self.rep_a | self.rep_b,
                           available=False)
        self._rule("All away", queue=away)
        full = self._lead("every target full")
        row = self._unplaced(full)
        self.assertEqual(row.reason, "full")
        self.assertIn("Rep A", row.passed_over)
        # The monitor's menu groups by reason.
        groups = self.env["sales.allocation.unplaced"].read_group(
            [("lead_id", "in", (nobody | full).ids)], ["reason"], ["reason"])
        self.assertEqual({group["reason"]: group["reason_count"] for group in groups},
                         {"full": 1, "no_rule": 1})

        # Members only away on leave or off shift (working hours): nobody on shift.
        self.env.cr.execute("""
            UPDATE sales_allocation_log SET skip_codes = 'off_shift on_leave passed:1'
             WHERE lead_id = %s""", [full.id])
        self.assertEqual(self._unplaced(full).reason, "off_shift")

        # Retry now: the queue has someone back, the lead is placed and leaves the list.
        self._member(away, self.rep_b).available = True
        row.action_retry()
        self.assertEqual(full.user_id, self.rep_b)
        self.assertFalse(self._unplaced(full))

    def test_a_broken_rule_condition_shows_first(self):
        lead = self._lead("waits")
        rule = self._rule("Soon broken", queue=self.seq_queue,
                          domain="[('name', '=', 'nothing like this')]")
        self.env.cr.execute(
            "UPDATE sales_allocation_rule SET domain = %s WHERE id = %s",
            ["[('no_such_field', '=', 1)]", rule.id])
        rule.invalidate_cache()
        action = self.env["sales.allocation.unplaced"].action_open()
        self.assertEqual(action["res_model"], "sales.allocation.unplaced")
        self.assertIn("no_such_field", rule.domain_error)
        self.assertEqual(self._unplaced(lead).reason, "invalid_domain")
        # Fixed: the check forgets the error.
        self.env.cr.execute("UPDATE sales_allocation_rule SET domain = '[]' WHERE id = %s",
                            [rule.id])
        rule.invalidate_cache()
        self.env["sales.allocation.unplaced"].action_open()
        self.assertFalse(rule.domain_error)
        self.assertEqual(self._unplaced(lead).reason, "no_rule")


class TestScheduledRuns(AllocationCase):

    def test_backlog_and_reclaim_runs_are_recorded(self):
        Run = self.env["sales.allocation.run"]
        waiting = self._leads(3, "waits")
        self._rule("Now there is a rule", queue=self.seq_queue)
        self.env["crm.lead"]._cron_allocate_backlog()
        run = Run.search([("job", "=", "backlog")], limit=1)
        self.assertEqual(run.lead_count, 3)
        self.assertEqual(run.placed_count, 3)
        self.assertGreaterEqual(run.duration, 0.0)
        self.assertIn("3 placed", run.summary)
        self.assertTrue(all(waiting.mapped("user_id")))

        self.env["sales.allocation.pool"]._cron_reclaim()
        run = Run.search([("job", "=", "reclaim")], limit=1)
        self.assertTrue(run)
        self.assertIn("taken back", run.summary)

    def test_old_runs_are_forgotten(self):
        Run = self.env["sales.allocation.run"]
        for _index in range(60):
            Run._record("backlog", "2026-01-01 00:00:00", 0.1, {"leads": 0})
        self.assertEqual(Run.search_count([("job", "=", "backlog")]), 50)
