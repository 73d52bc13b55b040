# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The public lead pool (公海池): leads nobody owns, claimed by reps within limits,
and taken back from owners who neglect them.

The timer maths is the pure ``engine.reclaim``; this model holds the settings and the
reclaim run (warnings, then reclaims) shared by the scheduled action and the
"Reclaim now" button.  Claims and releases live on ``crm.lead`` (``crm_lead_pool.py``).
"""
import logging
import time
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import html_escape, split_every

from ..concurrency import cron_retry
from ..engine import reclaim as clocks
from ..rpc import check_ids
from .sales_allocation_allocator import _values_sql

_logger = logging.getLogger(__name__)

RECLAIM_BATCH = 1000
HOLD_GOALS = [("convert", "Converted to opportunity"), ("won", "Won")]
# Lead columns the reclaim run writes with SQL.
RECLAIM_WRITTEN_FIELDS = [
    "user_id", "team_id", "allocation_state", "allocation_reason", "allocation_date",
    "owner_activity_date", "date_open", "reclaim_deadline", "reclaim_warn_date",
    "reclaim_timer", "reclaim_warned_deadline", "write_uid", "write_date",
]

# Owned pool leads inside their warning window, not warned for this deadline yet:
# read through the partial index crm_lead_reclaim_warn_idx.  %s: an optional pool filter.
WARN_DUE_SQL = """
    SELECT l.id FROM crm_lead l
     WHERE l.reclaim_warn_date <= %%s
       AND l.reclaim_warned_deadline IS DISTINCT FROM l.reclaim_deadline
       AND l.reclaim_deadline > %%s%s
     ORDER BY l.id"""
# Owned pool leads whose deadline has come: partial index crm_lead_reclaim_deadline_idx.
RECLAIM_DUE_SQL = """
    SELECT l.id FROM crm_lead l
     WHERE l.reclaim_deadline <= %%s%s
     ORDER BY l.id"""
# A lead another run holds is skipped, not waited for.  NO KEY UPDATE is the lock an
# UPDATE of the lead takes: log rows may still reference it meanwhile.
LOCK_SKIP_SQL = " FOR NO KEY UPDATE OF l SKIP LOCKED"


def to_datetime(value):
    """A naive UTC datetime from what Odoo 11 hands around (string or datetime)."""
    if not value:
        return None
    if isinstance(value, str):
        return fields.Datetime.from_string(value)
    return value


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
             "hold at once. 0 means no limit.")
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
        if not self.env.user.has_group("sales_team.group_sale_salesman_all_leads"):
            raise AccessError(_(
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
        if now is None:
            return clocks.reclaim_timers(*args)
        return clocks.reclaim_status(*args, now=to_datetime(now))

    # ------------------------------------------------------------------ reclaim run

    @api.model
    @cron_retry
    def _cron_reclaim(self):
        """Scheduled action: warn owners, then take back the leads that are due."""
        return self._reclaim()

    @api.model
    def _reclaim(self, now=None, pool_ids=None):
        """Warn the owners whose leads entered their warning window, then reclaim the
        leads whose deadline has come.  Returns counts.

        Due leads are found through two partial indexes (``crm_lead.init``), so the cost
        follows the number of due leads, not the size of the table.  Each batch locks its
        leads ``FOR NO KEY UPDATE SKIP LOCKED``: a second run at the same time skips
        them (or, if they were reclaimed after its snapshot, fails to serialize and
        changes nothing); a lead's move and its log rows are written in the same
        transaction, so an interrupted run leaves no lead half-moved.  Once a lead is
        reclaimed or warned it no longer matches, so a second run right after is a no-op.
        """
        started = time.time()
        now = to_datetime(now) or fields.Datetime.from_string(fields.Datetime.now())
        summary = {"warned": 0, "reclaimed": 0, "reallocated": 0}
        pool_filter, pool_params = "", []
        if pool_ids is not None:
            if not pool_ids:
                return dict(summary, seconds=0.0)
            pool_filter, pool_params = " AND l.pool_id IN %s", [tuple(pool_ids)]
        cr = self.env.cr
        # Lock in id order: two runs cannot deadlock.
        cr.execute(WARN_DUE_SQL % pool_filter + LOCK_SKIP_SQL, [now, now] + pool_params)
        for batch in split_every(RECLAIM_BATCH, [row[0] for row in cr.fetchall()]):
            summary["warned"] += self._warn_leads(list(batch), now)
        cr.execute(RECLAIM_DUE_SQL % pool_filter + LOCK_SKIP_SQL, [now] + pool_params)
        for batch in split_every(RECLAIM_BATCH, [row[0] for row in cr.fetchall()]):
            result = self._reclaim_leads(list(batch), now)
            summary["reclaimed"] += result["reclaimed"]
            summary["reallocated"] += result["reallocated"]
        summary["seconds"] = round(time.time() - started, 3)
        if summary["warned"] or summary["reclaimed"]:
            _logger.info("sales_allocation pools: %(warned)d warned, %(reclaimed)d "
                         "reclaimed (%(reallocated)d re-allocated) in %(seconds)ss",
                         summary)
        return summary

    def _lead_rows(self, lead_ids):
        """The facts the reclaim run needs about locked leads, by pool."""
        self.env.cr.execute("""
            SELECT id, name, pool_id, user_id, owner_activity_date, date_open, type,
                   probability, active, reclaim_deadline, team_id
              FROM crm_lead WHERE id IN %s ORDER BY id
        """, [tuple(lead_ids)])
        by_pool = defaultdict(list)
        for row in self.env.cr.dictfetchall():
            by_pool[row["pool_id"]].append(row)
        pools = self.sudo().with_context(active_test=False).browse(list(by_pool))
        return [(pool, by_pool[pool.id]) for pool in pools]

    def _status(self, row, now):
        return self._lead_timers(row["owner_activity_date"], row["date_open"],
                                 row["type"], row["probability"], row["active"], now=now)

    @api.model
    def _warn_leads(self, lead_ids, now):
        """One activity for the owner of each lead, a 'warned' log row, and the
        deadline remembered so that the same deadline is never warned twice."""
        allocator = self.env["sales.allocation.allocator"]
        owners, localized = {}, {}
        activity_rows, log_rows = [], []
        for pool, rows in self._lead_rows(lead_ids):
            for row in rows:
                status = pool._status(row, now)
                if status.state != clocks.WARN:
                    continue
                owner = owners.get(row["user_id"])
                if owner is None:
                    owner = owners[row["user_id"]] = self.env["res.users"].sudo().browse(
                        row["user_id"])
                # The owner's language and time zone; one environment per pool and owner.
                texts = localized.get((pool.id, owner.id))
                if texts is None:
                    texts = localized[(pool.id, owner.id)] = pool.with_context(
                        lang=owner.lang, tz=owner.tz)
                activity_rows.append((
                    row["id"], row["name"], owner.id, texts._user_date(status.deadline),
                    texts._warning_summary(status), texts._warning_note(status)))
                log_rows.append((row["id"], owner.id, owner.id, "warned", None, None,
                                 row["team_id"], pool._reason(status), pool.id))
        if log_rows:
            ids = tuple(row[0] for row in log_rows)
            self._insert_warnings(activity_rows, now)
            self.env.cr.execute("""
                UPDATE crm_lead SET reclaim_warned_deadline = reclaim_deadline
                 WHERE id IN %s
            """, [ids])
            self.env["crm.lead"].invalidate_cache(["reclaim_warned_deadline"], list(ids))
            allocator._insert_logs(log_rows, now)
        return len(log_rows)

    def _insert_warnings(self, activity_rows, now):
        """The warning activities, set-based: (lead, lead name, owner, due date,
        summary, note).

        ``mail.activity.create`` costs about a hundred queries per activity (defaults,
        access checks, follower and chatter bookkeeping): over 100 ms each on a loaded
        two-core machine, against about 1 ms per lead for the rest of the run.  The owner
        follows his leads already (claims and allocations add him); he is added again,
        harmlessly, in case someone removed him.  The lead's stored
        ``activity_date_deadline`` (the earliest activity) is updated as the ORM would.
        """
        activity_type = self.env.ref("sales_allocation.mail_activity_type_pool_reclaim")
        lead_model_id = self.env["ir.model"]._get_id("crm.lead")
        values, params = _values_sql(
            activity_rows, ["int", "varchar", "int", "date", "varchar", "text"])
        cr = self.env.cr
        cr.execute("""
            INSERT INTO mail_activity
                   (res_id, res_name, user_id, date_deadline, summary, note, res_model_id,
                    res_model, activity_type_id, create_uid, create_date, write_uid,
                    write_date)
            SELECT v.*, %s, 'crm.lead', %s, %s, %s, %s, %s
              FROM (VALUES """ + values + """) AS v
        """, [lead_model_id, activity_type.id, self.env.uid, now, self.env.uid, now]
            + params)
        lead_ids = [row[0] for row in activity_rows]
        cr.execute("""
            UPDATE crm_lead l SET activity_date_deadline = a.deadline
              FROM (SELECT res_id, min(date_deadline) AS deadline FROM mail_activity
                     WHERE res_model = 'crm.lead' AND res_id IN %s GROUP BY res_id) a
             WHERE l.id = a.res_id
        """, [tuple(lead_ids)])
        self.env["sales.allocation.allocator"]._add_followers(
            [(row[0], row[2]) for row in activity_rows])
        self.env["mail.activity"].invalidate_cache()
        self.env["crm.lead"].invalidate_cache(
            ["activity_ids", "activity_date_deadline", "activity_state", "activity_summary",
             "activity_type_id", "activity_user_id"], lead_ids)

    @api.model
    def _reclaim_leads(self, lead_ids, now):
        """Take the due leads back: to the pool, or through the pool's queue."""
        result = {"reclaimed": 0, "reallocated": 0}
        allocator = self.env["sales.allocation.allocator"]
        lead_rows, log_rows, followers = [], [], []
        rotations = []
        for pool, rows in self._lead_rows(lead_ids):
            due = [(row, status) for row, status in (
                (row, pool._status(row, now)) for row in rows)
                if status.state == clocks.DUE]
            if not due:
                continue
            picks = {}
            if pool.reclaim_action == "queue" and pool.reclaim_queue_id:
                picks, rotation = pool._reallocate(due, now)
                rotations.append(rotation)
            for row, status in due:
                reason = pool._reason(status)
                log_rows.append((row["id"], None, row["user_id"], "reclaimed", None,
                                 None, row["team_id"], reason, pool.id))
                pick = picks.get(row["id"])
                if pick:
                    user_id, team_id, queue_id, text = pick
                    timers = pool._lead_timers(now, now, row["type"], row["probability"])
                    lead_rows.append((row["id"], user_id, team_id, "allocated",
                                      "%s %s" % (reason, text), now, now) + tuple(timers))
                    log_rows.append((row["id"], user_id, None, "assigned", None,
                                     queue_id, team_id, text, pool.id))
                    followers.append((row["id"], user_id))
                    result["reallocated"] += 1
                else:
                    lead_rows.append((row["id"], None, None, "pool", reason, None, None,
                                      None, None, None))
                result["reclaimed"] += 1
        if lead_rows:
            self._write_reclaimed(lead_rows, now)
            allocator._add_followers(followers)
            allocator._insert_logs(log_rows, now)
            for queues, meta in rotations:
                allocator._save_rotation(queues, meta)
            self.env["crm.lead"].browse([row[0] for row in lead_rows])._pool_drop_warnings()
        return result

    def _reallocate(self, due, now):
        """Pick a member of the pool's queue for each due lead, skipping the owner it is
        taken from and every rep in cooldown on it.  Returns ``(picks, rotation)``:
        lead id -> (user, team, queue, reason text), and what ``_save_rotation`` needs."""
        allocator = self.env["sales.allocation.allocator"]
        queue_id = self.reclaim_queue_id.id
        queues, meta = allocator._load_queues({queue_id}, lock=True)
        queue = queues.get(queue_id)
        if queue is None:
            return {}, (queues, meta)
        cooling = self.env["crm.lead"]._pool_cooldown_users(
            [row["id"] for row, _status in due], self.cooldown_days, now)
        user_active = allocator._user_active({member.user_id for member in queue.members})
        picks = {}
        queue_team = meta["teams"].get(queue_id)
        for row, _status in due:
            excluded = cooling.get(row["id"], set()) | {row["user_id"]}
            member, _skipped = clocks.pick_excluding(queue, excluded, user_active)
            if member is None:
                continue
            picks[row["id"]] = (member.user_id, queue_team, queue_id, None)
        names = allocator._names("res.users", {pick[0] for pick in picks.values()})
        template = _("Queue \"%(queue)s\" gave it to %(user)s.")
        for lead_id, (user_id, team_id, queue_id, _text) in list(picks.items()):
            picks[lead_id] = (user_id, team_id, queue_id, template % {
                "queue": queue.name or self.reclaim_queue_id.name,
                "user": names.get(user_id, "")})
        return picks, (queues, meta)

    def _write_reclaimed(self, lead_rows, now):
        """Owners, states and timers of reclaimed leads in one statement.

        Rows: (id, user, team, state, reason, activity date, assigned date, deadline,
        warning start, timer).  A lead back in the pool has no owner and no timer.
        """
        values, params = _values_sql(lead_rows, [
            "int", "int", "int", "varchar", "text", "timestamp", "timestamp",
            "timestamp", "timestamp", "varchar"])
        self.env.cr.execute("""
            UPDATE crm_lead l
               SET user_id = v.user_id,
                   team_id = COALESCE(v.team_id, u.sale_team_id, l.team_id),
                   allocation_state = v.state,
                   allocation_reason = v.reason,
                   allocation_date = %s,
                   owner_activity_date = v.activity,
                   date_open = COALESCE(v.assigned, l.date_open),
                   reclaim_deadline = v.deadline,
                   reclaim_warn_date = v.warn_from,
                   reclaim_timer = v.timer,
                   reclaim_warned_deadline = NULL,
                   write_uid = %s, write_date = %s
              FROM (VALUES """ + values + """)
                   AS v(id, user_id, team_id, state, reason, activity, assigned,
                        deadline, warn_from, timer)
              LEFT JOIN res_users u ON u.id = v.user_id
             WHERE l.id = v.id
        """, [now, self.env.uid, now] + params)
        self.env["crm.lead"].invalidate_cache(
            RECLAIM_WRITTEN_FIELDS, [row[0] for row in lead_rows])

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
