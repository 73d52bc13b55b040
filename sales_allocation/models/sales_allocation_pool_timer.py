# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Per-level timers of a lead pool (issue 14): ``sales.allocation.pool.timer``.

A pool may have timer lines, each a condition on the lead (a domain, stored and checked
as the rules' conditions are: ``sales_allocation_rule.parse_lead_domain``) and its own
idle, holding and warning days; a value of 0 keeps the pool's. The first line (by
sequence) whose condition the lead meets gives its timers; no line: the pool's own.

``sales.allocation.pool._timer_lines`` finds the line of every lead of a batch at once:
all the lines' conditions go through ``sales.allocation.gather._domain_matches`` (one
query for the conditions that read the lead's own table), never one search per lead.

When a line applies is read: when the owner gets the lead (claim, assignment,
re-allocation), when he works it (his activity clock restarts), when the pool or its
lines change, and by the reclaim run, which re-checks every lead it finds due or in its
warning window with the current lines and stores the timers again when they moved
(e.g. the lead became a key account since).
"""
from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools.safe_eval import safe_eval

from .sales_allocation_rule import parse_lead_domain


class SalesAllocationPoolTimer(models.Model):
    _name = "sales.allocation.pool.timer"
    _description = "Lead pool: timers for leads meeting a condition"
    _order = "pool_id, sequence, id"

    pool_id = fields.Many2one(
        "sales.allocation.pool", required=True, ondelete="cascade",
        index=True)
    sequence = fields.Integer(
        default=10, help="Lines are tried in this order, lowest first; the first line "
                         "whose condition the lead meets gives its timers.")
    name = fields.Char(
        string="Level", required=True, translate=True,
        help="Named in the reasons of warnings and reclaims, e.g. \"idle 31 days, limit "
             "30 (Key accounts)\".")
    domain = fields.Char(
        string="Condition", default="[]", required=True,
        help="The leads this line applies to, edited with the domain editor, e.g. "
             "customer segment is Key Account. Empty: every lead (put such a line last).")
    idle_days = fields.Integer(
        string="Idle For",
        help="Reclaim when the owner has not worked the lead for this many days. 0: the "
             "pool's \"Reclaim When Idle For\".")
    max_hold_days = fields.Integer(
        string="Held For",
        help="Reclaim when the owner has held the lead this many days without reaching "
             "the pool's goal. 0: the pool's \"Reclaim When Held For\".")
    warn_days = fields.Integer(
        string="Warn Before",
        help="Warn the owner this many days before the lead is taken back. 0: the "
             "pool's \"Warn Before\".")

    # ------------------------------------------------------------------ checks

    @api.constrains("domain")
    def _check_domain(self):
        for line in self:
            line._parsed_domain(check=True)

    @api.constrains("idle_days", "max_hold_days", "warn_days")
    def _check_days(self):
        labels = {"idle_days": _("Idle For"), "max_hold_days": _("Held For"),
                  "warn_days": _("Warn Before")}
        for line in self:
            for field_name, label in labels.items():
                if line[field_name] < 0:
                    raise ValidationError(_(
                        "Pool \"%(pool)s\", timer line \"%(line)s\": \"%(field)s\" cannot "
                        "be negative. Use 0 to keep the pool's value.") % {
                            "pool": line.pool_id.name, "line": line.name,
                            "field": label})
            idle, hold, warn = line._days()
            timers = [days for days in (idle, hold) if days]
            if warn and timers and warn >= min(timers):
                raise ValidationError(_(
                    "Pool \"%(pool)s\", timer line \"%(line)s\": the warning comes "
                    "%(warn)d days before a lead is taken back, but the shortest timer "
                    "of the line is %(timer)d days, so owners would be warned the moment "
                    "they get a lead. Make the warning shorter than %(timer)d days.") % {
                        "pool": line.pool_id.name, "line": line.name, "warn": warn,
                        "timer": min(timers)})

    def _parsed_domain(self, check=False):
        """The line's condition as a normalized domain ([]: every lead), or a
        ValidationError naming the line. ``check``: also try it in the database
        (when it is saved); the runs only parse it."""
        self.ensure_one()
        try:
            if check:
                return parse_lead_domain(self.env, self.domain)
            domain = safe_eval((self.domain or "").strip() or "[]",
                               {"uid": self.env.uid, "user": self.env.user})
            if not isinstance(domain, (list, tuple)):
                raise ValueError(_("a domain is a list of conditions in brackets"))
            domain = expression.normalize_domain(list(domain))
            return [] if domain == [expression.TRUE_LEAF] else domain
        except Exception as error:  # any parse or SQL error means the same to the admin
            raise ValidationError(_(
                "The condition of timer line \"%(line)s\" of pool \"%(pool)s\" is not "
                "valid: %(error)s\nEdit it with the domain editor; each condition must "
                "name a field of the lead, e.g. [('customer_segment', '=', "
                "'key_account')].") % {
                    "line": self.name, "pool": self.pool_id.name,
                    "error": tools.ustr(error)})

    # ------------------------------------------------------------------ values

    def _days(self):
        """(idle, hold, warn) days of this line, the pool's where the line has 0."""
        self.ensure_one()
        pool = self.pool_id
        return (self.idle_days or pool.idle_days, self.max_hold_days or pool.max_hold_days,
                self.warn_days or pool.warn_days)
