# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Territory tools: the rotation wizard (区域轮岗) and the territory analysis."""
from odoo.exceptions import UserError

from .test_matrix import MatrixCase


class TestTerritory(MatrixCase):

    def setUp(self):
        super(TestTerritory, self).setUp()
        Lead = self.Lead.with_context(sales_allocation_skip=True)

        def lead(name, user, state, category, **vals):
            vals.setdefault("type", "lead")
            return Lead.create(dict(
                vals, name=name, user_id=user.id, country_id=self.china.id,
                state_id=state.id, product_category_id=category.id))

        # Rep A holds East hardware (3 open, 1 won, 1 lost), East software and a
        # Beijing (country-level region) server lead; Rep B one East server lead.
        self.moving = (lead("SA A ZJ servers", self.rep_a, self.zhejiang, self.servers)
                       | lead("SA A SH gpu", self.rep_a, self.shanghai, self.gpu)
                       | lead("SA A ZJ storage opp", self.rep_a, self.zhejiang, self.storage,
                              type="opportunity"))
        self.won = lead("SA A ZJ won", self.rep_a, self.zhejiang, self.servers,
                        probability=100)
        self.lost = lead("SA A ZJ lost", self.rep_a, self.zhejiang, self.servers,
                         active=False)
        self.software = lead("SA A ZJ software", self.rep_a, self.zhejiang, self.software)
        self.beijing_lead = lead("SA A BJ servers", self.rep_a, self.beijing, self.servers)
        self.rep_b_lead = lead("SA B ZJ servers", self.rep_b, self.zhejiang, self.servers)
        self.all_leads = (self.moving | self.won | self.lost | self.software
                          | self.beijing_lead | self.rep_b_lead)

    def _wizard(self, **vals):
        values = {"user_id": self.rep_a.id, "region_id": self.east.id,
                  "product_category_id": self.hardware.id}
        values.update(vals)
        return self.env["sales.allocation.territory.rotation"].create(values)

    def _db_owners(self, leads):
        self.env.cr.execute("SELECT id, user_id FROM crm_lead WHERE id IN %s",
                            [tuple(leads.ids)])
        return dict(self.env.cr.fetchall())

    # ------------------------------------------------------------------ rotation

    def test_rotation_to_a_salesperson(self):
        wizard = self._wizard(target_type="user", new_user_id=self.rep_c.id)
        self.assertEqual(wizard.lead_count, 3)
        action = wizard.action_rotate()
        self.assertEqual(sorted(action["domain"][0][2]), sorted(self.moving.ids))
        owners = self._db_owners(self.all_leads)
        for lead in self.moving:
            self.assertEqual(owners[lead.id], self.rep_c.id, lead.name)
        for lead in self.won | self.lost | self.software | self.beijing_lead:
            self.assertEqual(owners[lead.id], self.rep_a.id, lead.name)
        self.assertEqual(owners[self.rep_b_lead.id], self.rep_b.id)
        for lead in self.moving:
            log = self._last_log(lead)
            self.assertEqual((log.event, log.user_id, log.previous_user_id),
                             ("reassigned", self.rep_c, self.rep_a))
            self.assertIn("Territory rotation: taken over from Rep A.", log.reason)
            self.assertIn(self.rep_c.partner_id, lead.message_partner_ids)
            self.assertEqual(lead.allocation_state, "allocated")

    def test_rotation_to_a_queue_skips_the_leaving_rep(self):
        wizard = self._wizard(target_type="queue", queue_id=self.seq_queue.id,
                              product_category_id=False)
        self.assertEqual(wizard.lead_count, 4)   # the three hardware leads + software
        wizard.action_rotate()
        moved = self.moving | self.software
        owners = self._db_owners(moved)
        self.assertEqual([owners[lead_id] for lead_id in sorted(moved.ids)],
                         [self.rep_b.id, self.rep_c.id, self.rep_b.id, self.rep_c.id])
        log = self._last_log(moved[0])
        self.assertEqual(log.queue_id, self.seq_queue)
        self.assertIn('Queue "SA sequential"', log.reason)
        self.assertEqual(self.seq_queue.last_user_id, self.rep_c)

    def test_rotation_in_several_batches(self):
        self.env["ir.config_parameter"].sudo().set_param("sales_allocation.batch_size", "2")
        self._wizard(target_type="queue", queue_id=self.seq_queue.id).action_rotate()
        owners = self._db_owners(self.moving)
        self.assertEqual([owners[lead_id] for lead_id in sorted(self.moving.ids)],
                         [self.rep_b.id, self.rep_c.id, self.rep_b.id])
        self.assertEqual(len(self.Log.search([("lead_id", "in", self.moving.ids),
                                              ("event", "=", "reassigned")])), 3)

    def test_rotation_by_product_line_only(self):
        wizard = self._wizard(target_type="user", new_user_id=self.rep_c.id,
                              region_id=False)
        self.assertEqual(wizard.lead_count, 4)   # East hardware + the Beijing server lead
        wizard.action_rotate()
        self.assertEqual(self._db_owners(self.beijing_lead)[self.beijing_lead.id],
                         self.rep_c.id)

    def test_rotation_to_a_full_queue_moves_nothing(self):
        queue = self._queue("SA tiny", "sequential", self.rep_d, max_open_leads=1)
        wizard = self._wizard(target_type="queue", queue_id=queue.id)
        with self.assertRaises(UserError):
            wizard.action_rotate()
        owners = self._db_owners(self.moving)
        self.assertEqual(set(owners.values()), {self.rep_a.id})

    def test_rotation_input_errors(self):
        with self.assertRaises(UserError):
            self._wizard(target_type="user", new_user_id=self.rep_c.id, region_id=False,
                         product_category_id=False).action_rotate()
        with self.assertRaises(UserError):
            self._wizard(target_type="user", new_user_id=self.rep_a.id).action_rotate()
        with self.assertRaises(UserError):
            self._wizard(target_type="user").action_rotate()
        with self.assertRaises(UserError):
            self._wizard(target_type="user", new_user_id=self.rep_c.id,
                         user_id=self.rep_d.id).action_rotate()

    # ------------------------------------------------------------------ analysis

    def test_territory_report_matches_the_leads(self):
        Report = self.env["sales.allocation.territory.report"]
        rows = Report.search([("lead_id", "in", self.all_leads.ids)])
        self.assertEqual(len(rows), len(self.all_leads), "lost leads are included")
        by_lead = {row.lead_id.id: row for row in rows}
        for lead in self.all_leads.with_context(active_test=False):
            self.assertEqual(by_lead[lead.id].region_id, lead.region_id, lead.name)
            self.assertEqual(by_lead[lead.id].product_category_id, lead.product_category_id)
        self.assertEqual(by_lead[self.beijing_lead.id].region_id, self.cn)
        self.assertEqual((by_lead[self.won.id].won, by_lead[self.lost.id].lost,
                          by_lead[self.lost.id].nbr_open), (1, 1, 0))

    def test_territory_pivot_by_region_product_line_and_rep(self):
        Report = self.env["sales.allocation.territory.report"]
        groups = Report.read_group(
            [("lead_id", "in", self.all_leads.ids), ("region_id", "=", self.east.id),
             ("product_category_id", "child_of", self.hardware.id)],
            ["user_id", "nbr", "nbr_open", "won", "converted", "conversion_rate"],
            ["user_id"])
        by_user = {group["user_id"][0]: group for group in groups}
        rep_a = by_user[self.rep_a.id]
        # Rep A: three open hardware leads, one won, one lost, in East.
        self.assertEqual((rep_a["nbr"], rep_a["nbr_open"], rep_a["won"], rep_a["converted"]),
                         (5, 3, 1, 1))
        self.assertAlmostEqual(rep_a["conversion_rate"], 20.0)
        self.assertEqual(by_user[self.rep_b.id]["nbr"], 1)
