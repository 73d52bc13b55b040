# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A lead's first-response deadline (speed-to-lead, issue 13): set by
``sales.allocation.response.start`` when a rule with a deadline assigns the lead,
cleared by the owner's first touch (what restarts his pool idle clock)."""
from odoo import api, fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    response_deadline = fields.Datetime(
        string="First Response Due", readonly=True, copy=False,
        help="The owner must touch the lead before this moment (working minutes of "
             "his calendar), or it goes to the next member of the queue.")
    response_user_id = fields.Many2one(
        "res.users", string="First Response Owner", readonly=True, copy=False,
        help="The owner the deadline was set for: a lead that changed hands since "
             "then is not reassigned by it.")
    response_warned = fields.Boolean(
        string="First Response Warned", readonly=True, copy=False)

    @api.model_cr
    def init(self):
        result = super(CrmLead, self).init()
        # The speed-to-lead run reads the running deadlines only: its cost follows
        # them, not the table.
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS crm_lead_response_deadline_idx
                ON crm_lead (response_deadline) WHERE response_deadline IS NOT NULL
        """)
        return result

    @api.multi
    def _pool_touch_owner(self):
        result = super(CrmLead, self)._pool_touch_owner()
        uid = self.env.uid
        answered = self.filtered(
            lambda lead: lead.response_deadline and lead.user_id.id == uid)
        if answered:
            # As the owner, through the low-level write (see _pool_touch_owner).
            answered._write({"response_deadline": False, "response_warned": False})
        return result
