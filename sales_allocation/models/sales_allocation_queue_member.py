# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime, timedelta

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engine import reclaim as clocks
from ..sql import unnest_sql


NEW_LEAD_EVENTS = ("assigned", "reassigned")


def day_and_week_start(now, tz_name):
    """UTC starts (naive) of the local day and week (Monday) ``now`` falls in."""
    zone = pytz.timezone(tz_name) if tz_name in pytz.all_timezones_set else pytz.utc
    day_start, _day_end = clocks.claim_day(now, zone)
    local = pytz.utc.localize(now).astimezone(zone)
    monday = zone.localize(datetime(local.year, local.month, local.day)
                           - timedelta(days=local.weekday()))
    week_start = monday.astimezone(pytz.utc).replace(tzinfo=None)
    return day_start, week_start


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

    # Daily and weekly caps of new leads for queue members (issue 14). The engine's
    # rotation skips a member whose ``Member.new_left`` is 0 (``'new_cap'``);
    # ``_mark_new_caps`` sets it, once per batch, from what the rep got today and this
    # week in his own time zone (the allocation log: ``assigned`` and ``reassigned``
    # rows; the week starts on Monday). Owner continuity and matches are not capped: a
    # customer keeps his salesperson.

    max_new_per_day = fields.Integer(
        string="New Leads per Day", default=0,
        help="The member is skipped once the queues gave him this many new leads today "
             "(from midnight in his time zone). 0 means no cap.")
    max_new_per_week = fields.Integer(
        string="New Leads per Week", default=0,
        help="The member is skipped once the queues gave him this many new leads this "
             "week (from Monday midnight in his time zone). 0 means no cap.")

    @api.constrains("max_new_per_day", "max_new_per_week")
    def _check_new_caps(self):
        for member in self:
            if member.max_new_per_day < 0 or member.max_new_per_week < 0:
                raise ValidationError(_(
                    "The caps of new leads of %(user)s in queue \"%(queue)s\" cannot be "
                    "negative: use 0 for no cap.") % {
                        "user": member.user_id.name, "queue": member.queue_id.name})

    @api.model
    def _mark_new_caps(self, queue_set, at=None):
        """Set ``Member.new_left`` on the members of ``queue_set`` who have a cap."""
        queues = queue_set.queues
        caps = [cap for cap in queue_set.new_caps if cap[0] in queues]
        if not caps:
            return
        cr = self.env.cr
        now = fields.Datetime.from_string(at) if isinstance(at, str) else (
            at or datetime.utcnow())
        starts = {user_id: day_and_week_start(now, tz)
                  for _queue, user_id, _day, _week, tz in caps}
        values, params = unnest_sql(
            [(user_id, day, week) for user_id, (day, week) in starts.items()],
            ["int", "timestamp", "timestamp"])
        cr.execute("""
            SELECT v.user_id, count(l.id) FILTER (WHERE l.date >= v.day_start),
                   count(l.id)
              FROM """ + values + """ AS v(user_id, day_start, week_start)
              JOIN sales_allocation_log l
                ON l.user_id = v.user_id AND l.date >= v.week_start
               AND l.event IN %(events)s
             GROUP BY v.user_id
        """, dict(params, events=NEW_LEAD_EVENTS))
        got = {user_id: (today, week) for user_id, today, week in cr.fetchall()}
        for queue_id, user_id, per_day, per_week, _tz in caps:
            today, week = got.get(user_id, (0, 0))
            left = [cap - count for cap, count in ((per_day, today), (per_week, week))
                    if cap]
            for member in queues[queue_id].members:
                if member.user_id == user_id:
                    member.new_left = max(min(left), 0)
