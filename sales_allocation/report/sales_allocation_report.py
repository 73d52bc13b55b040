# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models, tools

from ..models.sales_allocation_log import EVENTS


class SalesAllocationReport(models.Model):
    """One row per ownership change, with what became of the lead since.

    Read-only SQL view behind CRM > Reporting > Allocation: allocations per rep, rule,
    queue, region, product line and period, and how many of those leads were converted
    or won (from the territory report, which has one row per lead).
    """

    _name = "sales.allocation.report"
    _description = "Allocation analysis"
    _auto = False
    _order = "date desc"
    _rec_name = "lead_id"

    date = fields.Datetime(readonly=True)
    event = fields.Selection(EVENTS, readonly=True)
    lead_id = fields.Many2one("crm.lead", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    previous_user_id = fields.Many2one(
        "res.users", string="Previous Owner", readonly=True)
    rule_id = fields.Many2one("sales.allocation.rule", readonly=True)
    queue_id = fields.Many2one("sales.allocation.queue", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Channel", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    state_id = fields.Many2one("res.country.state", string="Province", readonly=True)
    region_id = fields.Many2one(
        "sales.allocation.region", readonly=True)
    product_category_id = fields.Many2one(
        "product.category", string="Product line", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    nbr = fields.Integer(string="# Changes", readonly=True)
    converted = fields.Integer(string="# Converted", readonly=True)
    won = fields.Integer(string="# Won", readonly=True)
    conversion_rate = fields.Float(
        string="Conversion Rate (%)", group_operator="avg", readonly=True,
        help="Share of these leads that are opportunities now.")
    won_rate = fields.Float(string="Won Rate (%)", group_operator="avg", readonly=True)
    expected_revenue = fields.Float(readonly=True)
    won_revenue = fields.Float(readonly=True)

    def _select(self):
        # What became of the lead comes from the territory report (one row per lead).
        return """
            SELECT log.id, log.date, log.event, log.lead_id, log.user_id,
                   log.previous_user_id, log.rule_id, log.queue_id,
                   COALESCE(log.team_id, lead.team_id) AS team_id,
                   lead.country_id, lead.state_id, lead.company_id, lead.region_id,
                   lead.product_category_id, 1 AS nbr, lead.converted, lead.won,
                   lead.conversion_rate, lead.won_rate, lead.expected_revenue,
                   lead.won_revenue
        """

    def _from(self):
        return """
              FROM sales_allocation_log log
              JOIN sales_allocation_territory_report lead ON lead.lead_id = log.lead_id
        """

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute("CREATE OR REPLACE VIEW %s AS (%s %s)" % (
            self._table, self._select(), self._from()))
