# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools.safe_eval import safe_eval

from ..engine import Rule

CUSTOMER_TYPES = [("company", "Company"), ("individual", "Individual")]
SEGMENTS = [
    ("key_account", "Key Account"),
    ("mid_market", "Mid-Market"),
    ("small_business", "Small Business"),
]
# What a rule does with a new lead that matches an existing customer (issue 14).
MATCH_POLICIES = [
    ("owner", "Owner of the match"),
    ("flag", "Flag as duplicate"),
    ("ignore", "Ignore"),
]
# When a rule acts: on new leads, or as a hand-off later in the lead's life.
TRIGGERS = [
    ("create", "New lead"),
    ("convert", "Converted to opportunity"),
    ("stage", "Enters a stage"),
    ("won", "Won"),
]


def parse_lead_domain(env, text):
    """``text`` as a normalized domain on crm.lead, tried once in the database.

    Raises whatever parsing or the trial search raises (a savepoint keeps the
    transaction usable); callers turn it into a message that says what to fix.
    Returns [] for "every lead".
    """
    domain = safe_eval((text or "").strip() or "[]", {"uid": env.uid, "user": env.user})
    if not isinstance(domain, (list, tuple)):
        raise ValueError(_("a domain is a list of conditions in brackets"))
    domain = expression.normalize_domain(list(domain))
    with env.cr.savepoint():
        # By id: the default order would sort every lead to find the first one.
        env["crm.lead"].sudo().search(domain, limit=1, order="id")
    return [] if domain == [expression.TRUE_LEAF] else domain


