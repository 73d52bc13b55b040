# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Simulation as a diff (issue 15, item 2).

The proposed rules (the simulation's ``rule_ids``: drafts, archived rules, edited
copies) are replayed beside the active rules on the same leads: ``change_ids`` lists
each lead whose owner would differ, with the rule and reason on both sides; the
per-rep lines show both counts. ``action_apply`` activates the proposed rules and
archives the active rules they replace. Like the dry run, nothing is written to
leads, log or rotation.
"""
from collections import Counter

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..sql import copy_rows


class SalesAllocationSimulation(models.TransientModel):
    _inherit = "sales.allocation.simulation"

    change_ids = fields.One2many(
        "sales.allocation.simulation.change", "simulation_id",
        string="Would Change Owner", readonly=True)
    change_count = fields.Integer(string="Would Change Owner", readonly=True)
    applied = fields.Boolean(readonly=True)

    @api.multi
    def action_run(self):
        action = super(SalesAllocationSimulation, self).action_run()
        self._build_diff()
        return action

    def _build_diff(self):
        """Replay the active rules on the simulated leads and record the differences
        with the proposed ones (already in ``line_ids``)."""
        self.ensure_one()
        cr = self.env.cr
        cr.execute("""
            SELECT lead_id, user_id, rule_id, reason
              FROM sales_allocation_simulation_line WHERE simulation_id = %s
        """, [self.id])
        proposed = {row[0]: row[1:] for row in cr.fetchall()}
        self.change_ids.unlink()
        if self.with_context(active_test=False).rule_ids:
            decisions, texts, _loads, _caps = self._simulate(
                list(proposed), rules=self.env["sales.allocation.rule"])
            current = {decision.lead_id: (decision.user_id, decision.rule_id, text)
                       for decision, text in zip(decisions, texts)}
        else:
            current = proposed
        now = fields.Datetime.now()
        rows = [(self.id, lead_id, before[0], after[0], before[1], after[1], before[2],
                 after[2])
                for lead_id, after in sorted(proposed.items())
                for before in [current.get(lead_id, (None, None, None))]
                if (before[0] or None) != (after[0] or None)]
        copy_rows(cr, "sales_allocation_simulation_change", (
            "simulation_id", "lead_id", "current_user_id", "proposed_user_id",
            "current_rule_id", "proposed_rule_id", "current_reason", "proposed_reason",
            "create_uid", "create_date", "write_uid", "write_date",
        ), rows, constants=(self.env.uid, now, self.env.uid, now))
        self.invalidate_cache(["change_ids"], self.ids)
        # Per rep: what the active rules give beside what the proposed ones give.
        counts = Counter(values[0] for values in current.values() if values[0])
        for rep in self.rep_ids:
            rep.current_count = counts.pop(rep.user_id.id, 0)
        Rep = self.env["sales.allocation.simulation.rep"]
        for user_id, count in counts.items():
            Rep.create({"simulation_id": self.id, "user_id": user_id, "count": 0,
                        "current_count": count})
        self.change_count = len(rows)

    @api.multi
    def action_apply(self):
        """Make the proposed rules the active ones: activate them and archive the
        active rules (new leads, same companies) they replace. The form asks the admin
        to confirm first."""
        self.ensure_one()
        Rule = self.env["sales.allocation.rule"].with_context(active_test=False)
        proposed = self.with_context(active_test=False).rule_ids
        if not proposed:
            raise UserError(_(
                "Choose the rules to test first: with none, the simulation replays the "
                "active rules and there is nothing to apply."))
        Rule.check_access_rights("write")
        companies = proposed.mapped("company_id").ids + [False]
        replaced = Rule.search([
            ("active", "=", True), ("trigger", "=", "create"),
            ("company_id", "in", companies), ("id", "not in", proposed.ids)])
        replaced.write({"active": False})
        proposed.filtered(lambda rule: not rule.active).write({"active": True})
        self.applied = True
        return {
            "type": "ir.actions.act_window",
            "name": _("Assignment Rules"),
            "res_model": "sales.allocation.rule",
            "view_mode": "tree,form",
            "domain": [("id", "in", proposed.ids)],
            "target": "current",
        }


class SalesAllocationSimulationChange(models.TransientModel):
    _name = "sales.allocation.simulation.change"
    _description = "Allocation simulation: a lead that would change owner"
    _order = "id"

    simulation_id = fields.Many2one(
        "sales.allocation.simulation", required=True, ondelete="cascade", index=True)
    lead_id = fields.Many2one("crm.lead", readonly=True)
    current_user_id = fields.Many2one(
        "res.users", string="With Active Rules", readonly=True,
        help="Who the active rules give the lead to today.")
    proposed_user_id = fields.Many2one(
        "res.users", string="With Proposed Rules", readonly=True,
        help="Who the proposed rules would give the lead to.")
    current_rule_id = fields.Many2one(
        "sales.allocation.rule", string="Active Rule", readonly=True)
    proposed_rule_id = fields.Many2one(
        "sales.allocation.rule", readonly=True)
    current_reason = fields.Text(string="Reason Today", readonly=True)
    proposed_reason = fields.Text(readonly=True)


class SalesAllocationSimulationRep(models.TransientModel):
    _inherit = "sales.allocation.simulation.rep"

    current_count = fields.Integer(
        string="With Active Rules", readonly=True,
        help="New leads the active rules would give this salesperson.")
    delta = fields.Integer(string="Difference", compute="_compute_labels")
    cap_label = fields.Char(string="Cap", compute="_compute_labels")
    cap_use_label = fields.Char(string="Cap Used", compute="_compute_labels")

    @api.depends("cap", "cap_use", "count", "current_count")
    def _compute_labels(self):
        no_cap = _("no cap")
        for rep in self:
            rep.delta = rep.count - rep.current_count
            rep.cap_label = "%d" % rep.cap if rep.cap else no_cap
            rep.cap_use_label = "%.1f %%" % rep.cap_use if rep.cap else no_cap
