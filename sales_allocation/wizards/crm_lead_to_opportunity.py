# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

from ..access import internal_context, is_internal
from ..models.crm_lead_matrix import CONVERTING


class CrmLead2OpportunityPartner(models.TransientModel):
    _inherit = "crm.lead2opportunity.partner"

    @api.multi
    def _convert_opportunity(self, vals):
        """Hand the converted leads off after the wizard has set its salesperson.

        crm converts each lead, then gives all of them to the wizard's salesperson: a
        hand-off run inside ``convert_opportunity`` would be undone by that. So the
        conversion runs without hand-off, and the 'convert' rules run last.
        """
        leads = self.env["crm.lead"].browse(vals.get("lead_ids") or [])
        to_convert = leads.filtered(lambda lead: lead.type == "lead")
        result = super(CrmLead2OpportunityPartner, self.with_context(
            **internal_context(CONVERTING)))._convert_opportunity(vals)
        if not is_internal(self.env, CONVERTING):
            self.env["crm.lead"]._sales_allocation_handoff(
                to_convert.filtered(lambda lead: lead.type == "opportunity").ids,
                "convert")
        return result
