# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Simulation at a point in time (issue 13, item 6): who would be skipped as off shift
or on leave "as if at Monday 09:30 Asia/Shanghai"."""
from odoo import fields, models


class SalesAllocationSimulation(models.TransientModel):
    _inherit = "sales.allocation.simulation"

    simulate_at = fields.Datetime(
        string="As If At",
        help="Replay the leads as if they arrived at this moment: members of queues "
             "that respect working hours are skipped when off shift or on leave then "
             "(in each member's own time zone). Empty: now.")

    def _simulation_moment(self):
        """The UTC moment the working hours are read at (None: now)."""
        value = self[:1].simulate_at
        return fields.Datetime.from_string(value) if value else None
