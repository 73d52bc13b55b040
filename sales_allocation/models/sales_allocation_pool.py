# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The public lead pool (公海池): leads nobody owns, claimed by reps within limits,
and taken back from owners who neglect them.

This model holds the settings, the timers of one lead (``_lead_timers``, maths in the
pure ``engine.reclaim``) and the words of warnings and reclaims. The reclaim run is
``sales.allocation.reclaim`` (``sales_allocation_reclaim.py``); claims and releases live
on ``crm.lead`` (``crm_lead_pool.py``).
"""
from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import html_escape

from ..concurrency import cron_retry
from ..dates import to_datetime
from ..engine import reclaim as clocks
from ..rpc import check_ids
from ..access import check_sees_all_leads

HOLD_GOALS = [("convert", "Converted to opportunity"), ("won", "Won")]


class SalesAllocationPool(models.Model):
    _name = "sales.allocation.pool"
    _description = "Public lead pool"
    _order = "name, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env["res.company"]._company_default_get(
            "sales.allocation.pool"))
    team_id = fields.Many2one(
        "crm.team", string="Sales Channel",
        help="The members of this sales channel may claim leads from the pool; claimed "
             "leads join it.")
    user_ids = fields.Many2many(
        "res.users", "sales_allocation_pool_user_rel", "pool_id", "user_id",
        string="Other Claimers",
        help="Salespeople who may claim leads from this pool besides the members of its "
             "sales channel.")
    max_claims_per_day = fields.Integer(
        string="Claims per Day", default=10,
        help="How many leads one salesperson may claim from this pool per day (the day "
             "ends at midnight in his time zone). 0 means no limit.")
    max_open_leads = fields.Integer(
        default=0,
        help="How many open leads (not won, not lost) from this pool one salesperson may "
             "hold at once, counting the ones a manager assigned to him as well as the "
             "ones he claimed: a claim beyond it is refused. 0 means no limit.")
    idle_days = fields.Integer(
        string="Reclaim When Idle For", default=7,
        help="Take a lead back when its owner has not worked it (message, note, "
             "activity, stage change, edit) for this many days. 0 turns it off.")
    max_hold_days = fields.Integer(
        string="Reclaim When Held For", default=30,
        help="Take a lead back when its owner has held it this many days without "
             "reaching the goal below. 0 turns it off.")
    hold_goal = fields.Selection(
        HOLD_GOALS, string="Goal", required=True, default="convert",
        help="What the owner must achieve before the holding limit: convert the lead "
             "into an opportunity, or win it.")
    warn_days = fields.Integer(
        string="Warn Before", default=1,
        help="Warn the owner this many days before a lead is taken back (an activity "
             "on the lead). 0: no warning.")
    cooldown_days = fields.Integer(
        string="Cooldown", default=3,
        help="A salesperson who released a lead, or had it taken back, may not claim it "
             "again for this many days.")
    reclaim_action = fields.Selection(
        [("pool", "Back to the pool"), ("queue", "Re-allocate through a queue")],
        string="Reclaimed Leads", required=True, default="pool",
        help="Back to the pool: anyone may claim them again. Re-allocate: a queue hands "
             "them out at once, never to the salesperson they were taken from or to one "
             "in cooldown.")
    reclaim_queue_id = fields.Many2one(
        "sales.allocation.queue", string="Re-allocation Queue")
    lead_ids = fields.One2many("crm.lead", "pool_id", string="Leads", readonly=True)
    unclaimed_count = fields.Integer(
        string="Waiting", compute="_compute_counts",
        help="Leads in the pool that nobody owns: they can be claimed.")
    claimed_count = fields.Integer(
        string="Owned", compute="_compute_counts",
        help="Open leads of the pool that a salesperson holds.")
    warning_count = fields.Integer(
        string="Due Soon", compute="_compute_counts",
        help="Owned leads inside their warning window or past their deadline.")

    def _compute_counts(self):
        Lead = self.env["crm.lead"]
        now = fields.Datetime.now()
        counts = {}
        for key, domain in (
                ("unclaimed_count", [("user_id", "=", False)]),
                ("claimed_count", [("user_id", "!=", False),
                                   ("probability", "<", 100)]),
                ("warning_count", [("reclaim_warn_date", "<=", now)])):
            rows = Lead.read_group(
                [("pool_id", "in", self.ids)] + domain, ["pool_id"], ["pool_id"])
            counts[key] = {row["pool_id"][0]: row["pool_id_count"] for row in rows}
        for pool in self:
            for key, by_pool in counts.items():
                pool[key] = by_pool.get(pool.id, 0)

    @api.constrains("max_claims_per_day", "max_open_leads", "idle_days",
                    "max_hold_days", "warn_days", "cooldown_days")
    def _check_numbers(self):
        labels = {
            "max_claims_per_day": _("Claims per Day"),
            "max_open_leads": _("Max Open Leads"),
            "idle_days": _("Reclaim When Idle For"),
            "max_hold_days": _("Reclaim When Held For"),
            "warn_days": _("Warn Before"),
            "cooldown_days": _("Cooldown"),
        }
        for pool in self:
            for field_name, label in labels.items():
                if pool[field_name] < 0:
                    raise ValidationError(_(
                        "Pool \"%(pool)s\": \"%(field)s\" cannot be negative. Use 0 to "
                        "turn it off.") % {"pool": pool.name, "field": label})
            timers = [days for days in (pool.idle_days, pool.max_hold_days) if days]
            if pool.warn_days and timers and pool.warn_days >= min(timers):
                raise ValidationError(_(
                    "Pool \"%(pool)s\": the warning comes %(warn)d days before a lead is "
                    "taken back, but the shortest timer is %(timer)d days, so owners would "
                    "be warned the moment they get a lead. Make the warning shorter than "
                    "%(timer)d days.") % {
                        "pool": pool.name, "warn": pool.warn_days, "timer": min(timers)})

    @api.constrains("reclaim_action", "reclaim_queue_id")
    def _check_reclaim_queue(self):
        for pool in self:
            if pool.reclaim_action == "queue" and not pool.reclaim_queue_id:
                raise ValidationError(_(
                    "Pool \"%s\" re-allocates reclaimed leads through a queue: choose the "
                    "queue, or send them back to the pool.") % pool.name)

    @api.multi
    def unlink(self):
        Lead = self.env["crm.lead"].sudo().with_context(active_test=False)
        Rule = self.env["sales.allocation.rule"].sudo().with_context(active_test=False)
        for pool in self:
            leads = Lead.search_count([("pool_id", "=", pool.id)])
            rules = Rule.search_count([("pool_id", "=", pool.id)])
            if leads or rules:
                raise UserError(_(
                    "Pool \"%(pool)s\" still has %(leads)d leads and %(rules)d rules "
                    "sending leads to it. Move the leads to another pool and change the "
                    "rules, or archive the pool instead.") % {
                        "pool": pool.name, "leads": leads, "rules": rules})
        return super(SalesAllocationPool, self).unlink()

    # ------------------------------------------------------------------ buttons

    @api.multi
    def action_reclaim_now(self):
        """Run the reclaim for these pools now: the scheduled action's code path.

        Returns the summary (counts) inside a window action the web client accepts, so
        the same call serves the button and RPC.
        """
        self._check_pool_manager()
        check_ids(self, _("lead pools"))
        summary = self._reclaim(pool_ids=self.ids)
        message = _("%(warned)d owners warned, %(reclaimed)d leads taken back "
                    "(%(reallocated)d re-allocated).") % summary
        return dict(summary, type="ir.actions.act_window_close", effect={
            "fadeout": "slow", "message": message, "type": "rainbow_man"})

    @api.multi
    def action_view_leads(self):
        self.ensure_one()
        action = self.env.ref("sales_allocation.crm_lead_action_pool_all").read()[0]
        context = self.env.context
        search = "search_default_pool_unclaimed"
        if context.get("pool_view_owned"):
            search = "search_default_pool_owned"
        elif context.get("pool_view_due"):
            search = "search_default_pool_due"
        action["domain"] = [("pool_id", "=", self.id)]
        action["context"] = {search: 1, "create": False}
        return action

    def _check_pool_manager(self):
        check_sees_all_leads(self.env, _(
            "Only users who see all leads (Sales access \"User: All Documents\" or "
            "above, such as sales managers and allocation managers) may do this with "
            "pool leads. Ask one of them."))

    # ------------------------------------------------------------------ members

    def _is_claimer(self, user):
        """May ``user`` claim from this pool: listed, or member of its sales channel."""
        self.ensure_one()
        pool = self.sudo()
        return user in pool.user_ids or (pool.team_id and user.sale_team_id == pool.team_id)

    # ------------------------------------------------------------------ timers

    def _lead_timers(self, owner_activity_date, assigned_date, lead_type, probability,
                     active=True, now=None):
        """The engine's timers (or status, with ``now``) of one owned lead of this pool.

        Won and lost leads have no timer; the holding timer stops at the pool's goal.
        The stored ``reclaim_*`` fields of ``crm.lead`` and the reclaim run both come
        here, so they cannot disagree.
        """
        self.ensure_one()
        if not active or (probability or 0) >= 100:
            args = (None, None, 0, 0, 0)
        else:
            goal_reached = self.hold_goal == "convert" and lead_type == "opportunity"
            args = (to_datetime(owner_activity_date), to_datetime(assigned_date),
                    self.idle_days, 0 if goal_reached else self.max_hold_days,
                    self.warn_days)
        # protect_days: sales_allocation_pool_match.py (issue 14).
        if now is None:
            return clocks.reclaim_timers(*args, protect_days=self.protect_days)
        return clocks.reclaim_status(*args, now=to_datetime(now),
                                     protect_days=self.protect_days)

    # ------------------------------------------------------------------ reclaim run

    @api.model
    @cron_retry
    def _cron_reclaim(self):
        """Scheduled action: warn owners, then take back the leads that are due."""
        return self._reclaim(commit=True)

    @api.model
    def _reclaim(self, now=None, pool_ids=None, commit=False):
        """Warn, then reclaim (``sales.allocation.reclaim.run``); returns counts."""
        return self.env["sales.allocation.reclaim"].run(
            now=now, pool_ids=pool_ids, commit=commit)

    # ------------------------------------------------------------------ words

    def _reason(self, status):
        """Why a lead is warned or reclaimed, e.g. "idle 4 days, limit 3"."""
        if status.timer == clocks.IDLE:
            return _("idle %(days)d days, limit %(limit)d") % {
                "days": status.idle_days, "limit": status.limit_days}
        if self.hold_goal == "won":
            return _("held %(days)d days without winning it, limit %(limit)d") % {
                "days": status.held_days, "limit": status.limit_days}
        return _("held %(days)d days without converting it, limit %(limit)d") % {
            "days": status.held_days, "limit": status.limit_days}

    def _warning_summary(self, status):
        return _("Work this lead before %s or it goes back to the pool") % (
            self._user_datetime(status.deadline))

    def _warning_note(self, status):
        if status.timer == clocks.IDLE:
            what = _("Log a note, send a message, schedule or complete an activity, or "
                     "move the lead to another stage: the countdown starts again.")
        else:
            what = _("Convert or win it before then: working it does not stop this "
                     "countdown.")
        return "<p>%s</p><p>%s</p>" % (html_escape(
            _("Pool \"%(pool)s\" takes this lead back on %(deadline)s (%(reason)s).") % {
                "pool": self.name, "deadline": self._user_datetime(status.deadline),
                "reason": self._reason(status)}), html_escape(what))

    @api.model
    def _user_datetime(self, value):
        """A UTC datetime shown in the context's time zone and language."""
        value = to_datetime(value)
        local = fields.Datetime.context_timestamp(self, value)
        lang = self.env["res.lang"]._lang_get(self.env.context.get("lang") or "en_US")
        date_format = lang.date_format if lang else "%Y-%m-%d"
        return "%s %s" % (local.strftime(date_format), local.strftime("%H:%M"))

    @api.model
    def _user_date(self, value):
        return fields.Date.to_string(
            fields.Datetime.context_timestamp(self, to_datetime(value)).date())
