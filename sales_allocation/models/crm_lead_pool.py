# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""crm.lead in the public lead pool: claim, release, the owner's activity clock and the
reclaim deadline.

Claims and releases run under row locks in one transaction: the rep's claim lock
(``sales.allocation.pool.claim.lock``) and the leads themselves, ``FOR NO KEY UPDATE``
(the lock an UPDATE takes, which still lets other tables reference the lead).  Under
Odoo's REPEATABLE READ a claim that waited on a lead another claim took fails to
serialize; Odoo's RPC layer retries it, and the retry refuses with a clear message.
"""
from collections import defaultdict
from datetime import datetime

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..engine import reclaim as clocks
from ..sql import open_lead_sql
from ..access import sees_all_leads
from .sales_allocation_ledger import Move
from ..dates import to_datetime

RECLAIM_TIMERS = [("idle", "Idle limit"), ("hold", "Holding limit")]


class CrmLead(models.Model):
    _inherit = "crm.lead"

    pool_id = fields.Many2one(
        "sales.allocation.pool", string="Lead Pool", copy=False,
        ondelete="restrict", readonly=True,
        help="The public pool this lead belongs to: without an owner anyone in the pool "
             "may claim it; with one, the pool's timers may take it back.")
    owner_activity_date = fields.Datetime(
        string="Owner's Last Activity", readonly=True, copy=False,
        help="The last time the salesperson worked this lead: a message or note, an "
             "activity scheduled or done, a stage change or an edit; set when he got it.")
    reclaim_deadline = fields.Datetime(
        compute="_compute_reclaim_timers", store=True,
        readonly=True, copy=False,
        help="When the pool takes this lead back from its owner, unless he works it "
             "(idle timer) or reaches the pool's goal (holding timer) first.")
    reclaim_warn_date = fields.Datetime(
        string="Warning From", compute="_compute_reclaim_timers", store=True,
        readonly=True, copy=False)
    reclaim_timer = fields.Selection(
        RECLAIM_TIMERS, string="Reclaimed On", compute="_compute_reclaim_timers",
        store=True, readonly=True, copy=False)
    reclaim_warned_deadline = fields.Datetime(
        string="Warned For", readonly=True, copy=False,
        help="The deadline the owner was last warned about; a new deadline gets a new "
             "warning.")
    pool_age_days = fields.Integer(
        string="Age (days)", compute="_compute_pool_age_days",
        help="Days since the lead was created.")
    pool_is_mine = fields.Boolean(compute="_compute_pool_is_mine")
    pool_due_soon = fields.Boolean(
        compute="_compute_pool_due_soon",
        help="Inside its warning window, or past its reclaim deadline.")

    @api.depends("pool_id", "user_id", "owner_activity_date", "date_open", "type",
                 "probability", "active", "pool_id.idle_days", "pool_id.max_hold_days",
                 "pool_id.warn_days", "pool_id.hold_goal", "pool_id.protect_days",
                 "pool_id.calendar_id",
                 "pool_id.calendar_id.attendance_ids.dayofweek",
                 "pool_id.calendar_id.attendance_ids.hour_from",
                 "pool_id.calendar_id.attendance_ids.hour_to",
                 "pool_id.calendar_id.attendance_ids.date_from",
                 "pool_id.calendar_id.attendance_ids.date_to",
                 "pool_id.calendar_id.global_leave_ids.date_from",
                 "pool_id.calendar_id.global_leave_ids.date_to",
                 "pool_id.timer_line_ids.sequence", "pool_id.timer_line_ids.domain",
                 "pool_id.timer_line_ids.idle_days",
                 "pool_id.timer_line_ids.max_hold_days",
                 "pool_id.timer_line_ids.warn_days")
    def _compute_reclaim_timers(self):
        """The pool's timers of each owned lead, with its timer line (read for the
        whole recordset at once). A line's condition is read when these run: the
        lead's owner, dates, stage or pool (or the pool's lines) change; a lead that
        meets another condition since is caught up by the reclaim run."""
        calendars = self._pool_day_calendars()
        lines = self._pool_timer_lines()
        settings = {}  # pool id -> its timer settings, read once
        for lead in self:
            timers = clocks.NO_TIMERS
            if lead.pool_id and lead.user_id:
                pool = lead.pool_id.sudo()
                if pool.id not in settings:
                    settings[pool.id] = pool._timer_settings()
                timers = pool._lead_timers(
                    lead.owner_activity_date, lead.date_open, lead.type,
                    lead.probability, lead.active,
                    calendar=calendars.get((pool.id, lead.user_id.id)),
                    owner_id=lead.user_id.id, line=lines.get(lead.id),
                    settings=settings[pool.id])
            lead.reclaim_deadline = fields.Datetime.to_string(timers.deadline) \
                if timers.deadline else False
            lead.reclaim_warn_date = fields.Datetime.to_string(timers.warn_from) \
                if timers.warn_from else False
            lead.reclaim_timer = timers.timer or False

    def _pool_day_calendars(self):
        """The working-day calendars of these leads' owners in their pools, read once
        for the recordset: (pool id, user id) -> engine calendar."""
        owned = [lead for lead in self
                 if lead.pool_id and lead.user_id and lead.pool_id.sudo().calendar_id]
        starts = [to_datetime(moment) for lead in owned
                  for moment in (lead.owner_activity_date, lead.date_open) if moment]
        if not starts:
            return {}
        pools = self.env["sales.allocation.pool"].sudo().browse(
            list({lead.pool_id.id for lead in owned}))
        return pools._day_calendars({lead.user_id.id for lead in owned}, min(starts),
                                    max(starts))

    def _pool_timer_lines(self):
        """lead id -> the timer line of these owned pool leads (saved ones: a
        condition is answered by the database), read once for the recordset."""
        return self.env["sales.allocation.pool"]._timer_lines(
            [(lead.pool_id.id, lead.id) for lead in self
             if lead.pool_id and lead.user_id and isinstance(lead.id, int)])

    def _compute_pool_age_days(self):
        now = datetime.utcnow()
        for lead in self:
            created = to_datetime(lead.create_date)
            lead.pool_age_days = (now - created).days if created else 0

    def _compute_pool_is_mine(self):
        for lead in self:
            lead.pool_is_mine = lead.user_id.id == self.env.uid

    def _compute_pool_due_soon(self):
        now = fields.Datetime.now()
        for lead in self:
            lead.pool_due_soon = bool(lead.reclaim_warn_date and lead.reclaim_warn_date <= now
                                      or lead.reclaim_deadline and lead.reclaim_deadline <= now)

    @api.model_cr
    def init(self):
        result = super(CrmLead, self).init()
        # The reclaim run reads only these: owned pool leads whose time has come.
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS crm_lead_reclaim_deadline_idx
                ON crm_lead (reclaim_deadline) WHERE reclaim_deadline IS NOT NULL
        """)
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS crm_lead_reclaim_warn_idx
                ON crm_lead (reclaim_warn_date)
             WHERE reclaim_warn_date IS NOT NULL
               AND reclaim_warned_deadline IS DISTINCT FROM reclaim_deadline
        """)
        return result

    # ------------------------------------------------------------------ chatter

    @api.multi
    @api.returns("self", lambda value: value.id)
    def message_post(self, body="", subject=None, message_type="notification",
                     subtype=None, parent_id=False, attachments=None,
                     content_subtype="html", **kwargs):
        message = super(CrmLead, self).message_post(
            body=body, subject=subject, message_type=message_type, subtype=subtype,
            parent_id=parent_id, attachments=attachments,
            content_subtype=content_subtype, **kwargs)
        self._pool_touch_owner()
        return message

    # ------------------------------------------------------------------ buttons

    @api.multi
    def action_claim(self):
        """Claim these pool leads for the current user. Button, list action and RPC."""
        self._pool_claim(self.env.user)
        return True

    @api.multi
    def action_release(self):
        """Give these leads back to their pool (no reason). Button and RPC."""
        self._pool_release()
        return True

    @api.multi
    def action_release_wizard(self):
        """The Release button of the form: asks for an optional reason first."""
        action = self.env.ref(
            "sales_allocation.sales_allocation_pool_release_action").read()[0]
        action["context"] = {"active_model": "crm.lead", "active_ids": self.ids}
        return action

    # ------------------------------------------------------------------ the owner's clock

    def _pool_touch_owner(self, now=None):
        """The owner worked these leads now: restart their idle clock.

        Only the leads the current user owns count; writes by others, the cron or the
        mail gateway do not. ``now`` (UTC) may be given by tests.
        """
        if not self:
            return
        uid = self.env.uid
        mine = self.filtered(lambda lead: lead.user_id.id == uid)
        if mine:
            # The low-level write, as the owner: the field is read-only to salesmen in
            # write() (crm_lead_access.py), and sudo would make the superuser the last
            # editor of the lead.  _write still checks the record rules.
            mine._write({"owner_activity_date": fields.Datetime.to_string(
                to_datetime(now)) if now else fields.Datetime.now()})
            mine.recompute()

    # ------------------------------------------------------------------ claim

    def _pool_claim(self, user, now=None):
        """Give these pool leads to ``user`` if every check passes, all or nothing.

        Checks, in this order, each refusal saying why and when to try again:
        the lead is in a pool, the user may claim from it, nobody owns the lead yet,
        the user is not in cooldown on it, the pool's daily limit and its open-lead
        limit.  ``now`` (UTC) may be given by tests.
        """
        if not self:
            return {}
        now = to_datetime(now) or datetime.utcnow()
        self.env["sales.allocation.pool.claim.lock"]._lock(user.id, now)
        rows = self._pool_lock_rows()
        by_pool = defaultdict(list)
        pools = {}
        for row in rows:
            if not row["pool_id"]:
                raise UserError(_(
                    "Lead \"%s\" is not in a lead pool: only pool leads can be claimed. "
                    "Ask its salesperson or a sales manager.") % row["name"])
            pool = pools.get(row["pool_id"])
            if pool is None:
                pool = pools[row["pool_id"]] = self.env["sales.allocation.pool"].sudo(
                    ).with_context(active_test=False).browse(row["pool_id"])
            if not pool.active:
                raise UserError(_(
                    "Pool \"%s\" is archived: its leads cannot be claimed. Ask a sales "
                    "manager to reopen the pool or move the lead.") % pool.name)
            if not pool._is_claimer(user):
                raise UserError(_(
                    "You may not claim from pool \"%(pool)s\": only the members of its "
                    "sales channel%(team)s and the salespeople listed on the pool may. "
                    "Ask a sales manager to add you.") % {
                        "pool": pool.name,
                        "team": " \"%s\"" % pool.team_id.name if pool.team_id else ""})
            if row["user_id"]:
                self._pool_refuse_taken(row, user)
            if not row["active"]:
                raise UserError(_(
                    "Lead \"%s\" is archived (lost): it cannot be claimed.") % row["name"])
            if (row["probability"] or 0) >= 100:
                raise UserError(_(
                    "Lead \"%s\" is already won: there is nothing left to claim.")
                    % row["name"])
            by_pool[pool].append(row)
        for pool, pool_rows in by_pool.items():
            pool._check_matched_claims(pool_rows, user)
            self._pool_check_cooldown(pool, pool_rows, user, now)
            self._pool_check_limits(pool, len(pool_rows), user, now)
        self._pool_give(by_pool, user, now, "claimed", "claimed", _(
            "Claimed from pool \"%(pool)s\" by %(user)s."))
        return {"claimed": len(rows)}

    @staticmethod
    def _pool_refuse_closed(rows):
        """A won or lost lead has nothing left to work: it never goes (back) to a pool."""
        for row in rows:
            if not row["active"] or (row["probability"] or 0) >= 100:
                raise UserError(_(
                    "Lead \"%s\" is won or lost: it stays with its salesperson and cannot "
                    "go to a pool. Reopen it first if someone should work it again.")
                    % row["name"])

    def _pool_lock_rows(self):
        """Lock these leads (id order, so claims cannot deadlock) and read them."""
        cr = self.env.cr
        cr.execute("""
            SELECT id, name, pool_id, user_id, active, team_id, probability, type,
                   allocation_rule_id
              FROM crm_lead WHERE id IN %s ORDER BY id
               FOR NO KEY UPDATE
        """, [tuple(self.ids)])
        rows = cr.dictfetchall()
        if len(rows) != len(set(self.ids)):
            raise UserError(_(
                "Some of these leads no longer exist (deleted meanwhile). Reload the "
                "list and try again."))
        return rows

    def _pool_refuse_taken(self, row, user):
        if row["user_id"] == user.id:
            raise UserError(_("Lead \"%s\" is already yours.") % row["name"])
        owner = self.env["res.users"].sudo().browse(row["user_id"])
        raise UserError(_(
            "Lead \"%(lead)s\" was already taken by %(user)s. Pick another lead from the "
            "pool.") % {"lead": row["name"], "user": owner.name})

    def _pool_check_cooldown(self, pool, rows, user, now):
        if not pool.cooldown_days:
            return
        cooling = self.env["sales.allocation.log"]._cooldowns(
            [row["id"] for row in rows], pool, now, user.id)
        for row in rows:
            cooldown = cooling.get(row["id"], {}).get(user.id)
            if cooldown:
                when, until = cooldown
                localized = pool.with_context(tz=user.tz, lang=user.lang)
                if pool.calendar_id:
                    template = _(
                        "You gave lead \"%(lead)s\" back on %(when)s: pool \"%(pool)s\" "
                        "has a cooldown of %(days)d working days, so you may claim it "
                        "again from %(until)s.")
                else:
                    template = _(
                        "You gave lead \"%(lead)s\" back on %(when)s: pool \"%(pool)s\" "
                        "has a cooldown of %(days)d days, so you may claim it again from "
                        "%(until)s.")
                raise UserError(template % {
                    "lead": row["name"], "pool": pool.name,
                    "when": localized._user_datetime(when),
                    "days": pool.cooldown_days,
                    "until": localized._user_datetime(until)})

    def _pool_check_limits(self, pool, count, user, now):
        cr = self.env.cr
        localized = pool.with_context(tz=user.tz, lang=user.lang)
        if pool.max_claims_per_day:
            zone = pytz.timezone(user.tz) if user.tz in pytz.all_timezones_set else pytz.utc
            day_start, day_end = clocks.claim_day(now, zone)
            cr.execute("""
                SELECT count(*) FROM sales_allocation_log
                 WHERE event = 'claimed' AND user_id = %s AND pool_id = %s
                   AND date >= %s AND date < %s
            """, [user.id, pool.id, day_start, day_end])
            claimed = cr.fetchone()[0]
            if claimed + count > pool.max_claims_per_day:
                raise UserError(_(
                    "Daily limit reached: you have claimed %(claimed)d of the "
                    "%(limit)d leads a day you may take from pool \"%(pool)s\"%(asked)s. "
                    "The limit resets at midnight in your time zone: try again after "
                    "%(reset)s.") % {
                        "claimed": claimed, "limit": pool.max_claims_per_day,
                        "pool": pool.name,
                        "asked": _(" (you asked for %d more)") % count if count > 1 else "",
                        "reset": localized._user_datetime(day_end)})
        if pool.max_open_leads:
            cr.execute("""
                SELECT count(*) FROM crm_lead
                 WHERE user_id = %s AND pool_id = %s AND """ + open_lead_sql() + """
            """, [user.id, pool.id])
            held = cr.fetchone()[0]
            if held + count > pool.max_open_leads:
                raise UserError(_(
                    "You hold %(held)d open leads from pool \"%(pool)s\" and may hold "
                    "%(limit)d at once%(asked)s. Win, lose or release one of them, then "
                    "claim again.") % {
                        "held": held, "limit": pool.max_open_leads, "pool": pool.name,
                        "asked": _(" (you asked for %d more)") % count if count > 1 else ""})

    def _pool_give(self, rows_by_pool, user, now, state, event, template):
        """Make ``user`` the owner of these locked pool leads (claim, assignment): the
        lead stays in its pool, whose timers start now."""
        moves = []
        Pool = self.env["sales.allocation.pool"].sudo()
        calendars = Pool.browse([pool.id for pool in rows_by_pool])._day_calendars(
            {user.id}, now, now)
        lines = Pool._timer_lines([(pool.id, row["id"])
                                   for pool, rows in rows_by_pool.items() for row in rows])
        for pool, rows in rows_by_pool.items():
            team = pool.team_id or user.sale_team_id
            reason = template % {"pool": pool.name, "user": user.name}
            for row in rows:
                moves.append(Move(
                    row["id"], user.id, row["user_id"], event, state, reason,
                    team_id=team.id or None, rule_id=row["allocation_rule_id"],
                    pool_id=pool.id, timers=tuple(pool._lead_timers(
                        now, now, row["type"], row["probability"], row["active"],
                        calendar=calendars.get((pool.id, user.id)), owner_id=user.id,
                        line=lines.get(row["id"])))))
        self.env["sales.allocation.ledger"].move(moves, now)
        self._pool_drop_warnings()

    def _pool_drop_warnings(self):
        """Remove the reclaim warnings of these leads: they no longer apply."""
        if not self:
            return
        activity_type = self.env.ref(
            "sales_allocation.mail_activity_type_pool_reclaim", raise_if_not_found=False)
        if activity_type:
            self.env["mail.activity"].sudo().search([
                ("res_model", "=", "crm.lead"), ("res_id", "in", self.ids),
                ("activity_type_id", "=", activity_type.id)]).unlink()

    # ------------------------------------------------------------------ release

    def _pool_release(self, reason=None, now=None):
        """Give these leads back to their pool; the releasing owner's cooldown starts.

        The owner releases his own leads; sales managers may release anyone's.
        """
        if not self:
            return {}
        now = to_datetime(now) or datetime.utcnow()
        manager = sees_all_leads(self.env)
        rows = self._pool_lock_rows()
        for row in rows:
            if not row["pool_id"]:
                raise UserError(_(
                    "Lead \"%s\" did not come from a lead pool, so it cannot be released. "
                    "Ask a sales manager to move it into a pool.") % row["name"])
            if not row["user_id"]:
                raise UserError(_(
                    "Lead \"%s\" is already in the pool: nobody owns it.") % row["name"])
            if row["user_id"] != self.env.uid and not manager:
                raise UserError(_(
                    "Lead \"%s\" is not yours: only its salesperson or a sales manager "
                    "may release it.") % row["name"])
        self._pool_refuse_closed(rows)
        text = _("Released by %s.") % self.env.user.name
        if reason and reason.strip():
            text = "%s %s" % (text, reason.strip())
        self.env["sales.allocation.ledger"].move([
            Move(row["id"], None, row["user_id"], "released", "pool", text,
                 rule_id=row["allocation_rule_id"], pool_id=row["pool_id"])
            for row in rows], now)
        self._pool_drop_warnings()
        return {"released": len(rows)}

    # ------------------------------------------------------------------ admin actions

    def _pool_assign(self, user, now=None):
        """A manager gives these pool leads to ``user`` directly: no limit, no
        cooldown, no membership check; logged as ``manual``."""
        self.env["sales.allocation.pool"]._check_pool_manager()
        now = to_datetime(now) or datetime.utcnow()
        rows = self._pool_lock_rows()
        by_pool = defaultdict(list)
        Pool = self.env["sales.allocation.pool"].sudo().with_context(active_test=False)
        for row in rows:
            if not row["pool_id"]:
                raise UserError(_(
                    "Lead \"%s\" is not in a lead pool: set its salesperson on the lead "
                    "instead.") % row["name"])
            by_pool[Pool.browse(row["pool_id"])].append(row)
        self._pool_give(by_pool, user, now, "manual", "manual", _(
            "Assigned from pool \"%(pool)s\" to %(user)s by a manager."))
        return {"assigned": len(rows)}

    def _pool_move(self, pool, now=None):
        """A manager puts these leads into ``pool``, without owner, ready to claim."""
        self.env["sales.allocation.pool"]._check_pool_manager()
        now = to_datetime(now) or datetime.utcnow()
        rows = self._pool_lock_rows()
        self._pool_refuse_closed(rows)
        text = _("Moved into pool \"%(pool)s\" by %(user)s.") % {
            "pool": pool.name, "user": self.env.user.name}
        self.env["sales.allocation.ledger"].move([
            Move(row["id"], None, row["user_id"], "manual", "pool", text,
                 team_id=pool.team_id.id or None, rule_id=row["allocation_rule_id"],
                 pool_id=pool.id)
            for row in rows], now)
        self._pool_drop_warnings()
        return {"moved": len(rows)}
