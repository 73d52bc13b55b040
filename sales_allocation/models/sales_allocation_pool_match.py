# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Pool protections of issue 14: claim checks (a rep may not claim a lead of a customer
another rep already follows, 撞单, unless the pool allows it) and the protection period
of a lead just claimed or assigned (``engine.reclaim``'s ``protect_days``)."""
from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError


class SalesAllocationPool(models.Model):
    _inherit = "sales.allocation.pool"

    allow_matched_claims = fields.Boolean(
        string="Allow Claiming Followed Customers",
        help="Off: a salesperson cannot claim a lead whose customer another salesperson "
             "already follows (an open lead or opportunity with the same email, email "
             "domain, phone, company name or VAT, as set in the CRM settings); the "
             "refusal names that salesperson. On: such claims are allowed.")
    mask_contacts = fields.Boolean(
        string="Hide Contact Details",
        help="Phone, mobile, email and contact name of the pool's leads are masked "
             "(138****8000, w***@example.com) for every salesperson until he claims the "
             "lead: in lists, forms, searches, exports and over XML-RPC. The owner and "
             "the managers see them.")
    protect_days = fields.Integer(
        string="Protection Period",
        help="A lead just claimed or assigned is not taken back for this many days, "
             "whatever its idle or holding timer says. 0: no protection.")

    @api.constrains("protect_days")
    def _check_protect_days(self):
        for pool in self:
            if pool.protect_days < 0:
                raise ValidationError(_(
                    "Pool \"%s\": the protection period cannot be negative. Use 0 for "
                    "none.") % pool.name)

    def _check_matched_claims(self, rows, user):
        """Refuse the claim of ``rows`` (locked pool leads of this pool) by ``user``
        when one of them matches an open lead another rep owns: one query for all."""
        self.ensure_one()
        if self.allow_matched_claims or not rows:
            return
        matching = self.env["sales.allocation.match"]
        matches = matching._find([row["id"] for row in rows])
        for row in rows:
            match = matches.get(row["id"])
            if match is None or match.owner_id == user.id:
                continue
            owner = self.env["res.users"].sudo().browse(match.owner_id)
            name = matching._lead_names([match.lead_id]).get(match.lead_id, "")
            raise UserError(_(
                "Lead \"%(lead)s\": a customer already followed by %(owner)s "
                "(%(match)s). Ask %(owner)s or a sales manager before working it.") % {
                    "lead": row["name"], "owner": owner.name,
                    "match": matching._phrase(match.strength, name, owner.name)})
