# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Follow-up on assignment (issue 13, item 4): a rule may put the first call on the
new owner's list. The run: ``sales.allocation.followup``."""
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class SalesAllocationRule(models.Model):
    _inherit = "sales.allocation.rule"

    activity_type_id = fields.Many2one(
        "mail.activity.type", string="Follow-up Activity", ondelete="set null",
        domain="['|', ('res_model_id', '=', False), "
               "('res_model_id.model', '=', 'crm.lead')]",
        help="When this rule gives a lead to a salesperson, schedule this activity for "
             "him, so that the first call is on his list.")
    activity_summary = fields.Char(
        translate=True,
        help="Empty: the activity type's own summary.")
    activity_due_hours = fields.Integer(
        string="Due In", default=0,
        help="Working hours of the new owner's calendar until the activity is due "
             "(0: due the day he gets the lead).")

    @api.constrains("activity_due_hours")
    def _check_activity_due_hours(self):
        for rule in self:
            if rule.activity_due_hours < 0:
                raise ValidationError(_(
                    "Rule \"%s\": the follow-up activity cannot be due a negative number "
                    "of hours after the assignment: use 0 for the same day.") % rule.name)
