# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A lead's first-response deadline (speed-to-lead, issue 13): set with the owner
(``sales.allocation.response.deadlines``, written by the ledger) when a rule with a
deadline assigns the lead, cleared by the owner's first touch (what restarts his pool
idle clock), which is also recorded on the assignment's log row (``response_log_id``)
for the report."""
from odoo import api, fields, models

from ..dates import to_datetime
from ..sql import int_array


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
    response_log_id = fields.Many2one(
        "sales.allocation.log", string="First Response Assignment", readonly=True,
        copy=False, ondelete="set null",
        help="The log row of the assignment whose first response is awaited: the "
             "owner's first touch is recorded on it (speed-to-lead report).")

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
    def _pool_touch_owner(self, now=None):
        result = super(CrmLead, self)._pool_touch_owner(now=now)
        uid = self.env.uid
        answered = self.filtered(
            lambda lead: lead.response_deadline and lead.user_id.id == uid)
        if answered:
            # As the owner, through the low-level write (see _pool_touch_owner).
            answered._write({"response_deadline": False, "response_warned": False})
        self._response_first_touch(now)
        return result

    def _response_first_touch(self, now=None):
        """Record the owner's first response on the log rows of his running (or
        lapsed, not yet reassigned) deadlines, for the report; later touches keep it.
        One statement for the recordset; only the owner the deadline was set for."""
        uid = self.env.uid
        log_ids = [lead.response_log_id.id for lead in self
                   if lead.response_log_id and lead.user_id.id == uid
                   and lead.response_user_id.id == uid]
        if not log_ids:
            return
        self.env.cr.execute("""
            UPDATE sales_allocation_log SET response_date = %s
             WHERE id = ANY(%s::int[]) AND user_id = %s AND response_date IS NULL
        """, [fields.Datetime.to_string(to_datetime(now)) if now
              else fields.Datetime.now(), int_array(log_ids), uid])
        self.env["sales.allocation.log"].invalidate_cache(["response_date"], log_ids)
