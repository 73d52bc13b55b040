# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class SalesAllocationPoolAssign(models.TransientModel):
    """A manager gives pool leads to a salesperson directly, past the pool's limits."""

    _name = "sales.allocation.pool.assign"
    _description = "Assign pool leads to a salesperson"

    lead_ids = fields.Many2many(
        "crm.lead", string="Leads",
        default=lambda self: self.env["sales.allocation.pool.release"]._default_lead_ids())
    user_id = fields.Many2one(
        "res.users", string="Salesperson", required=True,
        domain=[("share", "=", False)])

    @api.multi
    def action_assign(self):
        self.ensure_one()
        self.lead_ids._pool_assign(self.user_id)
        return {"type": "ir.actions.act_window_close"}
