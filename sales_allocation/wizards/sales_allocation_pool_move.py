# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class SalesAllocationPoolMove(models.TransientModel):
    """A manager puts selected leads into a pool, without owner, ready to be claimed."""

    _name = "sales.allocation.pool.move"
    _description = "Move leads into a pool"

    lead_ids = fields.Many2many(
        "crm.lead", string="Leads",
        default=lambda self: self.env["sales.allocation.pool.release"]._default_lead_ids())
    pool_id = fields.Many2one("sales.allocation.pool", required=True)

    @api.multi
    def action_move(self):
        self.ensure_one()
        self.lead_ids._pool_move(self.pool_id)
        return {"type": "ir.actions.act_window_close"}
