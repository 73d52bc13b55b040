# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Why not me (issue 15, item 3): the members a queue passed over, in the log row.

The log's ``reason`` names a few of them (``sales.allocation.reasons``, shortened to
fit); ``passed_over`` lists them all; ``skip_codes`` keeps the machine codes the
rule's 30-day figures and the unplaced-leads monitor count.
"""
from odoo import fields, models


class SalesAllocationLog(models.Model):
    _inherit = "sales.allocation.log"

    passed_over = fields.Text(
        readonly=True,
        help="Every member of the queues consulted who could not take the lead, and "
             "why (cap reached, unavailable, off shift, cooldown, excluded, archived).")
    skip_codes = fields.Char(
        readonly=True,
        help="Technical: why codes of the deciding rule's queue, and passed:<rule id> "
             "for each rule whose target could not take the lead.")