class SalesAllocationRule(models.Model):
    _name = "sales.allocation.rule"
    _description = "Lead assignment rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(
        default=10, help="Rules are tried in this order, lowest first.")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env["res.company"]._company_default_get(
            "sales.allocation.rule"))
    description = fields.Text(translate=True)

    # conditions: all combine with AND; an empty condition does not filter
    domain = fields.Char(
        string="Condition", default="[]",
        help="Any further condition on the lead, edited with the domain editor.")
    country_ids = fields.Many2many("res.country", string="Countries")
    state_ids = fields.Many2many("res.country.state", string="Provinces")
    tag_ids = fields.Many2many("crm.lead.tag", string="Tags", help="Any of these tags.")
    source_ids = fields.Many2many("utm.source", string="Sources")
    industry_ids = fields.Many2many("res.partner.industry", string="Industries")
    customer_type = fields.Selection(CUSTOMER_TYPES)
    customer_segment = fields.Selection(SEGMENTS)
    revenue_min = fields.Float(string="Expected Revenue From")
    revenue_max = fields.Float(
        string="Expected Revenue To", help="0 means no upper limit.")

    # target
    target_type = fields.Selection(
        [("user", "Salesperson"), ("queue", "Round-robin queue"),
         ("matrix", "Region x product line matrix"), ("pool", "Lead pool")],
        string="Send To", required=True, default="queue")
    user_id = fields.Many2one("res.users", string="Salesperson")
    queue_id = fields.Many2one("sales.allocation.queue")
    pool_id = fields.Many2one("sales.allocation.pool", ondelete="restrict")
    matrix_id = fields.Many2one(
        "sales.allocation.matrix", ondelete="restrict",
        help="The lead goes to the cell of its region and product line. With no cell "
             "for it, the next rule is tried.")
    trigger = fields.Selection(
        TRIGGERS, string="When", required=True, default="create", index=True,
        help="New lead: when a lead is created (or re-allocated).\n"
             "Converted / Enters a stage / Won: a hand-off later in the sale, e.g. "
             "qualified opportunities to the account executives, won deals to customer "
             "success. The previous owner stays a follower.")
    stage_ids = fields.Many2many(
        "crm.stage", string="Stages",
        help="The rule acts when an opportunity enters one of these stages.")
    team_id = fields.Many2one(
        "crm.team", string="Sales Channel",
        help="Sales channel set on the lead. Empty: the queue's channel, else the "
             "salesperson's.")
    owner_continuity = fields.Boolean(
        string="Keep Existing Owner",
        help="If the customer already has an owner on an open lead or opportunity, that "
             "salesperson gets the lead instead of the rotation, unless he is away.")
    match_policy = fields.Selection(
        MATCH_POLICIES, string="Existing Customer", required=True, default="owner",
        help="Before the target, a new lead is matched against the open leads and "
             "opportunities that have an owner (same email, email domain, phone, "
             "company name or VAT; switched on in the CRM settings).\n"
             "Owner of the match: that salesperson gets the lead, unless he is archived, "
             "away or over his cap in this rule's queue (the target then decides, and "
             "the log says why).\n"
             "Flag as duplicate: the target decides; the lead is listed in Duplicates "
             "for a manager to merge.\n"
             "Ignore: matches play no part.")
    log_count = fields.Integer(string="Allocations", compute="_compute_log_count")

    def _compute_log_count(self):
        counts = self.env["sales.allocation.log"].read_group(
            [("rule_id", "in", self.ids)], ["rule_id"], ["rule_id"])
        by_rule = {row["rule_id"][0]: row["rule_id_count"] for row in counts}
        for rule in self:
            rule.log_count = by_rule.get(rule.id, 0)

    @api.constrains("domain")
    def _check_domain(self):
        for rule in self:
            rule._parsed_domain()

    @api.constrains("target_type", "user_id", "queue_id", "matrix_id", "pool_id")
    def _check_target(self):
        for rule in self:
            missing = rule._missing_target_message()
            if missing:
                raise ValidationError(missing)

    @api.constrains("revenue_min", "revenue_max")
    def _check_revenue(self):
        for rule in self:
            if rule.revenue_max and rule.revenue_min > rule.revenue_max:
                raise ValidationError(_(
                    "Rule \"%(rule)s\": the expected revenue range starts at %(min)s but "
                    "ends at %(max)s. Swap the bounds, or set the upper bound to 0 for no "
                    "limit.") % {"rule": rule.name, "min": rule.revenue_min,
                                 "max": rule.revenue_max})

    @api.constrains("country_ids", "state_ids")
    def _check_states_in_countries(self):
        for rule in self:
            if rule.country_ids and rule.state_ids - rule.state_ids.filtered(
                    lambda state: state.country_id in rule.country_ids):
                raise ValidationError(_(
                    "Rule \"%s\": some provinces are not in the selected countries, so no "
                    "lead could match. Remove them or add their country.") % rule.name)

    @api.model
    def create(self, vals):
        rule = super(SalesAllocationRule, self).create(vals)
        self.clear_caches()
        return rule

    @api.multi
    def write(self, vals):
        result = super(SalesAllocationRule, self).write(vals)
        self.clear_caches()
        return result

    @api.multi
    def unlink(self):
        result = super(SalesAllocationRule, self).unlink()
        self.clear_caches()
        return result

    @api.multi
    def action_view_logs(self):
        self.ensure_one()
        action = self.env.ref("sales_allocation.sales_allocation_log_action").read()[0]
        action["domain"] = [("rule_id", "=", self.id)]
        action["context"] = {}
        return action

    def _missing_target_message(self):
        """Return why the target is incomplete, or None."""
        if self.target_type == "user" and not self.user_id:
            return _("Rule \"%s\" sends leads to a salesperson: choose the salesperson.") % (
                self.name)
        if self.target_type == "queue" and not self.queue_id:
            return _("Rule \"%s\" sends leads to a round-robin queue: choose the queue.") % (
                self.name)
        if self.target_type == "matrix" and not self.matrix_id:
            return _("Rule \"%s\" sends leads to a region x product line matrix: choose "
                     "the matrix.") % self.name
        if self.target_type == "pool" and not self.pool_id:
            return _("Rule \"%s\" sends leads to a lead pool: choose the pool.") % self.name
        return None

    @api.constrains("trigger", "stage_ids")
    def _check_stage_ids(self):
        for rule in self:
            if rule.trigger == "stage" and not rule.stage_ids:
                raise ValidationError(_(
                    "Rule \"%s\" acts when an opportunity enters a stage: choose the "
                    "stages.") % rule.name)

    def _parsed_domain(self):
        """The rule's domain as a list, or a ValidationError saying what to fix."""
        self.ensure_one()
        try:
            return parse_lead_domain(self.env, self.domain)
        except Exception as error:  # any parse or SQL error means the same to the admin
            raise ValidationError(_(
                "The condition of rule \"%(rule)s\" is not valid: %(error)s\n"
                "Edit it with the domain editor; each condition must name a field of the "
                "lead, e.g. [('country_id.code', '=', 'CN')].") % {
                    "rule": self.name, "error": tools.ustr(error)})

    def _to_engine_rule(self):
        """This rule as the engine's plain Rule (no recordsets inside)."""
        self.ensure_one()
        domain = self._parsed_domain()
        return Rule(
            id=self.id,
            sequence=self.sequence,
            target_type=self.target_type,
            user_id=self.user_id.id or None,
            queue_id=self.queue_id.id or None,
            team_id=self.team_id.id or None,
            name=self.name,
            country_ids=frozenset(self.country_ids.ids),
            state_ids=frozenset(self.state_ids.ids),
            tag_ids=frozenset(self.tag_ids.ids),
            source_ids=frozenset(self.source_ids.ids),
            industry_ids=frozenset(self.industry_ids.ids),
            customer_types=frozenset([self.customer_type] if self.customer_type else []),
            segments=frozenset([self.customer_segment] if self.customer_segment else []),
            revenue_min=self.revenue_min or None,
            revenue_max=self.revenue_max or None,
            has_domain=bool(domain),
            owner_continuity=self.owner_continuity,
            match_policy=self.match_policy,
            matrix_id=self.matrix_id.id or None,
            pool_id=self.pool_id.id or None,
            stage_ids=frozenset(self.stage_ids.ids if self.trigger == "stage" else ()),
        ), domain

    @api.model
    @tools.ormcache("company_id", "trigger")
    def _engine_rules(self, company_id=None, trigger="create"):
        """Active rules of ``trigger``, compiled for the engine, cached until a rule
        changes.

        Returns (rules, domains): a tuple of engine Rules in order and a dict
        rule id -> domain list for the rules that have one.
        """
        rules = self.sudo().with_context(lang="en_US").search([
            ("company_id", "in", [company_id, False]), ("trigger", "=", trigger)])
        return rules._compile_for_engine()

    @api.multi
    def _compile_for_engine(self):
        """These rules as (engine Rules, {rule id: domain} for those with a domain)."""
        compiled, domains = [], {}
        for rule in self:
            engine_rule, domain = rule._to_engine_rule()
            compiled.append(engine_rule)
            if domain:
                domains[rule.id] = domain
        return tuple(compiled), domains

    @api.model
    @tools.ormcache()
    def _feature_rule_ids(self):
        """The ids of the rules (active or not, any company) that start something
        after an assignment: ``response`` (a first-response deadline) and
        ``activity`` (a follow-up activity). Cached until a rule changes, so that an
        allocation through rules without them asks nothing more."""
        self.env.cr.execute("""
            SELECT id, COALESCE(response_minutes, 0) > 0, activity_type_id IS NOT NULL
              FROM sales_allocation_rule
             WHERE COALESCE(response_minutes, 0) > 0 OR activity_type_id IS NOT NULL
        """)
        rows = self.env.cr.fetchall()
        return {"response": frozenset(row[0] for row in rows if row[1]),
                "activity": frozenset(row[0] for row in rows if row[2])}

    @api.model
    @tools.ormcache()
    def _handoff_watch(self):
        """What lead changes the active hand-off rules react to, in any company:
        ``{'convert': bool, 'won': bool, 'stage': frozenset of stage ids}``. Cheap to
        ask on every lead write; cached until a rule changes."""
        rules = self.sudo().search([("trigger", "!=", "create")])
        return {
            "convert": any(rule.trigger == "convert" for rule in rules),
            "won": any(rule.trigger == "won" for rule in rules),
            "stage": frozenset(rules.filtered(
                lambda rule: rule.trigger == "stage").mapped("stage_ids").ids),
        }

    # Speed-to-lead on a rule (issue 13, item 3): the owner of a lead the rule assigns
    # must answer within so many working minutes of his calendar, or the lead moves on.
    # The run: ``sales.allocation.response``.

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

    # Follow-up on assignment (issue 13, item 4): a rule may put the first call on the
    # new owner's list. The run: ``sales.allocation.followup``.

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
