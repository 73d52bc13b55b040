# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import Counter, defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..concurrency import cron_retry
from ..dates import to_datetime
from ..engine import reclaim as clocks

EVENTS = [
    ("assigned", "Assigned"),
    ("reassigned", "Reassigned"),
    ("manual", "Manual"),
    ("unallocated", "Not allocated"),
    ("pooled", "Sent to pool"),
    ("claimed", "Claimed"),
    ("released", "Released"),
    ("reclaimed", "Reclaimed"),
    ("warned", "Warned"),
]


class SalesAllocationLog(models.Model):
    """One row per ownership change of a lead, with the reason in words.

    Rows are written by the allocator in batches (SQL), so this model has no create logic
    of its own; it is read-only in the interface.
    """

    _name = "sales.allocation.log"
    _description = "Lead allocation log"
    _order = "date desc, id desc"
    _rec_name = "lead_id"
    # Rows are never edited, and `date` + `author_id` say when and by whom they were
    # written: the four magic columns would only add two foreign-key checks per row,
    # a measurable share of a 100,000-lead backlog run.
    _log_access = False

    date = fields.Datetime(
        required=True, readonly=True, index=True, default=fields.Datetime.now)
    lead_id = fields.Many2one(
        "crm.lead", readonly=True, ondelete="cascade",
        context={"active_test": False})
    event = fields.Selection(EVENTS, required=True, readonly=True, index=True)
    user_id = fields.Many2one(
        "res.users", string="New Owner", readonly=True, index=True,
        context={"active_test": False})
    previous_user_id = fields.Many2one(
        "res.users", string="Previous Owner", readonly=True,
        context={"active_test": False})
    rule_id = fields.Many2one(
        "sales.allocation.rule", readonly=True, index=True,
        ondelete="set null", context={"active_test": False})
    queue_id = fields.Many2one(
        "sales.allocation.queue", readonly=True, ondelete="set null",
        context={"active_test": False})
    team_id = fields.Many2one("crm.team", string="Sales Channel", readonly=True)
    pool_id = fields.Many2one(
        "sales.allocation.pool", readonly=True, ondelete="set null",
        context={"active_test": False})
    author_id = fields.Many2one(
        "res.users", string="Done By", readonly=True,
        default=lambda self: self.env.user)
    reason = fields.Text(readonly=True)
    notified = fields.Boolean(
        readonly=True, default=False,
        help="The new owner has received the digest that mentions this lead.")

    @api.model_cr
    def init(self):
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS sales_allocation_log_lead_date_idx
                ON sales_allocation_log (lead_id, date DESC, id DESC)
        """)
        # The digest cron reads only rows nobody was told about yet.
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS sales_allocation_log_to_notify_idx
                ON sales_allocation_log (user_id)
             WHERE notified IS NOT TRUE AND event IN ('assigned', 'reassigned')
        """)
        # A pool claim counts the rep's claims of the day (daily limit).
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS sales_allocation_log_claimed_idx
                ON sales_allocation_log (user_id, pool_id, date) WHERE event = 'claimed'
        """)

    @api.model
    @cron_retry
    def _cron_notify_owners(self):
        """Tell each rep, in one message per run, how many leads he was given.

        Allocation itself never posts per lead: at tens of thousands of leads a message
        each would flood inboxes and cost more than the allocation.
        """
        cr = self.env.cr
        cr.execute("""
            UPDATE sales_allocation_log SET notified = TRUE
             WHERE notified IS NOT TRUE AND event IN ('assigned', 'reassigned')
               AND user_id IS NOT NULL
            RETURNING user_id, previous_user_id
        """)
        # A re-run that kept the owner gives him nothing new to hear about.
        per_user = Counter(user_id for user_id, previous_id in cr.fetchall()
                           if user_id != previous_id)
        self.invalidate_cache(["notified"])
        users = self.env["res.users"].sudo().browse(list(per_user)).exists()
        for user in users:
            user.partner_id.with_context(lang=user.lang)._sales_allocation_digest(
                per_user[user.id])
        return dict(per_user)

    # ------------------------------------------------------------------ give-backs

    @api.model
    def _given_back(self, lead_ids, since, user_id=None):
        """lead id -> {user id: the last time he released it or had it reclaimed},
        counting only give-backs after ``since`` (``None``: all of them)."""
        query = """
            SELECT lead_id, previous_user_id, max(date) FROM sales_allocation_log
             WHERE lead_id IN %s AND event IN ('released', 'reclaimed')
               AND previous_user_id IS NOT NULL
        """
        params = [tuple(lead_ids)]
        if since is not None:
            query += " AND date > %s"
            params.append(since)
        if user_id:
            query += " AND previous_user_id = %s"
            params.append(user_id)
        self.env.cr.execute(query + " GROUP BY lead_id, previous_user_id", params)
        result = defaultdict(dict)
        for lead_id, given_by, when in self.env.cr.fetchall():
            result[lead_id][given_by] = to_datetime(when)
        return result

    @api.model
    def _cooldown_users(self, lead_ids, cooldown_days, now, pool=None):
        """lead id -> ids of the users in cooldown on it at ``now``; in working days
        when ``pool`` (whose ``cooldown_days`` these are) has a calendar."""
        if not cooldown_days or not lead_ids:
            return {}
        if pool is not None and pool.sudo().calendar_id:
            return {lead_id: set(users) for lead_id, users in
                    self._cooldowns(lead_ids, pool, now).items()}
        since = now - timedelta(days=cooldown_days)
        return {lead_id: set(users) for lead_id, users in
                self._given_back(lead_ids, since).items()}

    @api.model
    def _cooldowns(self, lead_ids, pool, now, user_id=None):
        """lead id -> {user id: (when he gave it back, end of his cooldown)} for the
        users (``user_id`` only, if given) in cooldown on it at ``now`` in ``pool``:
        ``engine.reclaim.cooldown_end`` of his last give-back is after ``now``.

        Calendar days: the give-backs of the last ``cooldown_days`` days.  Working
        days (the pool has a calendar): the last give-back of each lead and rep, then
        each rep's calendar (his time zone), read once for all of them.
        """
        days = pool.cooldown_days
        if not days or not lead_ids:
            return {}
        pool = pool.sudo()
        since = None if pool.calendar_id else now - timedelta(days=days)
        given_back = self._given_back(lead_ids, since, user_id)
        calendars = {}
        if pool.calendar_id and given_back:
            moments = [when for by_user in given_back.values() for when in by_user.values()]
            calendars = pool._day_calendars(
                {user for by_user in given_back.values() for user in by_user},
                min(moments), now)
        result = defaultdict(dict)
        for lead_id, by_user in given_back.items():
            for given_by, when in by_user.items():
                try:
                    until = clocks.cooldown_end(
                        when, days, calendars.get((pool.id, given_by)))
                except ValueError as error:
                    raise UserError(pool._no_working_time(error))
                if until > now:
                    result[lead_id][given_by] = (when, until)
        return result
