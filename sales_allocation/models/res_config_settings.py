# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""CRM settings of the matching before routing (issue 14): which strengths are on and
the public mail domains, kept in ``ir.config_parameter`` (``sales.allocation.match``
reads them)."""
from odoo import api, fields, models

from ..engine import dedupe
from .sales_allocation_match import PUBLIC_DOMAINS_PARAM, STRENGTHS_PARAM


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    sa_match_email = fields.Boolean(
        string="Match by Email Address",
        help="A new lead with the email address of an open lead goes to its owner.")
    sa_match_domain = fields.Boolean(
        string="Match by Email Domain",
        help="Company domains only: the public mail domains below are ignored.")
    sa_match_phone = fields.Boolean(
        string="Match by Phone",
        help="Phone and mobile, normalized in the lead's country (+86 138-0013-8000, "
             "13800138000 and 0086 13800138000 are one number).")
    sa_match_company = fields.Boolean(
        string="Match by Company Name",
        help="Case, full-width characters, spaces, punctuation and legal suffixes "
             "(股份有限公司, 有限公司, Co., Ltd., Inc., GmbH...) are ignored.")
    sa_match_vat = fields.Boolean(
        string="Match by VAT",
        help="The customer's VAT / unified social credit code.")
    sa_public_mail_domains = fields.Text(
        string="Public Mail Domains",
        help="Free mail providers (one per line or separated by commas): an address "
             "there says nothing about the company, so its domain is never matched. "
             "Their subdomains are covered too.")

    @api.model
    def get_values(self):
        values = super(ResConfigSettings, self).get_values()
        matching = self.env["sales.allocation.match"]
        enabled = matching._enabled_strengths()
        for strength in dedupe.STRENGTHS:
            values["sa_match_%s" % strength] = strength in enabled
        text = self.env["ir.config_parameter"].sudo().get_param(PUBLIC_DOMAINS_PARAM)
        values["sa_public_mail_domains"] = (
            matching._default_public_domains_text() if text is False or text is None
            else text)
        return values

    @api.multi
    def set_values(self):
        result = super(ResConfigSettings, self).set_values()
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(STRENGTHS_PARAM, ",".join(
            strength for strength in dedupe.STRENGTHS
            if self["sa_match_%s" % strength]) or "none")
        # Kept as typed, even empty ("no public domain"): read with parse_domain_list.
        params.set_param(PUBLIC_DOMAINS_PARAM, self.sa_public_mail_domains or " ")
        return result
