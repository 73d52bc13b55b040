# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Unplaced leads monitor (issue 15, item 4): the leads no rule could place, grouped
by why, with "retry now"; beside it the last runs of the scheduled actions
(``sales.allocation.run``).

The reason comes from the lead's latest log row (``skip_codes``, see
``sales.allocation.reasons.details``): every member away on leave or off shift ->
nobody on shift; a rule matched but its target could not take the lead -> every
target full; else no rule matched. While an active rule's condition is not a valid
domain no allocation can run at all, so every unplaced lead shows that first.
"""
from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError

UNPLACED_REASONS = [
    ("invalid_domain", "Invalid rule condition"),
    ("off_shift", "Nobody on shift"),
    ("full", "Every target full"),
    ("no_rule", "No rule matched"),
]


class SalesAllocationRule(models.Model):
    _inherit = "sales.allocation.rule"

    domain_error = fields.Char(
        string="Condition Error", readonly=True, copy=False,
        help="Set by the unplaced leads monitor when the condition is no longer a valid "
             "domain (e.g. a field was removed): no allocation can run until it is "
             "fixed.")

    @api.model
    def _refresh_domain_errors(self):
        """Check the active rules' conditions now; note the broken ones."""
        for rule in self.sudo().search([("active", "=", True)]):
            try:
                rule._parsed_domain()
                error = False
            except ValidationError as exception:
                error = tools.ustr(exception.name)[:250]
            if (rule.domain_error or False) != error:
                # Not a configuration change: no tracking, no cache to clear.
                self.env.cr.execute(
                    "UPDATE sales_allocation_rule SET domain_error = %s WHERE id = %s",
                    [error or None, rule.id])
                rule.invalidate_cache(["domain_error"], rule.ids)


class SalesAllocationUnplaced(models.Model):
    _name = "sales.allocation.unplaced"
    _description = "Lead that no rule could place"
    _auto = False
    _order = "date desc, lead_id desc"
    _rec_name = "lead_id"

    lead_id = fields.Many2one("crm.lead", readonly=True)
    reason = fields.Selection(UNPLACED_REASONS, readonly=True)
    date = fields.Datetime(string="Last Tried", readonly=True)
    create_date = fields.Datetime(string="Created", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Channel", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    explanation = fields.Text(readonly=True)
    passed_over = fields.Text(readonly=True)

    @api.model_cr
    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute("""
            CREATE VIEW sales_allocation_unplaced AS (
                SELECT l.id, l.id AS lead_id, l.allocation_date AS date, l.create_date,
                       l.team_id, l.country_id, l.company_id,
                       l.allocation_reason AS explanation, lg.passed_over,
                       CASE WHEN EXISTS (SELECT 1 FROM sales_allocation_rule r
                                          WHERE r.active AND r.domain_error IS NOT NULL)
                                 THEN 'invalid_domain'
                            WHEN lg.codes && ARRAY['on_leave', 'off_shift']
                                 AND NOT lg.codes && ARRAY['cap', 'unavailable',
                                     'archived', 'cooldown', 'excluded']
                                 THEN 'off_shift'
                            WHEN lg.skip_codes LIKE '%%passed:%%' THEN 'full'
                            ELSE 'no_rule' END AS reason
                  FROM crm_lead l
                  LEFT JOIN LATERAL (
                      SELECT g.skip_codes, g.passed_over,
                             string_to_array(COALESCE(g.skip_codes, ''), ' ') AS codes
                        FROM sales_allocation_log g
                       WHERE g.lead_id = l.id
                       ORDER BY g.date DESC, g.id DESC LIMIT 1) lg ON TRUE
                 WHERE l.allocation_state = 'unallocated' AND l.active
                   AND l.user_id IS NULL
            )
        """)

    @api.model
    def action_open(self):
        """The menu: check the rules' conditions, then list the unplaced leads."""
        self.env["sales.allocation.rule"]._refresh_domain_errors()
        action = self.env.ref("sales_allocation.sales_allocation_unplaced_action").read()[0]
        return action

    @api.multi
    def action_retry(self):
        """Run the assignment rules again on these leads now."""
        self.env["crm.lead"].browse(self.mapped("lead_id").ids).action_allocate()
        return {"type": "ir.actions.client", "tag": "reload"}

    def name_get(self):
        return [(row.id, row.lead_id.display_name or _("Lead")) for row in self]
