# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models, tools

from ..sql import open_lead_sql


class SalesAllocationTerritoryReport(models.Model):
    """One row per lead (lost ones included) with its region and product line.

    Read-only SQL view behind CRM > Reporting > Allocation > Territory Analysis: leads,
    open load, conversion and won revenue by region x product line x rep, so that a
    manager can judge a territory's potential and whether it is shared out fairly.
    The region is the one ``engine.matrix.Territory.regions_of`` gives first: the
    region naming the lead's province, else the one naming its country (the lead's,
    or its province's); the lowest id should two regions ever name the same place.
    """

    _name = "sales.allocation.territory.report"
    _description = "Territory analysis"
    _auto = False
    _order = "date desc"
    _rec_name = "lead_id"

    date = fields.Datetime(string="Created On", readonly=True)
    lead_id = fields.Many2one("crm.lead", readonly=True)
    type = fields.Selection(
        [("lead", "Lead"), ("opportunity", "Opportunity")], readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Channel", readonly=True)
    region_id = fields.Many2one(
        "sales.allocation.region", readonly=True)
    product_category_id = fields.Many2one(
        "product.category", string="Product line", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    state_id = fields.Many2one("res.country.state", string="Province", readonly=True)
    stage_id = fields.Many2one("crm.stage", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    nbr = fields.Integer(string="# Leads", readonly=True)
    nbr_open = fields.Integer(
        string="# Open", readonly=True,
        help="Leads and opportunities still being worked on (not won, not lost): the "
             "load of each salesperson.")
    converted = fields.Integer(string="# Converted", readonly=True)
    won = fields.Integer(string="# Won", readonly=True)
    lost = fields.Integer(string="# Lost", readonly=True)
    conversion_rate = fields.Float(
        string="Conversion Rate (%)", group_operator="avg", readonly=True,
        help="Share of these leads that became opportunities.")
    won_rate = fields.Float(string="Won Rate (%)", group_operator="avg", readonly=True)
    expected_revenue = fields.Float(readonly=True)
    won_revenue = fields.Float(readonly=True)

    def _select(self):
        return """
            SELECT lead.id, lead.id AS lead_id, lead.create_date AS date, lead.type,
                   lead.user_id, lead.team_id, lead.country_id, lead.state_id,
                   lead.stage_id, lead.company_id, lead.product_category_id,
                   COALESCE(
                       (SELECT min(rs.region_id) FROM sales_allocation_region_state_rel rs
                         WHERE rs.state_id = lead.state_id),
                       (SELECT min(rc.region_id)
                          FROM sales_allocation_region_country_rel rc
                         WHERE rc.country_id = COALESCE(lead.country_id, st.country_id))
                   ) AS region_id,
                   1 AS nbr,
                   CASE WHEN """ + open_lead_sql("lead") + """
                        THEN 1 ELSE 0 END AS nbr_open,
                   CASE WHEN lead.type = 'opportunity' THEN 1 ELSE 0 END AS converted,
                   CASE WHEN lead.probability >= 100 THEN 1 ELSE 0 END AS won,
                   CASE WHEN NOT lead.active THEN 1 ELSE 0 END AS lost,
                   CASE WHEN lead.type = 'opportunity' THEN 100.0 ELSE 0.0 END
                       AS conversion_rate,
                   CASE WHEN lead.probability >= 100 THEN 100.0 ELSE 0.0 END AS won_rate,
                   COALESCE(lead.planned_revenue, 0) AS expected_revenue,
                   CASE WHEN lead.probability >= 100 THEN COALESCE(lead.planned_revenue, 0)
                        ELSE 0 END AS won_revenue
        """

    def _from(self):
        return """
              FROM crm_lead lead
              LEFT JOIN res_country_state st ON st.id = lead.state_id
        """

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute("CREATE OR REPLACE VIEW %s AS (%s %s)" % (
            self._table, self._select(), self._from()))
