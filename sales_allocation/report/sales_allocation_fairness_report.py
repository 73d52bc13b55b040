# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models, tools


class SalesAllocationFairnessReport(models.Model):
    """Per day and sales channel: how evenly new leads were spread over the reps.

    ``fairness`` is the coefficient of variation (standard deviation / mean) of the
    number of leads each rep received that day: 0 is perfectly even.
    """

    _name = "sales.allocation.fairness.report"
    _description = "Allocation fairness over time"
    _auto = False
    _order = "day desc"

    day = fields.Date(readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Channel", readonly=True)
    rep_count = fields.Integer(string="# Salespeople", readonly=True)
    lead_count = fields.Integer(string="# Leads", readonly=True)
    fairness = fields.Float(
        string="Load Spread (CV)", group_operator="avg", readonly=True,
        help="0 is perfectly even; the higher, the less fair.")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute("""
            CREATE OR REPLACE VIEW sales_allocation_fairness_report AS (
                SELECT row_number() OVER (ORDER BY day, team_id) AS id,
                       day, team_id, count(*) AS rep_count, sum(n) AS lead_count,
                       CASE WHEN avg(n) > 0 THEN stddev_pop(n) / avg(n) ELSE 0 END
                           AS fairness
                  FROM (
                      SELECT log.date::date AS day, log.team_id, log.user_id,
                             count(*) AS n
                        FROM sales_allocation_log log
                       WHERE log.event IN ('assigned', 'reassigned')
                         AND log.user_id IS NOT NULL
                       GROUP BY 1, 2, 3
                  ) per_rep
                 GROUP BY day, team_id
            )
        """)
