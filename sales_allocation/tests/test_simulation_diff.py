# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Issue 15: the simulation as a diff between the active and the proposed rules."""

from odoo.exceptions import UserError
from odoo.tests.common import SavepointCase


class TestSimulationDiff(SavepointCase):

    @classmethod
    def setUpClass(cls):
        super(TestSimulationDiff, cls).setUpClass()
        Rule = cls.env["sales.allocation.rule"]
        Rule.search([]).write({"active": False})
        users = cls.env["res.users"].with_context(no_reset_password=True)
        group_ids = [cls.env.ref("sales_team.group_sale_salesman").id]
        cls.reps = users.browse()
        for login in ("diff_a", "diff_b", "diff_c"):
            cls.reps |= users.create({
                "name": login, "login": login, "groups_id": [(6, 0, group_ids)]})
        cls.queue = cls.env["sales.allocation.queue"].create({
            "name": "Diff queue",
            "strategy": "sequential",
            "member_ids": [(0, 0, {"user_id": rep.id, "sequence": index,
                                   "max_open_leads": 2 if index == 2 else 0})
                           for index, rep in enumerate(cls.reps)],
        })
        cls.tag = cls.env["crm.lead.tag"].create({"name": "diffed"})
        Lead = cls.env["crm.lead"].with_context(sales_allocation_skip=True)
        cls.leads = Lead.browse()
        for i in range(8):
            cls.leads |= Lead.create({
                "name": "diff %d" % i, "user_id": False, "tag_ids": [(6, 0, cls.tag.ids)]})
        # Today: every tagged lead goes to rep a.
        cls.active_rule = Rule.create({
            "name": "Active: all to a", "target_type": "user",
            "user_id": cls.reps[0].id, "tag_ids": [(6, 0, cls.tag.ids)]})
        cls.handoff_rule = Rule.create({
            "name": "Active hand-off", "target_type": "user", "trigger": "won",
            "user_id": cls.reps[1].id})
        cls.draft_rule = Rule.create({
            "name": "Draft: to the queue", "active": False, "target_type": "queue",
            "queue_id": cls.queue.id, "tag_ids": [(6, 0, cls.tag.ids)]})
        cls.domain = "[('tag_ids', 'in', %s)]" % cls.tag.ids

    def _run(self, **values):
        simulation = self.env["sales.allocation.simulation"].create(
            dict({"lead_domain": self.domain}, **values))
        simulation.action_run()
        return simulation

    def _state(self):
        """What a simulation must never change: leads, log and rotation."""
        cr = self.env.cr
        cr.execute("SELECT id, user_id, write_date, allocation_state FROM crm_lead "
                   "ORDER BY id")
        leads = cr.fetchall()
        cr.execute("SELECT COUNT(*), MAX(id) FROM sales_allocation_log")
        log = cr.fetchall()
        cr.execute("SELECT queue_id, last_user_id, weights::text "
                   "FROM sales_allocation_rotation ORDER BY queue_id")
        return leads, log, cr.fetchall()

    def test_changes_list_each_lead_that_would_move_with_both_sides(self):
        before = self._state()
        simulation = self._run(rule_ids=[(6, 0, self.draft_rule.ids)])
        self.assertEqual(self._state(), before)
        a, b, c = self.reps
        # Proposed: a, b, c, a, b, c, a, b. Today: all to a. Five would change owner.
        changes = simulation.change_ids
        self.assertEqual(simulation.change_count, 5)
        self.assertEqual(len(changes), 5)
        self.assertEqual(set(changes.mapped("current_user_id")), {a})
        self.assertEqual(sorted(changes.mapped("proposed_user_id").mapped("login")),
                         ["diff_b", "diff_c"])
        self.assertEqual(sorted(change.proposed_user_id.login for change in changes),
                         ["diff_b", "diff_b", "diff_b", "diff_c", "diff_c"])
        for change in changes:
            self.assertIn(change.lead_id, self.leads)
            self.assertEqual(change.current_rule_id, self.active_rule)
            self.assertEqual(change.proposed_rule_id, self.draft_rule)
            self.assertIn('Rule "Active: all to a" matched.', change.current_reason)
            self.assertIn('Queue "Diff queue"', change.proposed_reason)
        # Per rep, side by side: today, proposed, difference; caps of 0 read "no cap".
        reps = {rep.user_id: rep for rep in simulation.rep_ids}
        self.assertEqual((reps[a].current_count, reps[a].count, reps[a].delta),
                         (8, 3, -5))
        self.assertEqual((reps[b].current_count, reps[b].count, reps[b].delta),
                         (0, 3, 3))
        self.assertEqual((reps[a].cap_label, reps[a].cap_use_label),
                         ("no cap", "no cap"))
        self.assertEqual((reps[c].cap_label, reps[c].cap_use_label), ("2", "100.0 %"))

    def test_no_proposed_rules_no_changes(self):
        simulation = self._run()
        self.assertFalse(simulation.change_ids)
        self.assertEqual(simulation.change_count, 0)
        counts = {rep.user_id: (rep.current_count, rep.count)
                  for rep in simulation.rep_ids}
        self.assertEqual(counts[self.reps[0]], (8, 8))
        with self.assertRaises(UserError):
            simulation.action_apply()

    def test_apply_activates_the_drafts_and_archives_what_they_replace(self):
        simulation = self._run(rule_ids=[(6, 0, self.draft_rule.ids)])
        predicted = {change.lead_id.id: change.proposed_user_id.id
                     for change in simulation.change_ids}
        simulation.action_apply()
        self.assertTrue(self.draft_rule.active)
        self.assertFalse(self.active_rule.active)
        # Hand-off rules are not what a simulation of new leads replaces.
        self.assertTrue(self.handoff_rule.active)
        self.assertTrue(simulation.applied)
        self.leads.action_allocate()
        self.assertEqual({lead.id: lead.user_id.id for lead in self.leads
                          if lead.id in predicted}, predicted)

    def test_an_archived_draft_reads_back_as_the_rule_tested(self):
        """What the form reads after Run: the archived draft is still there, so the
        form names it and offers to apply it (a plain read hid archived rules)."""
        self.assertFalse(self.draft_rule.active)
        simulation = self._run(rule_ids=[(6, 0, self.draft_rule.ids)])
        simulation.invalidate_cache()
        [values] = simulation.read(["rule_ids"])
        self.assertEqual(values["rule_ids"], self.draft_rule.ids)
        self.assertEqual(simulation.rule_ids, self.draft_rule)

    def test_twenty_thousand_leads_change_nothing(self):
        # How long it takes is a row of `make bench` (item 9), not a timed test.
        self.env.cr.execute("""
            WITH new AS (
                INSERT INTO crm_lead (name, type, active, company_id, probability,
                                      create_uid, create_date, write_uid, write_date)
                SELECT 'diff bulk ' || n, 'lead', TRUE, %s, 10, %s,
                       now() AT TIME ZONE 'UTC', %s, now() AT TIME ZONE 'UTC'
                  FROM generate_series(1, 20000) AS n
                RETURNING id
            )
            INSERT INTO crm_lead_tag_rel (lead_id, tag_id) SELECT id, %s FROM new
        """, [self.env.user.company_id.id, self.env.uid, self.env.uid, self.tag.id])
        self.env["crm.lead"].invalidate_cache()
        before = self._state()
        simulation = self._run(rule_ids=[(6, 0, self.draft_rule.ids)])
        self.assertEqual(simulation.lead_count, 20008)
        self.assertGreater(simulation.change_count, 10000)
        self.assertEqual(self._state(), before)
