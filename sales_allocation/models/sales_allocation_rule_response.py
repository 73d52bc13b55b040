# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Speed-to-lead on a rule (issue 13, item 3): the owner of a lead the rule assigns
must answer within so many working minutes of his calendar, or the lead moves on.
The run: ``sales.allocation.response``."""
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class SalesAllocationRule(models.Model):
    _inherit = "sales.allocation.rule"

    response_minutes = fields.Integer(
        string="First Response Within", default=0,
        help="Working minutes (of the owner's working hours) the new owner has to "
             "touch the lead: a message, a note, an activity, a stage change or an "
             "edit of his own. Past it he is warned once; after the grace period the "
             "lead goes to the next member of the same queue who is on shift. "
             "0: no deadline.")
    response_grace_minutes = fields.Integer(
        string="Grace Period", default=15,
        help="Minutes between the warning and the reassignment.")

    @api.constrains("response_minutes", "response_grace_minutes")
    def _check_response_minutes(self):
        for rule in self:
            if rule.response_minutes < 0:
                raise ValidationError(_(
                    "Rule \"%(rule)s\": the first-response deadline is %(minutes)d "
                    "minutes. Give a number of working minutes above 0, or 0 for no "
                    "deadline.") % {"rule": rule.name, "minutes": rule.response_minutes})
            if rule.response_grace_minutes < 0:
                raise ValidationError(_(
                    "Rule \"%s\": the grace period cannot be negative: use 0 to "
                    "reassign as soon as the deadline passes.") % rule.name)
