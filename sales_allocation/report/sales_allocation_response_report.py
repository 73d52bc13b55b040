# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models, tools

from ..models.sales_allocation_log import EVENTS

RESPONSE_STATES = [
    ("in_time", "Answered in time"),
    ("late", "Answered late"),
    ("lapsed", "No response, deadline passed"),
    ("running", "Deadline running"),
]


class SalesAllocationResponseReport(models.Model):
    """Speed-to-lead (issue 13): one row per assignment that started a first-response
    deadline, read from its log row (``sales.allocation.response`` writes the deadline,
    the lapse and the reassignment there; the owner's first touch, the first response).

    ``response_minutes``: minutes from the assignment to the owner's first response
    (averaged in the views). ``in_time_rate``: 100 for an answer by the deadline, 0 for
    a late answer or none by the deadline, empty while the deadline runs: its average is
    the share answered within the deadline, in percent, of the deadlines decided.
    """

    _name = "sales.allocation.response.report"
    _description = "Speed-to-lead analysis"
    _auto = False
    _order = "assigned_date desc, id desc"
    _rec_name = "lead_id"

    assigned_date = fields.Datetime(string="Assigned At", readonly=True)
    lead_id = fields.Many2one("crm.lead", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    rule_id = fields.Many2one("sales.allocation.rule", readonly=True)
    queue_id = fields.Many2one("sales.allocation.queue", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Channel", readonly=True)
    event = fields.Selection(EVENTS, string="Assignment", readonly=True)
    deadline = fields.Datetime(string="First Response Due", readonly=True)
    response_date = fields.Datetime(string="First Response At", readonly=True)
    deadline_minutes = fields.Float(
        string="Minutes Allowed", digits=(16, 2), group_operator="avg", readonly=True,
        help="Minutes from the assignment to its deadline (working minutes of the "
             "owner's calendar, so possibly more clock minutes).")
    response_minutes = fields.Float(
        string="Minutes to First Response", digits=(16, 2), group_operator="avg",
        readonly=True,
        help="Minutes from the assignment to the owner's first response; empty without "
             "a response.")
    answered_in_time = fields.Boolean(
        string="Answered Within Deadline", readonly=True)
    state = fields.Selection(RESPONSE_STATES, string="Outcome", readonly=True)
    lapsed = fields.Boolean(
        readonly=True,
        help="No response by the deadline (the owner may have answered late).")
    reassigned = fields.Boolean(
        readonly=True,
        help="The speed-to-lead run gave the lead to the next member of the queue.")
    in_time_rate = fields.Float(
        string="% Answered in Time", digits=(16, 2), group_operator="avg",
        readonly=True,
        help="Share of the decided deadlines (answered, or passed) answered by the "
             "deadline; deadlines still running do not count.")
    nbr = fields.Integer(string="# Assignments", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute("""
            CREATE OR REPLACE VIEW sales_allocation_response_report AS (
                SELECT g.id, g.date AS assigned_date, g.lead_id, g.user_id, g.rule_id,
                       g.queue_id, g.team_id, g.event,
                       g.response_deadline AS deadline, g.response_date,
                       EXTRACT(EPOCH FROM g.response_deadline - g.date) / 60.0
                           AS deadline_minutes,
                       EXTRACT(EPOCH FROM g.response_date - g.date) / 60.0
                           AS response_minutes,
                       s.in_time AS answered_in_time,
                       CASE WHEN s.in_time THEN 'in_time'
                            WHEN g.response_date IS NOT NULL THEN 'late'
                            WHEN s.passed THEN 'lapsed'
                            ELSE 'running' END AS state,
                       NOT s.in_time AND s.passed AS lapsed,
                       g.response_reassigned AS reassigned,
                       CASE WHEN s.in_time THEN 100.0
                            WHEN g.response_date IS NOT NULL OR s.passed THEN 0.0
                            END AS in_time_rate,
                       1 AS nbr
                  FROM sales_allocation_log g
                 CROSS JOIN LATERAL (
                       SELECT COALESCE(g.response_date <= g.response_deadline, false)
                                  AS in_time,
                              g.response_lapsed OR g.response_reassigned
                                  OR COALESCE(g.response_date > g.response_deadline,
                                              false)
                                  OR (g.response_date IS NULL AND g.response_deadline
                                      <= (now() AT TIME ZONE 'UTC')) AS passed
                       ) s
                 WHERE g.response_deadline IS NOT NULL
            )
        """)
