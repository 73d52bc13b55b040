# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class SalesAllocationQueue(models.Model):
    _name = "sales.allocation.queue"
    _description = "Round-robin queue"
    _order = "name, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env["res.company"]._company_default_get(
            "sales.allocation.queue"))
    team_id = fields.Many2one(
        "crm.team", string="Sales Channel",
        help="Leads handed out by this queue join this sales channel, unless the rule "
             "names another one.")
    strategy = fields.Selection(
        [("sequential", "Sequential"),
         ("weighted", "Weighted"),
         ("least_loaded", "Least loaded")],
        required=True, default="sequential",
        help="Sequential: strict turns among the members who can take a lead.\n"
             "Weighted: turns in proportion to each member's weight, spread evenly.\n"
             "Least loaded: the member with the fewest open leads gets the next one.")
    member_ids = fields.One2many(
        "sales.allocation.queue.member", "queue_id", string="Members", copy=True)
    last_user_id = fields.Many2one(
        "res.users", string="Last Assigned", readonly=True, copy=False,
        help="Where the rotation stands: the next lead goes to the member after this one.")
    member_count = fields.Integer(compute="_compute_member_count")

    @api.depends("member_ids")
    def _compute_member_count(self):
        for queue in self:
            queue.member_count = len(queue.member_ids)

    @api.constrains("member_ids", "active")
    def _check_member_ids(self):
        for queue in self:
            if queue.active and not queue.member_ids:
                raise ValidationError(_(
                    "The queue \"%s\" has no members. Add at least one salesperson on the "
                    "Members tab, or archive the queue.") % queue.name)

    @api.multi
    def action_reset_rotation(self):
        """Start the rotation again from the first member."""
        self.write({"last_user_id": False})
        self.mapped("member_ids").write({"current_weight": 0})
        return True
