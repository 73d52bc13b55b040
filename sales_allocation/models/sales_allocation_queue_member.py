# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class SalesAllocationQueueMember(models.Model):
    _name = "sales.allocation.queue.member"
    _description = "Round-robin queue member"
    _order = "queue_id, sequence, id"

    queue_id = fields.Many2one(
        "sales.allocation.queue", required=True, ondelete="cascade",
        index=True)
    sequence = fields.Integer(default=10)
    user_id = fields.Many2one(
        "res.users", string="Salesperson", required=True, ondelete="cascade",
        context={"active_test": False})
    user_active = fields.Boolean(
        related="user_id.active", string="User Active", readonly=True)
    weight = fields.Integer(
        default=1, required=True,
        help="Weighted queues: a member with weight 2 gets twice the leads of a member "
             "with weight 1.")
    max_open_leads = fields.Integer(
        default=0,
        help="The member is skipped while he holds this many open leads (in any team). "
             "0 means no cap.")
    available = fields.Boolean(
        default=True,
        help="Untick while the salesperson is away: the queue skips him.")
    current_weight = fields.Integer(
        compute="_compute_current_weight",
        help="Weighted rotation state: where this member stands in the current turn.")
    open_lead_count = fields.Integer(
        string="Open Leads", compute="_compute_open_lead_count")

    _sql_constraints = [
        ("queue_user_uniq", "unique(queue_id, user_id)",
         "A salesperson can be in a queue only once."),
    ]

    def _compute_current_weight(self):
        states = self.env["sales.allocation.turns"]._read_state(
            self.env.cr, list({member.queue_id.id for member in self
                               if isinstance(member.queue_id.id, int)}))
        for member in self:
            member.current_weight = states.get(member.queue_id.id, (None, {}))[1].get(
                member.id, 0)

    @api.depends("user_id")
    def _compute_open_lead_count(self):
        loads = self.env["sales.allocation.gather"]._open_lead_counts(
            self.mapped("user_id").ids)
        for member in self:
            member.open_lead_count = loads.get(member.user_id.id, 0)

    @api.constrains("weight", "max_open_leads")
    def _check_numbers(self):
        for member in self:
            if member.weight < 1:
                raise ValidationError(_(
                    "The weight of %(user)s in queue \"%(queue)s\" is %(weight)d: a weight "
                    "must be 1 or more (1 = a normal share).") % {
                        "user": member.user_id.name, "queue": member.queue_id.name,
                        "weight": member.weight})
            if member.max_open_leads < 0:
                raise ValidationError(_(
                    "The cap of %(user)s in queue \"%(queue)s\" is negative: use 0 for no "
                    "cap.") % {"user": member.user_id.name, "queue": member.queue_id.name})

    @api.multi
    def unlink(self):
        queues = self.mapped("queue_id")
        result = super(SalesAllocationQueueMember, self).unlink()
        queues.exists()._check_member_ids()
        return result
