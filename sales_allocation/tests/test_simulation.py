# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import ValidationError
from odoo.tests.common import SavepointCase


class TestSimulation(SavepointCase):
    """The dry run predicts exactly what allocation then does, and changes nothing."""

    @classmethod
    def setUpClass(cls):
        super(TestSimulation, cls).setUpClass()
        cls.env["sales.allocation.rule"].search([]).write({"active": False})
        users = cls.env["res.users"].with_context(no_reset_password=True)
        group_ids = [cls.env.ref("sales_team.group_sale_salesman").id]
        cls.reps = users.browse()
        for login in ("sim_a", "sim_b", "sim_c"):
            cls.reps |= users.create({
                "name": login, "login": login, "groups_id": [(6, 0, group_ids)]})
        cls.queue = cls.env["sales.allocation.queue"].create({
            "name": "Simulated queue",
            "strategy": "sequential",
            "member_ids": [(0, 0, {"user_id": rep.id, "sequence": index,
                                   "max_open_leads": 2 if index == 2 else 0})
                           for index, rep in enumerate(cls.reps)],
        })
        cls.tag = cls.env["crm.lead.tag"].create({"name": "simulated"})
        Lead = cls.env["crm.lead"].with_context(sales_allocation_skip=True)
        cls.leads = Lead.browse()
        for i in range(8):
            cls.leads |= Lead.create({
                "name": "sim %d" % i, "user_id": False, "tag_ids": [(6, 0, cls.tag.ids)]})
        cls.draft_rule = cls.env["sales.allocation.rule"].create({
            "name": "Draft: simulated leads to the queue",
            "active": False,
            "target_type": "queue",
            "queue_id": cls.queue.id,
            "tag_ids": [(6, 0, cls.tag.ids)],
        })
        cls.domain = "[('tag_ids', 'in', %s)]" % cls.tag.ids

    def _run(self, **values):
        simulation = self.env["sales.allocation.simulation"].create(
            dict({"lead_domain": self.domain}, **values))
        action = simulation.action_run()
        self.assertEqual(action["res_model"], "sales.allocation.simulation")
        self.assertEqual(action["res_id"], simulation.id)
        return simulation

    def test_draft_rules_predict_the_real_allocation_and_change_nothing(self):
        log_count = self.env["sales.allocation.log"].search_count([])
        simulation = self._run(rule_ids=[(6, 0, self.draft_rule.ids)])
        predicted = {line.lead_id.id: line.user_id.id for line in simulation.line_ids}
        self.assertEqual(set(predicted), set(self.leads.ids))
        # Nothing was written: owners, rotation and log are as before.
        self.assertFalse(self.leads.mapped("user_id"))
        self.assertFalse(self.queue.last_user_id)
        self.assertEqual(self.env["sales.allocation.log"].search_count([]), log_count)
        # rep c is capped at 2: 8 leads in turn a, b, c, a, b, c, a, b.
        a, b, c = self.reps
        counts = {rep.user_id: rep.count for rep in simulation.rep_ids}
        self.assertEqual((counts[a], counts[b], counts[c]), (3, 3, 2))
        self.assertEqual(simulation.placed_count, 8)
        self.assertEqual(simulation.unplaced_count, 0)
        rep_c = simulation.rep_ids.filtered(lambda rep: rep.user_id == c)
        self.assertEqual((rep_c.cap, rep_c.cap_use), (2, 100.0))
        self.assertAlmostEqual(simulation.fairness, (2 ** 0.5 / 3) / (8 / 3.0), places=3)
        # Now for real, with the draft activated: the same owners.
        self.draft_rule.active = True
        self.leads.action_allocate()
        self.assertEqual({lead.id: lead.user_id.id for lead in self.leads}, predicted)

    def test_daily_caps_are_honoured_and_shown(self):
        """A cap of new leads per day: the replay stops giving to the rep at his cap
        (as allocation would today) and his line shows the caps."""
        rep_a, rep_b, rep_c = self.reps
        self.queue.member_ids.filtered(lambda member: member.user_id == rep_a).write(
            {"max_new_per_day": 1, "max_new_per_week": 5})
        simulation = self._run(rule_ids=[(6, 0, self.draft_rule.ids)])
        reps = {rep.user_id: rep for rep in simulation.rep_ids}
        self.assertEqual(reps[rep_a].count, 1)
        self.assertEqual((reps[rep_a].max_new_per_day, reps[rep_a].max_new_per_week), (1, 5))
        self.assertEqual((reps[rep_b].max_new_per_day, reps[rep_b].max_new_per_week), (0, 0))
        self.assertEqual(reps[rep_c].count, 2)  # his cap of open leads
        self.assertEqual(reps[rep_b].count, 5)

    def test_active_rules_by_default_and_unplaced_leads_listed(self):
        simulation = self._run()
        self.assertEqual(simulation.lead_count, 8)
        self.assertEqual(simulation.unplaced_count, 8)
        self.assertFalse(simulation.line_ids.filtered("placed"))
        self.assertIn("No rule placed", simulation.line_ids[0].reason)

    def test_bad_domain_is_refused_with_a_hint(self):
        with self.assertRaisesRegex(ValidationError, "not a valid domain"):
            self.env["sales.allocation.simulation"].create(
                {"lead_domain": "[('no_such_field', '=', 1)]"})

    def test_matrix_cell_queues_count_in_the_per_rep_figures(self):
        province = self.env.ref("l10n_cn.state_ZJ")
        Region = self.env["sales.allocation.region"]
        region = Region.search([("state_ids", "in", province.ids)]) or Region.create({
            "name": "Sim region", "state_ids": [(6, 0, province.ids)]})
        category = self.env["product.category"].create({"name": "Sim line"})
        cell_queue = self.env["sales.allocation.queue"].create({
            "name": "Cell-only queue",
            "member_ids": [(0, 0, {"user_id": self.reps[0].id, "max_open_leads": 5})],
        })
        matrix = self.env["sales.allocation.matrix"].create({
            "name": "Sim matrix",
            "cell_ids": [(0, 0, {"region_id": region.id, "product_category_id": category.id,
                                 "target_type": "queue", "queue_id": cell_queue.id})],
        })
        rule = self.env["sales.allocation.rule"].create({
            "name": "Draft: by matrix", "active": False, "target_type": "matrix",
            "matrix_id": matrix.id, "tag_ids": [(6, 0, self.tag.ids)]})
        self.leads[:2].write({"state_id": province.id, "country_id": province.country_id.id,
                              "product_category_id": category.id})
        simulation = self._run(rule_ids=[(6, 0, rule.ids)])
        self.assertEqual(simulation.placed_count, 2)
        rep = simulation.rep_ids.filtered(lambda row: row.user_id == self.reps[0])
        self.assertEqual((rep.count, rep.cap, rep.cap_use), (2, 5, 40.0))
