# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class SalesAllocationPoolRelease(models.TransientModel):
    """Release leads back to their pool, saying why (optional)."""

    _name = "sales.allocation.pool.release"
    _description = "Release leads to their pool"

    lead_ids = fields.Many2many(
        "crm.lead", string="Leads", default=lambda self: self._default_lead_ids())
    reason = fields.Text(
        help="Why you give these leads back, for the log and the next salesperson "
             "(optional).")

    @api.model
    def _default_lead_ids(self):
        if self.env.context.get("active_model") == "crm.lead":
            return [(6, 0, self.env.context.get("active_ids") or [])]
        return []

    @api.multi
    def action_release(self):
        self.ensure_one()
        self.lead_ids._pool_release(reason=self.reason)
        return {"type": "ir.actions.act_window_close"}
