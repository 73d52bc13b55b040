# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The pools' reclaim run: ``sales.allocation.reclaim``.

Warns the owners whose leads entered their warning window, then takes back the leads
whose deadline has come: to the pool, or through the pool's queue. The pools hold the
settings and the words (``sales.allocation.pool``); the timer maths is the pure
``engine.reclaim``; owners move through the ledger, turns through the turns. Pools that
count working days get their calendars read once per batch (``_calendars``), and the
leads' timer lines are found once per batch (``sales.allocation.pool._timer_lines``).
A lead the run finds due (or to warn) whose timers, checked again with the current
lines, say otherwise (it meets another line's condition since) gets its stored timers
written again (``_refresh_timers``): it is warned or reclaimed on its new deadline.
"""
import logging
import time
from collections import Counter, defaultdict

from odoo import _, api, fields, models
from odoo.tools import split_every

from ..dates import to_datetime
from ..engine import reclaim as clocks
from ..sql import forget, int_array, unnest_sql, values_sql, without_jit
from .sales_allocation_ledger import LogRow, Move
from .sales_allocation_run import recorded_run

_logger = logging.getLogger(__name__)

RECLAIM_BATCH = 1000
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
# One batch of them, locked when its turn comes; a lead another run holds is skipped,
# not waited for. NO KEY UPDATE is the lock an UPDATE of the lead takes: log rows may
# still reference it.
BATCH_SQL = " FOR NO KEY UPDATE OF l SKIP LOCKED"
LOCK_BATCH_SQL = ("SELECT l.id FROM crm_lead l WHERE l.id = ANY(%s::int[]) ORDER BY l.id"
                  + BATCH_SQL)


class SalesAllocationReclaim(models.AbstractModel):
    _name = "sales.allocation.reclaim"
    _description = "Lead pools: reclaim run"

    @api.model
    @recorded_run("reclaim")
    def run(self, now=None, pool_ids=None, commit=False):
        """Warn, then reclaim; returns counts.

        Due leads are found through two partial indexes (``crm_lead_pool.init``), so the
        cost follows the number of due leads, not the size of the table. Batch by
        batch (``RECLAIM_BATCH`` leads, in id order), each batch locked ``FOR NO KEY
        UPDATE SKIP LOCKED`` when its turn comes: a second run at the same time skips
        those leads (or, if they moved after its snapshot, fails to serialize and
        changes nothing); a lead's move and its log rows are written in the same
        transaction. With ``commit`` (the scheduled action) each batch is committed:
        an interrupted run keeps what it did. Once a lead is reclaimed or warned it
        no longer matches, so a second run right after is a no-op.
        """
        started = time.time()
        now = to_datetime(now) or fields.Datetime.from_string(fields.Datetime.now())
        summary = {"warned": 0, "reclaimed": 0, "reallocated": 0}
        pool_filter, pool_params = "", []
        if pool_ids is not None:
            if not pool_ids:
                return dict(summary, seconds=0.0)
            pool_filter, pool_params = " AND l.pool_id IN %s", [tuple(pool_ids)]
        for lead_ids in self._batches(WARN_DUE_SQL % pool_filter, [now, now], pool_params,
                                      commit):
            summary["warned"] += self._warn_leads(lead_ids, now)
        for lead_ids in self._batches(RECLAIM_DUE_SQL % pool_filter, [now], pool_params,
                                      commit):
            result = self._reclaim_leads(lead_ids, now)
            summary["reclaimed"] += result["reclaimed"]
            summary["reallocated"] += result["reallocated"]
        summary["seconds"] = round(time.time() - started, 3)
        if summary["warned"] or summary["reclaimed"]:
            _logger.info("sales_allocation pools: %(warned)d warned, %(reclaimed)d "
                         "reclaimed (%(reallocated)d re-allocated) in %(seconds)ss",
                         summary)
        return summary

    def _batches(self, query, params, pool_params, commit):
        """Yield the due lead ids batch by batch, each locked (see ``run``); the
        previous batch is committed first when ``commit``.

        The due ids are read first, through the partial index, without a lock: a
        keyset query with ``ORDER BY id LIMIT`` would let PostgreSQL walk the primary
        key through every lead of the table to find a few due ones. Each batch is
        then locked; the callers check each lead's timers again once it is locked."""
        self.env.cr.execute(query, params + pool_params)
        due = [row[0] for row in self.env.cr.fetchall()]
        for chunk in split_every(RECLAIM_BATCH, due):
            self.env.cr.execute(LOCK_BATCH_SQL, [int_array(chunk)])
            lead_ids = [row[0] for row in self.env.cr.fetchall()]
            if lead_ids:
                without_jit(self.env.cr, len(lead_ids))
                yield lead_ids
                if commit:
                    self.env["crm.lead"]._commit_batch()

    def _lead_rows(self, lead_ids):
        """The facts the reclaim run needs about locked leads, by pool."""
        self.env.cr.execute("""
            SELECT id, name, pool_id, user_id, owner_activity_date, date_open, type,
                   probability, active, reclaim_deadline, reclaim_warn_date,
                   reclaim_timer, team_id, allocation_rule_id
              FROM crm_lead WHERE id IN %s ORDER BY id
        """, [tuple(lead_ids)])
        by_pool = defaultdict(list)
        for row in self.env.cr.dictfetchall():
            by_pool[row["pool_id"]].append(row)
        pools = self.env["sales.allocation.pool"].sudo().with_context(
            active_test=False).browse(list(by_pool))
        return [(pool, by_pool[pool.id]) for pool in pools]

    def _calendars(self, pool_rows, now):
        """The owners' working-day calendars of a batch (``_lead_rows``), read once:
        (pool id, user id) -> engine calendar, for the pools that have one."""
        rows = [row for pool, rows_of_pool in pool_rows if pool.calendar_id
                for row in rows_of_pool]
        if not rows:
            return {}
        moments = [now] + [to_datetime(row[name]) for row in rows
                           for name in ("owner_activity_date", "date_open") if row[name]]
        pools = self.env["sales.allocation.pool"].sudo().with_context(
            active_test=False).browse([pool.id for pool, _rows in pool_rows])
        return pools._day_calendars({row["user_id"] for row in rows}, min(moments),
                                    max(moments))

    def _lines(self, pool_rows):
        """lead id -> its timer line, for a batch (``_lead_rows``), read once."""
        return self.env["sales.allocation.pool"]._timer_lines(
            [(pool.id, row["id"]) for pool, rows in pool_rows for row in rows])

    def _by_pool(self, lead_ids, now):
        """Per pool of a locked batch: ``(pool, rows, statuses, lines, words)``: its
        leads' facts (``_lead_rows``), each lead's timers now computed once (they
        decide and they explain), the batch's timer lines and the pool's reason
        templates. Calendars and lines are read once for the batch."""
        pool_rows = self._lead_rows(lead_ids)
        calendars = self._calendars(pool_rows, now)
        lines = self._lines(pool_rows)
        for pool, rows in pool_rows:
            yield (pool, rows, self._statuses(pool, rows, now, calendars, lines), lines,
                   pool._reason_words())

    @staticmethod
    def _statuses(pool, rows, now, calendars, lines):
        """lead id -> its timers' status now, for one pool's ``rows`` (the pool's
        settings read once)."""
        now, settings = to_datetime(now), pool._timer_settings()
        return {row["id"]: pool._lead_timers(
            row["owner_activity_date"], row["date_open"], row["type"], row["probability"],
            row["active"], now=now, calendar=calendars.get((pool.id, row["user_id"])),
            owner_id=row["user_id"], line=lines.get(row["id"]), settings=settings)
            for row in rows}

    def _refresh_timers(self, rows, statuses):
        """Store again the timers of the leads of ``rows`` whose stored timers differ
        from ``statuses`` (lead id -> the status computed now, with the current timer
        lines); returns how many were written."""
        def text(value):
            return fields.Datetime.to_string(to_datetime(value)) if value else None

        stale = []
        for row in rows:
            status = statuses[row["id"]]
            computed = (text(status.deadline), text(status.warn_from), status.timer or None)
            stored = (text(row["reclaim_deadline"]), text(row["reclaim_warn_date"]),
                      row["reclaim_timer"] or None)
            if computed != stored:
                stale.append((row["id"],) + computed)
        if stale:
            sql, params = unnest_sql(stale, ["int", "timestamp", "timestamp", "varchar"])
            self.env.cr.execute("""
                UPDATE crm_lead l
                   SET reclaim_deadline = v.deadline, reclaim_warn_date = v.warn_from,
                       reclaim_timer = v.timer
                  FROM """ + sql + """ AS v(id, deadline, warn_from, timer)
                 WHERE l.id = v.id
            """, params)
            self.env["crm.lead"].invalidate_cache(
                ["reclaim_deadline", "reclaim_warn_date", "reclaim_timer"],
                [row[0] for row in stale])
        return len(stale)

    # ------------------------------------------------------------------ warnings

    @api.model
    def _warn_leads(self, lead_ids, now):
        """One activity for the owner of each lead, a 'warned' log row, and the
        deadline remembered so that the same deadline is never warned twice."""
        owners, localized = {}, {}
        activity_rows, log_rows = [], []
        for pool, rows, statuses, lines, words in self._by_pool(lead_ids, now):
            # Before the warnings: they remember the stored deadline.
            self._refresh_timers(rows, statuses)
            for row in rows:
                status = statuses[row["id"]]
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
                line = lines.get(row["id"])
                activity_rows.append((
                    row["id"], row["name"], owner.id, texts._user_date(status.deadline),
                    texts._warning_summary(status), texts._warning_note(status, line)))
                log_rows.append(LogRow(row["id"], owner.id, owner.id, "warned",
                                       pool._reason(status, line, words),
                                       team_id=row["team_id"],
                                       pool_id=pool.id))
        if log_rows:
            ids = tuple(row.lead_id for row in log_rows)
            self._insert_warnings(activity_rows, now)
            self.env.cr.execute("""
                UPDATE crm_lead SET reclaim_warned_deadline = reclaim_deadline
                 WHERE id IN %s
            """, [ids])
            self.env["crm.lead"].invalidate_cache(["reclaim_warned_deadline"], list(ids))
            self.env["sales.allocation.ledger"].log(log_rows, now)
        return len(log_rows)

    def _insert_warnings(self, activity_rows, now, activity_type=None, lead_set=None):
        """The warning activities, set-based: (lead, lead name, owner, due date,
        summary, note); of ``activity_type`` (default: the pool deadline's). Also
        used by speed-to-lead and the rules' follow-up activities. ``lead_set``: more
        ``column = value`` assignments (SQL, no user input) for the warned leads, in
        the same statement (one row version less per lead on a table of 30 indexes).

        ``mail.activity.create`` costs about a hundred queries per activity (defaults,
        access checks, follower and chatter bookkeeping): over 100 ms each on a loaded
        two-core machine, against about 1 ms per lead for the rest of the run.  The owner
        follows his leads already (claims and allocations add him); he is added again,
        harmlessly, in case someone removed him.  The lead's stored
        ``activity_date_deadline`` (the earliest activity) is updated as the ORM would.
        """
        activity_type = activity_type or self.env.ref(
            "sales_allocation.mail_activity_type_pool_reclaim")
        lead_model_id = self.env["ir.model"]._get_id("crm.lead")
        values, params = values_sql(
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
            UPDATE crm_lead l SET activity_date_deadline = a.deadline""" + (
            ", " + lead_set if lead_set else "") + """
              FROM (SELECT res_id, min(date_deadline) AS deadline FROM mail_activity
                     WHERE res_model = 'crm.lead' AND res_id IN %s GROUP BY res_id) a
             WHERE l.id = a.res_id
        """, [tuple(lead_ids)])
        self.env["sales.allocation.ledger"].follow(
            [(row[0], row[2]) for row in activity_rows])
        forget(self.env["mail.activity"])
        self.env["crm.lead"].invalidate_cache(
            ["activity_ids", "activity_date_deadline", "activity_state", "activity_summary",
             "activity_type_id", "activity_user_id"], lead_ids)

    # ------------------------------------------------------------------ reclaims

    @api.model
    def _reclaim_leads(self, lead_ids, now):
        """Take the due leads back: to the pool, or through the pool's queue."""
        result = {"reclaimed": 0, "reallocated": 0}
        moves, log_rows = [], []
        for pool, rows, statuses, lines, words in self._by_pool(lead_ids, now):
            due = [row for row in rows if statuses[row["id"]].state == clocks.DUE]
            # Not due after all (another timer line applies since): its new timers.
            self._refresh_timers(
                [row for row in rows if statuses[row["id"]].state != clocks.DUE], statuses)
            if not due:
                continue
            picks, new_calendars, settings = {}, {}, pool._timer_settings()
            if pool.reclaim_action == "queue" and pool.reclaim_queue_id:
                picks = self._reallocate(pool, due, now)
                # The new owners' calendars, once for the pool's share of the batch.
                new_calendars = pool._day_calendars(
                    {pick[0] for pick in picks.values()}, now, now)
            for row in due:
                line = lines.get(row["id"])
                reason = pool._reason(statuses[row["id"]], line, words)
                pick = picks.get(row["id"])
                if pick:
                    # Two log rows: taken from the owner, given to the queue's pick.
                    user_id, team_id, queue_id, text, passed_over, skip_codes = pick
                    log_rows.append(LogRow(
                        row["id"], None, row["user_id"], "reclaimed", reason,
                        team_id=row["team_id"], pool_id=pool.id))
                    moves.append(Move(
                        row["id"], user_id, None, "assigned", "allocated",
                        "%s %s" % (reason, text), team_id=team_id, queue_id=queue_id,
                        rule_id=row["allocation_rule_id"], pool_id=pool.id,
                        timers=tuple(pool._lead_timers(
                            now, now, row["type"], row["probability"],
                            calendar=new_calendars.get((pool.id, user_id)),
                            owner_id=user_id, line=line, settings=settings)),
                        passed_over=passed_over, skip_codes=skip_codes))
                    result["reallocated"] += 1
                else:
                    moves.append(Move(
                        row["id"], None, row["user_id"], "reclaimed", "pool", reason,
                        rule_id=row["allocation_rule_id"], pool_id=pool.id))
                result["reclaimed"] += 1
        if moves:
            ledger = self.env["sales.allocation.ledger"]
            # The 'reclaimed' rows of re-allocated leads come before their 'assigned'.
            ledger.log(log_rows, now)
            ledger.move(moves, now)
            self.env["crm.lead"].browse([move.lead_id for move in moves])._pool_drop_warnings()
        return result

    def _reallocate(self, pool, due, now):
        """Pick a member of the pool's queue for each due lead, skipping the owner it is
        taken from and every rep in cooldown on it: lead id -> (user, team, queue,
        reason text, members passed over, their codes)."""
        turns = self.env["sales.allocation.turns"]
        queue_id = pool.reclaim_queue_id.id
        queue_set = turns.load({queue_id})
        queue = queue_set.queues.get(queue_id)
        if queue is None:
            return {}
        users = [member.user_id for member in queue.members]
        loads = self.env["sales.allocation.gather"]._open_lead_counts(users)
        cooling = self.env["sales.allocation.log"]._cooldown_users(
            [row["id"] for row in due], pool.cooldown_days, now, pool=pool)
        user_active = self.env["sales.allocation.gather"]._user_active(set(users))
        # lead id -> the members passed over, as the engine's 'skipped' reasons (the
        # owner it was taken from is 'excluded', reps in cooldown 'cooldown').
        skips = {}

        def decide(reserved):
            others = reserved(users)
            for member in queue.members:
                member.load = loads.get(member.user_id, 0) + others.get(member.user_id, 0)
            picks = {}
            for row in due:
                excluded = cooling.get(row["id"], set()) | {row["user_id"]}
                member, skipped = clocks.pick_excluding(queue, excluded, user_active)
                if member is not None:
                    picks[row["id"]] = member.user_id
                    skips[row["id"]] = tuple(("skipped", {
                        "queue_id": queue_id, "user_id": user_id,
                        "why": "excluded" if user_id == row["user_id"] else why})
                        for user_id, why in skipped)
            return picks, Counter(picks.values())

        picks = turns.take(queue_set, decide)
        reasons = self.env["sales.allocation.reasons"]
        names = reasons.names("res.users", set(picks.values()))
        queue_name = queue.name or pool.reclaim_queue_id.name
        passed = reasons.passed_over_details(
            {lead_id: skips.get(lead_id, ()) for lead_id in picks}, {queue_id: queue_name})
        template = _("Queue \"%(queue)s\" gave it to %(user)s.")
        return {lead_id: (user_id, queue_set.teams.get(queue_id), queue_id, " ".join(
            filter(None, [template % {"queue": queue_name, "user": names.get(user_id, "")},
                          passed[lead_id][0]])), passed[lead_id][1], passed[lead_id][2])
                for lead_id, user_id in picks.items()}
