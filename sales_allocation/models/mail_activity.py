# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class MailActivity(models.Model):
    """An activity the owner schedules or completes on his lead is work on it: it
    restarts the lead's idle clock in its pool (``crm.lead._pool_touch_owner``)."""

    _inherit = "mail.activity"

    @api.model
    def create(self, values):
        activity = super(MailActivity, self).create(values)
        if values.get("res_id") and activity.res_model == "crm.lead":
            self._touch_leads([activity.res_id])
        return activity

    def action_feedback(self, feedback=False):
        lead_ids = [activity.res_id for activity in self
                    if activity.res_model == "crm.lead"]
        result = super(MailActivity, self).action_feedback(feedback=feedback)
        self._touch_leads(lead_ids)
        return result

    @api.model
    def _touch_leads(self, lead_ids):
        if lead_ids:
            self.env["crm.lead"].browse(lead_ids).exists()._pool_touch_owner()
