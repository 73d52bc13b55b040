# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.multi
    def _sales_allocation_digest(self, count):
        """Notify this rep's partner by his own preference (inbox or email)."""
        self.ensure_one()
        if count == 1:
            body = _("A new lead was allocated to you.")
        else:
            body = _("%d new leads were allocated to you.") % count
        return self.with_context(mail_create_nosubscribe=True).message_post(
            body=body, subject=_("New leads"), partner_ids=[self.id],
            subtype="mail.mt_comment", message_type="notification")
