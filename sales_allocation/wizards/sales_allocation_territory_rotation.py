# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Territory rotation (区域轮岗): hand a rep's open leads of a territory to someone else."""
from collections import Counter

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import split_every

from .. import engine
from ..sql import without_jit


class SalesAllocationTerritoryRotation(models.TransientModel):
    _name = "sales.allocation.territory.rotation"
    _description = "Territory rotation"

    user_id = fields.Many2one(
        "res.users", string="From Salesperson", required=True,
        help="Whose open leads and opportunities move.")
    region_id = fields.Many2one(
        "sales.allocation.region",
        help="Only the leads of this region (empty: every region).")
    product_category_id = fields.Many2one(
        "product.category", string="Product line",
        help="Only the leads of this product line and its sub-categories (empty: every "
             "product line).")
    target_type = fields.Selection(
        [("user", "Salesperson"), ("queue", "Round-robin queue")],
        string="Move To", required=True, default="user")
    new_user_id = fields.Many2one("res.users", string="To Salesperson")
    queue_id = fields.Many2one(
        "sales.allocation.queue", string="To Queue",
        help="The queue's rotation shares the leads out among its members (the "
             "salesperson they come from is skipped).")
    lead_count = fields.Integer(
        string="Open Leads to Move", compute="_compute_lead_count")

    @api.depends("user_id", "region_id", "product_category_id")
    def _compute_lead_count(self):
        for wizard in self:
            wizard.lead_count = self.env["crm.lead"].search_count(
                wizard._lead_domain()) if wizard.user_id else 0

    def _lead_domain(self):
        """The rep's open (not won, not lost) leads and opportunities in the scope."""
        domain = [("user_id", "=", self.user_id.id), ("probability", "<", 100)]
        if self.region_id:
            domain.append(("region_id", "=", self.region_id.id))
        if self.product_category_id:
            domain.append(("product_category_id", "child_of",
                           self.product_category_id.id))
        return domain

    def _check_ready(self):
        if not self.region_id and not self.product_category_id:
            raise UserError(_(
                "A rotation moves one territory: choose a region, a product line or "
                "both. To hand over all of a salesperson's leads, choose his region."))
        if self.target_type == "user":
            if not self.new_user_id:
                raise UserError(_("Choose the salesperson who takes the leads over."))
            if self.new_user_id == self.user_id:
                raise UserError(_(
                    "%s would take over his own leads: choose another salesperson.") %
                    self.user_id.name)
        elif not self.queue_id:
            raise UserError(_("Choose the queue that shares the leads out."))

    @api.multi
    def action_rotate(self):
        """Move the leads; return the list of the moved leads."""
        self.ensure_one()
        self._check_ready()
        leads = self.env["crm.lead"].search(self._lead_domain(), order="id")
        if not leads:
            raise UserError(_(
                "%s has no open lead in this territory: nothing to move.") %
                self.user_id.name)
        leads.check_access_rule("write")
        allocator = self.env["sales.allocation.allocator"]
        without_jit(self.env.cr, len(leads))
        # Every new owner is decided before anything is written: a queue that cannot
        # take them all moves none.
        decisions, queue_set = self._decisions(leads.ids)
        previous = {lead_id: self.user_id.id for lead_id in leads.ids}
        for batch in split_every(allocator._batch_size(), decisions, list):
            allocator._apply(batch, previous, queue_set.teams, queue_set.queues)
        return {
            "type": "ir.actions.act_window",
            "name": _("Moved Leads"),
            "res_model": "crm.lead",
            "view_mode": "tree,form",
            "views": [(False, "tree"), (False, "form")],
            "domain": [("id", "in", leads.ids)],
        }

    def _decisions(self, lead_ids):
        """The new owner of each lead, as engine decisions, with the queues whose
        turns they took: ``(decisions, queue set)``."""
        from_user = self.user_id.id
        head = (("rotation", {"user_id": from_user}),)
        turns = self.env["sales.allocation.turns"]
        if self.target_type == "user":
            decisions = [engine.Decision(lead_id, self.new_user_id.id, None, None, None,
                                         None, head) for lead_id in lead_ids]
            return decisions, turns.load(())
        queue_set = turns.load({self.queue_id.id})
        queue = queue_set.queues.get(self.queue_id.id)
        if queue is None:
            raise UserError(_("Queue \"%s\" is archived: choose an active queue.") %
                            self.queue_id.name)
        users = [member.user_id for member in queue.members]
        loads = self.env["sales.allocation.gather"]._open_lead_counts(users)
        for member in queue.members:
            # The rep who leaves the territory takes no leads back from it.
            if member.user_id == from_user:
                member.available = False
                member.excluded = True  # leaving, not away: no catch-up owed

        def decide(reserved):
            others = reserved(users)
            for member in queue.members:
                member.load = loads.get(member.user_id, 0) + others.get(member.user_id, 0)
            rotation = engine.Rotation(queue_set.queues)
            decisions = []
            for lead_id in lead_ids:
                member, _skipped = rotation.pick(queue.id)
                if member is None:
                    raise UserError(_(
                        "Nobody in queue \"%(queue)s\" can take more leads (caps, "
                        "absences): only %(placed)d of these %(count)d leads would find "
                        "an owner. Raise the caps, add members or choose another "
                        "queue.") % {
                            "queue": self.queue_id.name, "placed": len(decisions),
                            "count": len(lead_ids)})
                decisions.append(engine.Decision(
                    lead_id, member.user_id, None, queue.id, None, None, head + (
                        ("queue", {"queue_id": queue.id, "strategy": queue.strategy,
                                   "user_id": member.user_id}),)))
            rotation.flush()
            return decisions, Counter(decision.user_id for decision in decisions)

        return turns.take(queue_set, decide), queue_set
