# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""crm.lead, for the matrix and the hand-offs: product line, region, hand-off triggers.

Kept apart from crm_lead.py (the create-time allocation) because it is a separate
concern: what happens to a lead later in its life.
"""
from odoo import api, fields, models
from odoo.osv import expression

from ..access import internal_context, is_internal, skips_allocation

# Lead fields whose change can start a hand-off.
HANDOFF_FIELDS = frozenset(["type", "stage_id", "probability"])
# Set by this addon while crm converts leads: the conversion's hand-off runs after it.
CONVERTING = "sales_allocation_converting"


class CrmLead(models.Model):
    _inherit = "crm.lead"

    product_category_id = fields.Many2one(
        "product.category", string="Product line", index=True,
        help="What the customer is interested in. Matrix rules route leads by region "
             "and product line.")
    region_id = fields.Many2one(
        "sales.allocation.region", compute="_compute_region_id",
        search="_search_region_id",
        help="The sales region of the lead's province, else of its country.")

    @api.depends("state_id", "country_id")
    def _compute_region_id(self):
        territory = self.env["sales.allocation.region"].sudo()._engine_territory()
        for lead in self:
            regions = territory.regions_of(lead.state_id.id, lead.country_id.id)
            lead.region_id = regions[0] if regions else False

    def _search_region_id(self, operator, value):
        """Leads of the given regions, as a domain on province and country.

        Negations are turned into the positive "other regions, or no region" here:
        a '!' around the region domain would be NULL-unsafe in SQL (leads without a
        province would fall out of both a search and its negation).
        """
        Region = self.env["sales.allocation.region"].sudo()
        if operator in ("=", "!=", "in", "not in"):
            ids = value if isinstance(value, (list, tuple)) else [value]
            regions = Region.browse([region_id for region_id in ids if region_id])
            without_region = any(not region_id for region_id in ids)
            if operator in ("!=", "not in"):
                regions = Region._all() - regions
                without_region = not without_region
        else:
            regions = Region.search([("name", operator, value)])
            without_region = False
        domains = [regions._lead_domain()] if regions else []
        if without_region:
            domains.append(Region._no_region_lead_domain())
        return expression.OR(domains) if domains else [("id", "=", 0)]

    @api.multi
    def _sa_handoff_before(self, vals):
        """What a write of ``vals`` must compare to start hand-offs, read before it:
        lead id -> (type, stage, probability), with the rules' watch; None when the
        write cannot start one."""
        if not HANDOFF_FIELDS.intersection(vals):
            return None
        watch = self.env["sales.allocation.rule"]._handoff_watch()
        if not (watch["convert"] or watch["won"] or watch["stage"]):
            return None
        return watch, {lead.id: (lead.type, lead.stage_id.id, lead.probability)
                       for lead in self}

    @api.multi
    def _sa_handoffs(self, before):
        """Hand-offs after a write: run the rules of the trigger each change starts.

        Converted (type lead -> opportunity), entering a stage that a rule watches,
        won (probability reaching 100). Conversion through ``convert_opportunity`` is
        handled there instead, after crm has set the salesperson it chose.
        """
        if not before:
            return
        watch, states = before
        converting = is_internal(self.env, CONVERTING)
        converted, staged, won = [], [], []
        for lead in self:
            lead_type, stage_id, probability = states[lead.id]
            if (watch["convert"] and lead_type == "lead" and lead.type == "opportunity"
                    and not converting):
                converted.append(lead.id)
            if stage_id != lead.stage_id.id and lead.stage_id.id in watch["stage"]:
                staged.append(lead.id)
            if watch["won"] and probability < 100 <= lead.probability and lead.active:
                won.append(lead.id)
        self._sales_allocation_handoff(converted, "convert")
        self._sales_allocation_handoff(staged, "stage")
        self._sales_allocation_handoff(won, "won")

    @api.multi
    def convert_opportunity(self, partner_id, user_ids=False, team_id=False):
        """Hand the converted leads off once crm has converted and assigned them."""
        leads = self.filtered(lambda lead: lead.type == "lead")
        result = super(CrmLead, self.with_context(
            **internal_context(CONVERTING))).convert_opportunity(
                partner_id, user_ids=user_ids, team_id=team_id)
        if not is_internal(self.env, CONVERTING):
            self._sales_allocation_handoff(
                leads.filtered(lambda lead: lead.type == "opportunity").ids, "convert")
        return result

    @api.model
    def _sales_allocation_handoff(self, lead_ids, trigger):
        """Run the ``trigger`` rules on these leads (nothing when there are none)."""
        if not lead_ids or skips_allocation(self.env):
            return {}
        if trigger == "convert" and not self.env["sales.allocation.rule"]._handoff_watch()[
                "convert"]:
            return {}
        return self.env["sales.allocation.allocator"].allocate(
            lead_ids, trigger=trigger)
