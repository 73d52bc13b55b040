# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models


class SalesAllocationRule(models.Model):
    """Rules may send leads to a public pool, where they wait without owner."""

    _inherit = "sales.allocation.rule"

    target_type = fields.Selection(selection_add=[("pool", "Lead pool")])
    pool_id = fields.Many2one("sales.allocation.pool", ondelete="restrict")

    @api.constrains("target_type", "pool_id")
    def _check_pool_target(self):
        self._check_target()

    def _missing_target_message(self):
        if self.target_type == "pool" and not self.pool_id:
            return _("Rule \"%s\" sends leads to a lead pool: choose the pool.") % self.name
        return super(SalesAllocationRule, self)._missing_target_message()

    def _to_engine_rule(self):
        engine_rule, domain = super(SalesAllocationRule, self)._to_engine_rule()
        engine_rule.pool_id = self.pool_id.id or None
        return engine_rule, domain
