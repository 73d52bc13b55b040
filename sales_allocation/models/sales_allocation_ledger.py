# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The one place that moves owners: ``sales.allocation.ledger``.

Every change of a lead's owner made by the addon goes through ``move``: allocation,
hand-offs, reclaim, claim, release, move into a pool, a manager's assignment from a
pool, territory rotation. It writes, in ONE statement fed by arrays, the lead's owner
columns (``OWNER_COLUMNS``), a log row per lead and the new owner as a follower. Log
rows without an owner change (warnings, an owner set by hand through the ORM, a
pooled creation) go through ``log``; extra followers through ``follow``.

Rows are named tuples, never positional protocols: ``Move`` (one lead's new owner)
and ``LogRow``. Callers decide who gets what and check their own rules; the ledger
only writes, as SQL, past the ORM (so it never triggers the ORM's per-record
bookkeeping: tracking, "assigned to you" mails) and forgets what it wrote in the
ORM cache.
"""
from collections import namedtuple

from odoo import api, fields, models

from ..sql import FOLLOW_SQL, copy_rows, forget, unnest_sql

# Every crm_lead column an owner change writes. crm_lead_access.ALLOCATION_FIELDS (what
# a salesman may not write himself) is this list less the ORM's own columns.
OWNER_COLUMNS = (
    "user_id", "team_id", "pool_id", "allocation_rule_id", "allocation_date",
    "allocation_state", "allocation_reason", "date_open", "owner_activity_date",
    "reclaim_deadline", "reclaim_warn_date", "reclaim_timer", "reclaim_warned_deadline",
    "write_uid", "write_date",
)

# One lead's new owner. ``user_id`` None: no owner (in a pool, or unplaced);
# ``previous_user_id``: the owner before (as the caller read it, for the log);
# ``team_id`` None: the new owner's own sales channel, else the lead's;
# ``pool_id``: the pool the lead is in AFTER the move (None: none);
# ``timers``: the pool's reclaim timers from now, (deadline, warn from, timer), or None.
Move = namedtuple("Move", (
    "lead_id", "user_id", "previous_user_id", "event", "state", "reason", "team_id",
    "rule_id", "queue_id", "pool_id", "timers", "passed_over", "skip_codes", "match",
    "response_deadline"))
Move.__new__.__defaults__ = (None,) * 9
# ``match``: (match lead id, match reason, flagged) of a lead an allocation matched
# with an existing customer's lead (sales.allocation.match), or None: kept as is.
# ``response_deadline``: the first-response deadline this assignment starts (UTC;
# sales.allocation.response), written on the lead and on the move's log row, which
# the lead then points to (``response_log_id``); None: the lead's deadline columns
# (``RESPONSE_COLUMNS``) stay as they are.

# One row of sales_allocation_log, as ``log`` writes it.
LogRow = namedtuple("LogRow", (
    "lead_id", "user_id", "previous_user_id", "event", "reason", "rule_id", "queue_id",
    "team_id", "pool_id", "passed_over", "skip_codes"))
LogRow.__new__.__defaults__ = (None,) * 6

LOG_COLUMNS = LogRow._fields + ("date", "author_id")

# The lead's speed-to-lead columns a move with a ``response_deadline`` writes.
RESPONSE_COLUMNS = ("response_deadline", "response_user_id", "response_warned",
                    "response_log_id")

NO_TIMERS = (None, None, None)

# Above this many leads, forgetting a field for every lead in the ORM cache is cheaper
# than forgetting it lead by lead (and a bulk run has few other leads cached).
_INVALIDATE_ALL_ABOVE = 1000


class SalesAllocationLedger(models.AbstractModel):
    _name = "sales.allocation.ledger"
    _description = "Lead ownership writer"

    @api.model
    def move(self, moves, now=None):
        """Write ``moves`` (``Move`` rows): owners, log rows, new owners as followers.

        Returns the ids of the leads written (a lead deleted meanwhile is left out and
        gets no log row).
        """
        if not moves:
            return []
        now = now or fields.Datetime.now()
        values, params = unnest_sql([
            (m.lead_id, m.user_id, m.previous_user_id, m.event, m.state, m.reason,
             m.team_id, m.rule_id, m.queue_id, m.pool_id)
            + tuple(fields.Datetime.to_string(value) if value else None
                    for value in (m.timers or NO_TIMERS)[:2])
            + ((m.timers or NO_TIMERS)[2], m.passed_over, m.skip_codes)
            + (tuple(m.match) if m.match else (None, None, None))
            + (fields.Datetime.to_string(m.response_deadline)
               if m.response_deadline else None,)
            for m in moves], [
            "int", "int", "int", "varchar", "varchar", "text", "int", "int", "int",
            "int", "timestamp", "timestamp", "varchar", "text", "varchar",
            "int", "varchar", "bool", "timestamp"])
        lead_ids = [m.lead_id for m in moves]
        self.env.cr.execute("""
            WITH v AS (
                -- A move that starts a first-response deadline draws its log row's id
                -- here: the lead points to that row in the same statement.
                SELECT v.*, CASE WHEN v.response_deadline IS NOT NULL
                                 THEN nextval('sales_allocation_log_id_seq') END AS log_id
                  FROM """ + values + """
                    AS v(id, user_id, previous_user_id, event, state, reason, team_id,
                         rule_id, queue_id, pool_id, deadline, warn_from, timer,
                         passed_over, skip_codes, match_id, match_reason, match_flagged,
                         response_deadline)
            ), updated AS (
                UPDATE crm_lead l
                   SET user_id = v.user_id,
                       team_id = COALESCE(v.team_id, u.sale_team_id, l.team_id),
                       pool_id = v.pool_id,
                       allocation_rule_id = v.rule_id,
                       allocation_state = v.state,
                       allocation_reason = v.reason,
                       allocation_date = %(now)s,
                       date_open = CASE WHEN v.user_id IS NOT NULL THEN %(now)s
                                        ELSE l.date_open END,
                       owner_activity_date = CASE WHEN v.user_id IS NOT NULL
                                                  THEN %(now)s::timestamp END,
                       reclaim_deadline = v.deadline, reclaim_warn_date = v.warn_from,
                       reclaim_timer = v.timer, reclaim_warned_deadline = NULL,
                       match_lead_id = COALESCE(v.match_id, l.match_lead_id),
                       match_reason = COALESCE(v.match_reason, l.match_reason),
                       match_flagged = COALESCE(v.match_flagged, l.match_flagged),
                       response_deadline = COALESCE(v.response_deadline,
                                                    l.response_deadline),
                       response_user_id = CASE WHEN v.log_id IS NULL
                                               THEN l.response_user_id
                                               ELSE v.user_id END,
                       response_warned = v.log_id IS NULL AND l.response_warned,
                       response_log_id = COALESCE(v.log_id, l.response_log_id),
                       write_uid = %(uid)s, write_date = %(now)s
                  FROM v
                  LEFT JOIN res_users u ON u.id = v.user_id
                 -- The id range is redundant for the result; it lets PostgreSQL read
                 -- the batch through the primary key instead of the whole table.
                 WHERE l.id = v.id AND l.id BETWEEN %(first)s AND %(last)s
             RETURNING l.id, l.team_id, v.user_id, v.previous_user_id, v.event,
                       v.rule_id, v.queue_id, v.reason, v.pool_id, v.passed_over,
                       v.skip_codes, v.log_id, v.response_deadline
            ), logged AS (
                -- The log names the channel the lead ended in (the owner's, when
                -- neither the caller nor the queue names one).
                INSERT INTO sales_allocation_log (""" + ", ".join(
                    ("id",) + LOG_COLUMNS + ("response_deadline",)) + """)
                SELECT COALESCE(log_id, nextval('sales_allocation_log_id_seq')),
                       id, user_id, previous_user_id, event, reason, rule_id, queue_id,
                       team_id, pool_id, passed_over, skip_codes, %(now)s, %(uid)s,
                       response_deadline
                  FROM updated
            ), """ + FOLLOW_SQL % "updated" + """
        """, dict(params, now=now, uid=self.env.uid, first=min(lead_ids),
                  last=max(lead_ids)))
        self._forget(OWNER_COLUMNS, lead_ids)
        if any(m.match for m in moves):
            self._forget(("match_lead_id", "match_reason", "match_flagged"), lead_ids)
        if any(m.response_deadline for m in moves):
            self._forget(RESPONSE_COLUMNS, lead_ids)
            self.env["sales.allocation.log"].invalidate_cache(["response_deadline"])
        self._followers_changed([m.lead_id for m in moves if m.user_id])
        return lead_ids

    @api.model
    def log(self, rows, now=None):
        """Insert ``LogRow`` rows as they are, in one COPY."""
        if not rows:
            return
        copy_rows(self.env.cr, "sales_allocation_log", LOG_COLUMNS, rows,
                  constants=(now or fields.Datetime.now(), self.env.uid))

    @api.model
    def follow(self, lead_user_pairs):
        """Make each user a follower of his lead, with the default subtypes."""
        if not lead_user_pairs:
            return
        values, params = unnest_sql(lead_user_pairs, ["int", "int"])
        self.env.cr.execute(
            "WITH pairs AS (SELECT * FROM " + values + " AS v(id, user_id)), " +
            FOLLOW_SQL % "pairs", params)
        self._followers_changed([pair[0] for pair in lead_user_pairs])

    @api.model
    def _followers_changed(self, lead_ids):
        forget(self.env["mail.followers"])
        self._forget(["message_follower_ids", "message_partner_ids",
                      "message_channel_ids"], lead_ids)

    @api.model
    def _forget(self, fnames, lead_ids):
        """Make the ORM forget ``fnames`` of leads just written with SQL."""
        self.env["crm.lead"].invalidate_cache(
            [name for name in fnames if name in self.env["crm.lead"]._fields],
            lead_ids if len(lead_ids) <= _INVALIDATE_ALL_ABOVE else None)
