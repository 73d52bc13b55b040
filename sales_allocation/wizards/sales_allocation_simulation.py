# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Dry run: replay leads through the rules without changing any lead or log."""
from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import ustr

from ..engine.stats import summarize
from ..sql import copy_rows, without_jit
from ..models.sales_allocation_rule import parse_lead_domain

MAX_SIMULATED_LEADS = 50000


class SalesAllocationSimulation(models.TransientModel):
    _name = "sales.allocation.simulation"
    _description = "Allocation simulation (dry run)"

    lead_domain = fields.Char(
        string="Leads to Replay", default="[]", required=True,
        help="Which leads to replay through the rules, e.g. last month's.")
    rule_ids = fields.Many2many(
        "sales.allocation.rule", string="Rules to Test",
        # Archived drafts are what an admin tests: the domain names ``active`` so that
        # reading the field (which ignores its context) keeps them.
        domain=["|", ("active", "=", True), ("active", "=", False)],
        context={"active_test": False},
        help="Leave empty to replay the active rules. Pick rules (archived drafts too) "
             "to see what a new set of rules would do before you activate it.")
    state = fields.Selection(
        [("draft", "Draft"), ("done", "Done")], default="draft", readonly=True)
    lead_count = fields.Integer(string="Leads", readonly=True)
    placed_count = fields.Integer(string="Placed", readonly=True)
    unplaced_count = fields.Integer(string="Not Placed", readonly=True)
    fairness = fields.Float(
        string="Load Spread (CV)", digits=(16, 3), readonly=True,
        help="Coefficient of variation of the reps' open leads after this allocation: "
             "0 is perfectly even; the higher, the less fair.")
    line_ids = fields.One2many(
        "sales.allocation.simulation.line", "simulation_id", string="Per Lead",
        readonly=True)
    rep_ids = fields.One2many(
        "sales.allocation.simulation.rep", "simulation_id", string="Per Salesperson",
        readonly=True)

    @api.constrains("lead_domain")
    def _check_lead_domain(self):
        for simulation in self:
            simulation._parsed_lead_domain()

    def _parsed_lead_domain(self):
        try:
            return parse_lead_domain(self.env, self.lead_domain)
        except Exception as error:  # parse and SQL errors mean the same to the admin
            raise ValidationError(_(
                "The leads to replay are not a valid domain: %s\nUse the domain editor to "
                "pick them, e.g. leads created last month.") % ustr(error))

    @api.multi
    def action_run(self):
        """Replay the leads; fill the result lines; return the action showing them."""
        self.ensure_one()
        leads = self.env["crm.lead"].search(self._parsed_lead_domain(), order="id")
        if len(leads) > MAX_SIMULATED_LEADS:
            raise UserError(_(
                "%(count)d leads match; a simulation replays at most %(max)d. Narrow the "
                "domain, e.g. to one month.") % {
                    "count": len(leads), "max": MAX_SIMULATED_LEADS})
        decisions, texts, loads, caps = self._simulate(leads.ids)
        summary = summarize(decisions, loads, caps)
        self.line_ids.unlink()
        self.rep_ids.unlink()
        self._insert_lines(decisions, texts)
        Rep = self.env["sales.allocation.simulation.rep"]
        new_caps = self._new_lead_caps(list(summary["per_user"]))
        for user_id, row in summary["per_user"].items():
            per_day, per_week = new_caps.get(user_id, (0, 0))
            Rep.create(dict(row, simulation_id=self.id, user_id=user_id,
                            max_new_per_day=per_day, max_new_per_week=per_week))
        self.write({
            "state": "done",
            "lead_count": len(decisions),
            "placed_count": summary["placed"],
            "unplaced_count": summary["unplaced"],
            "fairness": summary["fairness"],
        })
        return {
            "type": "ir.actions.act_window",
            "name": _("Simulation"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def _new_lead_caps(self, user_ids):
        """user id -> (new leads per day, per week) of his strictest queue membership
        (0: none): the caps the replay honoured, shown beside his counts."""
        user_ids = [user_id for user_id in user_ids if user_id]
        if not user_ids:
            return {}
        self.env.cr.execute("""
            SELECT user_id, COALESCE(min(NULLIF(max_new_per_day, 0)), 0),
                   COALESCE(min(NULLIF(max_new_per_week, 0)), 0)
              FROM sales_allocation_queue_member
             WHERE user_id IN %s AND (max_new_per_day > 0 OR max_new_per_week > 0)
             GROUP BY user_id
        """, [tuple(user_ids)])
        return {user_id: (per_day, per_week)
                for user_id, per_day, per_week in self.env.cr.fetchall()}

    def _insert_lines(self, decisions, texts):
        """One result line per lead, in one COPY (thousands of leads)."""
        now = fields.Datetime.now()
        copy_rows(self.env.cr, "sales_allocation_simulation_line", (
            "simulation_id", "lead_id", "user_id", "rule_id", "queue_id", "placed",
            "reason", "create_uid", "create_date", "write_uid", "write_date",
        ), [(self.id, d.lead_id, d.user_id, d.rule_id, d.queue_id,
             bool(d.user_id or d.pool_id), text) for d, text in zip(decisions, texts)],
            constants=(self.env.uid, now, self.env.uid, now))
        self.invalidate_cache(["line_ids"], self.ids)

    def _simulate(self, lead_ids, rules=None):
        """Decisions for the leads, as if allocated now, without writing anything.

        The queues are read without locks and their rotation state is thrown away;
        matching reads the match keys and writes nothing.
        ``rules``: the rules to replay (an empty recordset: the active ones); by
        default the simulation's. Returns (decisions, reason texts, loads before,
        caps per user).
        """
        gather = self.env["sales.allocation.gather"]
        decisions, texts, loads, caps = [], [], {}, {}
        if not lead_ids:
            return decisions, texts, loads, caps
        # Draft rules are usually archived: read them all.
        draft_rules = self.with_context(active_test=False).rule_ids.sudo() \
            if rules is None else rules
        without_jit(self.env.cr, len(lead_ids))
        _facts, _previous, companies, _open_ids = gather._lead_facts(lead_ids)
        # One customer, one owner, as allocation applies it (sales.allocation.match):
        # the replayed leads are matched with the open leads outside them and the
        # customers with a salesperson, and with each other (the first one decides).
        matching = self.env["sales.allocation.match"]
        matches, followers = matching._find_batch(lead_ids)
        for plan in gather._plans(companies, rules=draft_rules or None):
            # Every queue of the rules, reachable or not: the per-rep lines show them.
            queue_ids = {rule.queue_id for rule in plan.rules if rule.queue_id}
            if plan.matrices:
                queue_ids |= plan.matrices.queue_ids
            queues = self.env["sales.allocation.turns"].load(
                queue_ids, at=self._simulation_moment()).queues
            members = [member for queue in queues.values() for member in queue.members]
            counts = gather._open_lead_counts({member.user_id for member in members})
            for member in members:
                member.load = loads[member.user_id] = counts.get(member.user_id, 0)
                if member.max_open:
                    caps[member.user_id] = min(
                        caps.get(member.user_id) or member.max_open, member.max_open)
            company_decisions = matching._decide(
                [gather._decider(plan, matches)], queues, followers={
                    lead.id: followers[lead.id] for lead in plan.leads
                    if lead.id in followers})
            decisions.extend(company_decisions)
            texts.extend(self.env["sales.allocation.reasons"].texts(
                company_decisions, queues))
        return decisions, texts, loads, caps


class SalesAllocationSimulationLine(models.TransientModel):
    _name = "sales.allocation.simulation.line"
    _description = "Allocation simulation: one lead"
    _order = "placed, id"

    simulation_id = fields.Many2one(
        "sales.allocation.simulation", required=True, ondelete="cascade")
    lead_id = fields.Many2one("crm.lead", readonly=True)
    current_user_id = fields.Many2one(
        related="lead_id.user_id", string="Current Owner", readonly=True)
    user_id = fields.Many2one("res.users", string="Would Go To", readonly=True)
    rule_id = fields.Many2one("sales.allocation.rule", readonly=True)
    queue_id = fields.Many2one("sales.allocation.queue", readonly=True)
    placed = fields.Boolean(readonly=True)
    reason = fields.Text(readonly=True)


class SalesAllocationSimulationRep(models.TransientModel):
    _name = "sales.allocation.simulation.rep"
    _description = "Allocation simulation: one salesperson"
    _order = "count desc, id"

    simulation_id = fields.Many2one(
        "sales.allocation.simulation", required=True, ondelete="cascade")
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    count = fields.Integer(string="New Leads", readonly=True)
    load_before = fields.Integer(string="Open Leads Now", readonly=True)
    load_after = fields.Integer(string="Open Leads After", readonly=True)
    cap = fields.Integer(readonly=True)
    cap_use = fields.Float(string="Cap Used (%)", digits=(16, 1), readonly=True)
    max_new_per_day = fields.Integer(
        string="New per Day", readonly=True,
        help="His cap of new leads per day in his queues (the strictest; 0: none), "
             "honoured by the replay.")
    max_new_per_week = fields.Integer(
        string="New per Week", readonly=True,
        help="His cap of new leads per week in his queues (the strictest; 0: none), "
             "honoured by the replay.")
