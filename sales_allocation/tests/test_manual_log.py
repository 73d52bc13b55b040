# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests.common import SavepointCase


class TestManualLogCannotBeSkipped(SavepointCase):
    """A context key sent by a caller must not hide an owner change from the log."""

    @classmethod
    def setUpClass(cls):
        super(TestManualLogCannotBeSkipped, cls).setUpClass()
        users = cls.env["res.users"].with_context(no_reset_password=True)
        cls.manager = users.create({
            "name": "Skip manager", "login": "skip_manager", "email": "m@example.com",
            "groups_id": [(6, 0, [cls.env.ref("sales_team.group_sale_manager").id])]})
        cls.rep = users.create({
            "name": "Skip rep", "login": "skip_rep", "email": "r@example.com",
            "groups_id": [(6, 0, [cls.env.ref("sales_team.group_sale_salesman").id])]})
        cls.lead = cls.env["crm.lead"].create({"name": "skip", "user_id": cls.manager.id})

    def test_skip_context_from_a_user_still_logs_manual(self):
        self.lead.sudo(self.manager).with_context(sales_allocation_skip=True).write(
            {"user_id": self.rep.id})
        logs = self.env["sales.allocation.log"].search(
            [("lead_id", "=", self.lead.id), ("event", "=", "manual")], order="id")
        self.assertEqual(len(logs), 2)  # the explicit owner at creation, then this
        self.assertEqual(logs[-1].user_id, self.rep)
        self.assertEqual(logs[-1].previous_user_id, self.manager)
        self.assertEqual(logs[-1].author_id, self.manager)

    def test_skip_context_from_a_user_on_create_is_ignored(self):
        """From anybody but the superuser the key is input, not a switch: the create
        goes through the rules as without it (crm's default owner, the caller, is
        dropped) and its outcome is logged."""
        self.env["sales.allocation.rule"].search([]).write({"active": False})
        self.env["sales.allocation.rule"].create({
            "name": "Skip test: everything to the rep", "sequence": 1,
            "target_type": "user", "user_id": self.rep.id})
        lead = self.env["crm.lead"].sudo(self.manager).with_context(
            sales_allocation_skip=True).create({"name": "skipped create"})
        self.assertEqual(lead.user_id, self.rep)
        self.assertEqual(lead.allocation_state, "allocated")
        log = self.env["sales.allocation.log"].search([("lead_id", "=", lead.id)])
        self.assertEqual((log.event, log.user_id), ("assigned", self.rep))
