# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests.common import SavepointCase


class TestReports(SavepointCase):
    """The dashboards' SQL views count what the log and the leads say."""

    @classmethod
    def setUpClass(cls):
        super(TestReports, cls).setUpClass()
        cls.env["sales.allocation.rule"].search([]).write({"active": False})
        users = cls.env["res.users"].with_context(no_reset_password=True)
        groups = [(6, 0, [cls.env.ref("sales_team.group_sale_salesman").id])]
        cls.rep_a = users.create({"name": "Report A", "login": "report_a",
                                  "groups_id": groups})
        cls.rep_b = users.create({"name": "Report B", "login": "report_b",
                                  "groups_id": groups})
        cls.team = cls.env["crm.team"].create({"name": "Report team"})
        cls.queue = cls.env["sales.allocation.queue"].create({
            "name": "Report queue", "team_id": cls.team.id,
            "member_ids": [(0, 0, {"user_id": cls.rep_a.id}),
                           (0, 0, {"user_id": cls.rep_b.id})],
        })
        cls.rule = cls.env["sales.allocation.rule"].create({
            "name": "Report rule", "target_type": "queue", "queue_id": cls.queue.id})
        cls.leads = cls.env["crm.lead"].browse()
        for i in range(3):
            cls.leads |= cls.env["crm.lead"].create(
                {"name": "report %d" % i, "type": "lead",
                 "planned_revenue": 100.0 * (i + 1)})

    def test_allocation_analysis_counts_and_conversion(self):
        self.leads[0].convert_opportunity(False)
        Report = self.env["sales.allocation.report"]
        rows = Report.read_group(
            [("rule_id", "=", self.rule.id)],
            ["user_id", "nbr", "converted", "conversion_rate", "expected_revenue"],
            ["user_id"])
        by_user = {row["user_id"][0]: row for row in rows}
        # a, b, a in turn
        self.assertEqual(by_user[self.rep_a.id]["nbr"], 2)
        self.assertEqual(by_user[self.rep_b.id]["nbr"], 1)
        self.assertEqual(by_user[self.rep_a.id]["converted"], 1)
        self.assertAlmostEqual(by_user[self.rep_a.id]["conversion_rate"], 50.0)
        self.assertAlmostEqual(by_user[self.rep_a.id]["expected_revenue"], 400.0)
        self.assertEqual(by_user[self.rep_b.id]["converted"], 0)

    def test_fairness_per_day_and_team(self):
        Fairness = self.env["sales.allocation.fairness.report"]
        row = Fairness.search([("team_id", "=", self.team.id)])
        self.assertEqual(len(row), 1)
        self.assertEqual((row.rep_count, row.lead_count), (2, 3))
        # loads 2 and 1: stddev 0.5 over mean 1.5
        self.assertAlmostEqual(row.fairness, 1 / 3.0, places=4)

    def test_each_lead_explains_its_owner_from_the_log(self):
        lead = self.leads[1]
        self.assertIn('Rule "Report rule" matched', lead.allocation_explanation)
        self.assertIn("chose Report B", lead.allocation_explanation)
        lead.user_id = self.rep_a
        lead.invalidate_cache(["allocation_explanation"], lead.ids)
        self.assertIn("set by hand", lead.allocation_explanation)

    def test_allocations_by_region_and_product_line(self):
        province = self.env.ref("l10n_cn.state_ZJ")
        Region = self.env["sales.allocation.region"]
        region = Region.search([("state_ids", "in", province.ids)]) or Region.create({
            "name": "Report region", "state_ids": [(6, 0, province.ids)]})
        category = self.env["product.category"].create({"name": "Report line"})
        lead = self.env["crm.lead"].create({
            "name": "report by territory", "type": "lead", "state_id": province.id,
            "country_id": province.country_id.id, "product_category_id": category.id})
        rows = self.env["sales.allocation.report"].search_read(
            [("lead_id", "=", lead.id)], ["region_id", "product_category_id", "event"])
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["region_id"][0], region.id)
        self.assertEqual(rows[0]["product_category_id"][0], category.id)
        self.assertEqual(rows[0]["event"], "assigned")
