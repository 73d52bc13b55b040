# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A lead held for the next shift (issue 13): no member of its queue was at work, and
the queue holds leads instead of trying the next rule. Set and cleared by
``sales.allocation.worktime.flag_held`` after each allocation batch."""
from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    allocation_held = fields.Boolean(
        string="Held for a Shift", readonly=True, copy=False,
        help="Nobody in the queue of the matching rule was on shift: the lead waits "
             "unallocated and the backlog run gives it to the first member whose shift "
             "starts.")
