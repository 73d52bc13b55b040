# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The public lead pool (公海池): leads nobody owns, claimed by reps within limits,
and taken back from owners who neglect them.

This model holds the settings, the timers of one lead (``_lead_timers``, maths in the
pure ``engine.reclaim``) and the words of warnings and reclaims. The reclaim run is
``sales.allocation.reclaim`` (``sales_allocation_reclaim.py``); claims and releases live
on ``crm.lead`` (``crm_lead_pool.py``).

Working days: a pool with a ``calendar_id`` counts its idle, holding, warning and
cooldown days in working days of that calendar (``engine.reclaim`` defines "N working
days after a moment"), read in the time zone of the salesperson concerned.
``_day_calendars`` reads the calendars once for a batch of leads (attendances with
``sales.allocation.worktime._attendances``, holidays with its ``_leaves``) and callers
hand them to ``_lead_timers``.

Timer lines (``sales_allocation_pool_timer.py``): the first line whose condition a lead
meets overrides the pool's idle, holding and warning days. ``_timer_lines`` finds the
lines of a batch of leads at once; callers hand each lead's line to ``_lead_timers``
and to the words (``_reason``), which name it.
"""
from collections import defaultdict, namedtuple

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import html_escape

from ..concurrency import cron_retry
from ..dates import to_datetime
from ..engine import reclaim as clocks
from ..engine import worktime
from ..sql import int_array
from .sales_allocation_worktime import LEAVES_AFTER, LEAVES_BEFORE, _zone
from ..rpc import check_ids
from ..access import check_sees_all_leads

# A pool's timer settings, read once for many leads (``_timer_settings``).
TimerSettings = namedtuple("TimerSettings", (
    "hold_goal", "idle_days", "max_hold_days", "warn_days", "protect_days", "calendar_id"))
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
        help="How many open leads (not won, not lost) of this pool one salesperson may "
             "hold at once. Every open lead he owns that is in this pool counts, however "
             "he got it: claimed, assigned to him by a manager, or handed to him by the "
             "pool's re-allocation queue. Only claims are refused beyond it (a manager's "
             "assignment is not). 0 means no limit.")
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
    calendar_id = fields.Many2one(
        "resource.calendar", string="Count Working Days Of", ondelete="restrict",
        help="Count the idle, holding, warning and cooldown days of this pool in working "
             "days of this calendar: its working hours, its public holidays (leaves "
             "without a resource) and its make-up working days (working hours valid on "
             "one date), read in the time zone of the salesperson concerned. N working "
             "days after a moment: the clock starts at the first working moment at or "
             "after it; the deadline is the same time of day on the N-th working day "
             "after that day, moved into that day's working hours if they differ (to "
             "their start, or to their end when past them). E.g. with Monday to Friday "
             "09:00-18:00, a lead claimed on Friday at 10:00 and idle for 1 working day "
             "is taken back on Monday at 10:00. Empty: calendar days of 24 hours. The "
             "protection after a claim stays in calendar days.")
    reclaim_action = fields.Selection(
        [("pool", "Back to the pool"), ("queue", "Re-allocate through a queue")],
        string="Reclaimed Leads", required=True, default="pool",
        help="Back to the pool: anyone may claim them again. Re-allocate: a queue hands "
             "them out at once, never to the salesperson they were taken from or to one "
             "in cooldown.")
    reclaim_queue_id = fields.Many2one(
        "sales.allocation.queue", string="Re-allocation Queue")
    timer_line_ids = fields.One2many(
        "sales.allocation.pool.timer", "pool_id", string="Timers by Condition",
        copy=True,
        help="Other timers for the leads meeting a condition, e.g. key accounts idle "
             "30 days. The first line (top down) whose condition a lead meets gives its "
             "idle, holding and warning days; 0 on a line keeps the pool's value. A lead "
             "no line matches keeps the pool's timers.")
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
            # The lines that keep a pool value now count with the new one.
            pool.timer_line_ids._check_days()

    @api.constrains("calendar_id")
    def _check_calendar(self):
        for pool in self:
            message = pool._calendar_problem()
            if message:
                raise ValidationError(message)

    @api.onchange("calendar_id")
    def _onchange_calendar_id(self):
        message = self._calendar_problem()
        if message:
            return {"warning": {"title": _("Calendar without working hours"),
                                "message": message}}

    def _calendar_problem(self):
        """Why this pool's calendar cannot count working days (None: it can)."""
        calendar = self.sudo().calendar_id
        if not calendar:
            return None
        if calendar.id and self.env["sales.allocation.worktime"]._attendances(
                {calendar.id}):
            return None
        if not calendar.id and any(
                0 <= line.hour_from < line.hour_to <= 24
                for line in calendar.attendance_ids):
            return None
        return _(
            "Pool \"%(pool)s\" counts its days in working days of calendar "
            "\"%(calendar)s\", but that calendar has no working hours (no attendance "
            "from 0 to 24 hours), so no deadline could ever come. Add working hours to "
            "the calendar, choose another one, or leave the field empty to count "
            "calendar days.") % {"pool": self.name or "", "calendar": calendar.name}

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
                     active=True, now=None, calendar=None, owner_id=None, line=None,
                     settings=None):
        """The engine's timers (or status, with ``now``) of one owned lead of this pool.

        Won and lost leads have no timer; the holding timer stops at the pool's goal.
        The stored ``reclaim_*`` fields of ``crm.lead`` and the reclaim run both come
        here, so they cannot disagree.

        A pool with a calendar counts in working days: ``calendar`` is the owner's
        ``engine.worktime.Calendar`` from ``_day_calendars`` (read once per batch by
        the callers); without it, ``owner_id`` (the owner) is needed to read it here.

        ``line``: the lead's timer line (``_timer_lines``), whose days replace the
        pool's; None (or an empty recordset): the pool's own days. ``settings``: the
        pool's ``_timer_settings()``, when the caller read them once for many leads.
        """
        self.ensure_one()
        settings = settings or self._timer_settings()
        if not active or (probability or 0) >= 100:
            args = (None, None, 0, 0, 0)
        else:
            goal_reached = settings.hold_goal == "convert" and lead_type == "opportunity"
            idle_days, hold_days, warn_days = line._days() if line else (
                settings.idle_days, settings.max_hold_days, settings.warn_days)
            args = (to_datetime(owner_activity_date), to_datetime(assigned_date),
                    idle_days, 0 if goal_reached else hold_days, warn_days)
        now = to_datetime(now)
        if calendar is None and settings.calendar_id and (args[0] or args[1]):
            if not owner_id:
                raise ValueError("pool %s counts working days: pass calendar or owner_id"
                                 % self.id)
            moments = [moment for moment in args[:2] + (now,) if moment]
            calendar = self._day_calendars({owner_id}, min(moments), max(moments))[
                (self.id, owner_id)]
        try:
            # protect_days: the protection period (issue 14).
            if now is None:
                return clocks.reclaim_timers(*args, protect_days=settings.protect_days,
                                             calendar=calendar)
            return clocks.reclaim_status(*args, now=now,
                                         protect_days=settings.protect_days,
                                         calendar=calendar)
        except ValueError as error:
            if calendar is None:
                raise
            raise UserError(self._no_working_time(error))

    def _timer_settings(self):
        """The pool's timer settings as plain values (``TimerSettings``): a caller
        that asks for many leads' timers reads them once and passes them to
        ``_lead_timers`` (reading the record's fields per lead cost more than the
        timers themselves)."""
        self.ensure_one()
        pool = self.sudo()
        return TimerSettings(pool.hold_goal, pool.idle_days, pool.max_hold_days,
                             pool.warn_days, pool.protect_days, pool.calendar_id.id)

    def _no_working_time(self, error):
        return _(
            "Pool \"%(pool)s\" counts its days in working days of calendar "
            "\"%(calendar)s\", but that calendar gives no working day to count (%(error)s). "
            "Give the calendar working hours, or leave the pool's \"Count Working Days "
            "Of\" empty to count calendar days.") % {
                "pool": self.name, "calendar": self.sudo().calendar_id.name,
                "error": error}

    @api.model
    def _timer_lines(self, pool_leads):
        """lead id -> its timer line (the first, by sequence, of its pool's lines whose
        condition it meets), for ``pool_leads``: (pool id, lead id) pairs. Leads no line
        matches (and leads of pools without lines) are left out.

        Set-based: the lines of all the pools are read once and their conditions
        answered for the whole batch by ``sales.allocation.gather._domain_matches``
        (one query for the conditions on the lead's own columns).
        """
        leads_of = defaultdict(set)
        for pool_id, lead_id in pool_leads:
            if pool_id and lead_id:
                leads_of[pool_id].add(lead_id)
        if not leads_of:
            return {}
        lines = self.env["sales.allocation.pool.timer"].sudo().search(
            [("pool_id", "in", list(leads_of))])
        if not lines:
            return {}
        domains = {line.id: line._parsed_domain() for line in lines}
        lead_ids = sorted(set().union(*[leads_of[pool_id]
                                        for pool_id in set(lines.mapped("pool_id").ids)]))
        matched = self.env["sales.allocation.gather"]._domain_matches(domains, lead_ids)
        result = {}
        for line in lines.sorted(lambda line: (line.sequence, line.id)):
            for lead_id in matched[line.id] & leads_of[line.pool_id.id]:
                result.setdefault(lead_id, line)
        return result

    @api.multi
    def _day_calendars(self, user_ids, since, until=None):
        """(pool id, user id) -> ``engine.worktime.Calendar``: the calendar of each pool
        of ``self`` that counts working days, in each user's time zone (UTC when unset).

        For a batch: the attendances are read in one query, the public holidays from
        ``since`` to a year after ``until`` (UTC) in one query per year; one engine
        calendar per calendar and zone.
        """
        pools = self.sudo().with_context(active_test=False).filtered("calendar_id")
        user_ids = {user_id for user_id in user_ids if user_id}
        if not pools or not user_ids:
            return {}
        cr = self.env.cr
        cr.execute("""
            SELECT u.id, p.tz FROM res_users u JOIN res_partner p ON p.id = u.partner_id
             WHERE u.id = ANY(%s::int[])
        """, [int_array(sorted(user_ids))])
        zones = dict(cr.fetchall())
        calendar_ids = {pool.calendar_id.id for pool in pools}
        attendances = self.env["sales.allocation.worktime"]._attendances(calendar_ids)
        # A line ending before it starts never applies (Odoo's planning skips it too).
        attendances = {calendar_id: [line for line in lines if not (
            line.date_from and line.date_to and line.date_from > line.date_to)]
            for calendar_id, lines in attendances.items()}
        holidays = self._holidays(calendar_ids, since, until or since)
        built, result = {}, {}
        for pool in pools:
            calendar_id = pool.calendar_id.id
            for user_id in user_ids:
                tz_name = zones.get(user_id) or "UTC"
                key = (calendar_id, tz_name)
                if key not in built:
                    built[key] = worktime.Calendar(
                        attendances.get(calendar_id, ()),
                        holidays=sorted(holidays.get(calendar_id, ())), tz=_zone(tz_name))
                result[(pool.id, user_id)] = built[key]
        return result

    @api.model
    def _holidays(self, calendar_ids, since, until):
        """calendar id -> its global leaves (UTC intervals) from ``since`` to a year
        after ``until``, read with ``sales.allocation.worktime._leaves`` (which reads
        a day before to a year after a moment) one year at a time."""
        read = self.env["sales.allocation.worktime"]._leaves
        holidays = defaultdict(set)
        at = to_datetime(since) + LEAVES_BEFORE
        until = to_datetime(until)
        while True:
            found, _own = read(calendar_ids, (), at)
            for calendar_id, intervals in found.items():
                holidays[calendar_id].update(intervals)
            if at >= until:
                return holidays
            at += LEAVES_AFTER

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

    def _reason(self, status, line=None, words=None):
        """Why a lead is warned or reclaimed, e.g. "idle 4 days, limit 3"; with the
        lead's timer ``line``: "idle 31 days, limit 30 (Key accounts)". ``words``:
        ``_reason_words()``, when the caller words many leads."""
        words = words or self._reason_words()
        values = {"days": status.idle_days if status.timer == clocks.IDLE
                  else status.held_days, "limit": status.limit_days}
        reason = words[status.timer == clocks.IDLE] % values
        if line:
            return words["line"] % {"reason": reason, "line": line.name}
        return reason

    def _reason_words(self):
        """The templates of ``_reason``, translated once: True -> the idle timer's,
        False -> the holding timer's (for this pool's goal and day count), "line"."""
        working = bool(self.sudo().calendar_id)
        won = self.hold_goal == "won"
        if working:
            idle = _("idle %(days)d working days, limit %(limit)d")
            held = _("held %(days)d working days without winning it, limit %(limit)d") \
                if won else \
                _("held %(days)d working days without converting it, limit %(limit)d")
        else:
            idle = _("idle %(days)d days, limit %(limit)d")
            held = _("held %(days)d days without winning it, limit %(limit)d") if won \
                else _("held %(days)d days without converting it, limit %(limit)d")
        return {True: idle, False: held, "line": _("%(reason)s (%(line)s)")}

    def _warning_summary(self, status):
        return _("Work this lead before %s or it goes back to the pool") % (
            self._user_datetime(status.deadline))

    def _warning_note(self, status, line=None):
        if status.timer == clocks.IDLE:
            what = _("Log a note, send a message, schedule or complete an activity, or "
                     "move the lead to another stage: the countdown starts again.")
        else:
            what = _("Convert or win it before then: working it does not stop this "
                     "countdown.")
        return "<p>%s</p><p>%s</p>" % (html_escape(
            _("Pool \"%(pool)s\" takes this lead back on %(deadline)s (%(reason)s).") % {
                "pool": self.name, "deadline": self._user_datetime(status.deadline),
                "reason": self._reason(status, line)}), html_escape(what))

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

    # Pool protections of issue 14: claim checks (a rep may not claim a lead of a
    # customer another rep already follows, 撞单, unless the pool allows it) and the
    # protection period of a lead just claimed or assigned (``engine.reclaim``'s
    # ``protect_days``).

    allow_matched_claims = fields.Boolean(
        string="Allow Claiming Followed Customers",
        help="Off: a salesperson cannot claim a lead whose customer another salesperson "
             "already follows (an open lead or opportunity with the same email, email "
             "domain, phone, company name or VAT, as set in the CRM settings); the "
             "refusal names that salesperson. On: such claims are allowed.")
    mask_contacts = fields.Boolean(
        string="Hide Contact Details",
        help="Phone, mobile, email and contact name of the pool's leads are masked "
             "(138****8000, w***@example.com) for every salesperson until he claims the "
             "lead: in lists, forms, searches, exports and over XML-RPC. The owner and "
             "the managers see them.")
    protect_days = fields.Integer(
        string="Protection Period",
        help="A lead just claimed or assigned is not taken back for this many days, "
             "whatever its idle or holding timer says. 0: no protection.")

    @api.constrains("protect_days")
    def _check_protect_days(self):
        for pool in self:
            if pool.protect_days < 0:
                raise ValidationError(_(
                    "Pool \"%s\": the protection period cannot be negative. Use 0 for "
                    "none.") % pool.name)

    def _check_matched_claims(self, rows, user):
        """Refuse the claim of ``rows`` (locked pool leads of this pool) by ``user``
        when one of them matches an open lead another rep owns: one query for all."""
        self.ensure_one()
        if self.allow_matched_claims or not rows:
            return
        matching = self.env["sales.allocation.match"]
        matches = matching._find([row["id"] for row in rows])
        for row in rows:
            match = matches.get(row["id"])
            if match is None or match.owner_id == user.id:
                continue
            owner = self.env["res.users"].sudo().browse(match.owner_id)
            name = matching._lead_names([match.lead_id]).get(match.lead_id, "")
            raise UserError(_(
                "Lead \"%(lead)s\": a customer already followed by %(owner)s "
                "(%(match)s). Ask %(owner)s or a sales manager before working it.") % {
                    "lead": row["name"], "owner": owner.name,
                    "match": matching._phrase(match.strength, name, owner.name)})
