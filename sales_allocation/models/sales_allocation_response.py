# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Speed-to-lead: ``sales.allocation.response``.

``deadlines`` computes the first-response deadline of the leads a rule with
``response_minutes`` gives to a new owner: that many working minutes of the owner's
calendar (``engine.worktime.add_working_minutes``), one computation per calendar and
batch; the ledger writes it with the owner (``Move.response_deadline``) and ``clear``
ends the deadline of a lead given to someone else without one. The owner's first
touch clears it (``crm_lead_response.py``).

``run`` (every minute) reads the running deadlines that have passed through the
partial index ``crm_lead_response_deadline_idx``, batch by batch, each locked ``FOR NO
KEY UPDATE SKIP LOCKED``: it warns the owner once (an activity, a ``warned`` log row),
then, after the rule's grace period, passes the lead to the next member of the rule's
queue who can take it (on shift, not on leave: the queue's working hours apply), never
back to a rep who let it lapse, through the turns and the ledger (``reassigned``).

The report (``report/sales_allocation_response_report.py``, issue 13) reads what each
deadline became from the assignment's own log row: the ledger writes the deadline on
the log row of the move that gave the lead to its owner and links the lead to it
(``crm.lead.response_log_id``), in the statement that moves the owner; the owner's
first touch writes when he first responded (``crm_lead_response.py``), also after the
deadline; the run marks the rows it warned (lapsed) and those it took the lead from
(reassigned). All set-based.
"""
import logging
import time
from collections import Counter, defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import html_escape

from ..concurrency import cron_retry
from ..dates import to_datetime
from ..engine import reclaim as clocks
from ..engine import rotation, worktime
from ..sql import int_array, without_jit
from .sales_allocation_ledger import RESPONSE_COLUMNS, LogRow, Move

_logger = logging.getLogger(__name__)

# Leads per batch (``sales_allocation.response_batch_size``): each batch's leads stay
# locked until it commits, a second or two at this size; smaller batches pay the
# per-batch work (queues, calendars, the leaders' notes) more often.
RESPONSE_BATCH = 5000
# Leads a team leader's note names; the count says how many more.
MAX_NAMED_LEADS = 20
# Passed deadlines, read once per run through the partial index (one pass over the
# due rows, not a walk of the primary key over the whole table per batch)...
DUE_SQL = """
    SELECT l.id FROM crm_lead l WHERE l.response_deadline <= %s ORDER BY l.id"""
# ...then locked batch by batch, still due: a lead another run holds is skipped.
LOCK_SQL = """
    SELECT l.id FROM crm_lead l
     WHERE l.id = ANY(%s::int[]) AND l.response_deadline <= %s
     ORDER BY l.id FOR NO KEY UPDATE OF l SKIP LOCKED"""


class SalesAllocationResponse(models.AbstractModel):
    _name = "sales.allocation.response"
    _description = "Lead allocation: speed-to-lead"

    # ------------------------------------------------------------------ deadlines

    @api.model
    def deadlines(self, decisions, previous, now, calendars=None):
        """lead id -> the first-response deadline of the leads ``decisions`` give to a
        new owner through a rule with ``response_minutes``: the ledger's
        ``Move.response_deadline`` (it writes the deadline on the lead and on the
        assignment's log row in the statement that moves the owner).

        ``calendars``: (user id, queue id) -> (calendar, zone) already built for this
        moment (``QueueSet.calendars``); the others are read here."""
        timed_rules = self.env["sales.allocation.rule"]._feature_rule_ids()["response"]
        given = [(decision.lead_id, decision.user_id, decision.queue_id, decision.rule_id)
                 for decision in decisions
                 if decision.rule_id in timed_rules and decision.user_id
                 and decision.user_id != previous.get(decision.lead_id)]
        if not given:
            return {}
        minutes = self._rule_minutes({rule_id for *_rest, rule_id in given})
        return self._deadlines(
            [(lead_id, user_id, queue_id, minutes[rule_id])
             for lead_id, user_id, queue_id, rule_id in given if rule_id in minutes],
            now, calendars)

    @api.model
    def clear(self, decisions, previous, timed, started):
        """Clear the deadline of the leads ``decisions`` give to a new owner without
        starting one (``started``: ``deadlines``' answer, written by the ledger).

        ``timed``: the ids of the leads that had a deadline (or an awaited first
        response), as the caller read them with their facts (``gather._lead_facts``):
        only those are cleared."""
        untimed = [decision.lead_id for decision in decisions
                   if decision.lead_id in timed and decision.lead_id not in started
                   and decision.user_id
                   and decision.user_id != previous.get(decision.lead_id)]
        if not untimed:
            return
        self.env.cr.execute("""
            UPDATE crm_lead SET response_deadline = NULL, response_user_id = NULL,
                                response_warned = false, response_log_id = NULL
             WHERE id = ANY(%s::int[])
               AND (response_deadline IS NOT NULL OR response_log_id IS NOT NULL)
        """, [int_array(untimed)])
        self.env["crm.lead"].invalidate_cache(list(RESPONSE_COLUMNS), untimed)

    @api.model
    def _rule_minutes(self, rule_ids):
        """rule id -> response minutes, for the rules of ``rule_ids`` that have some."""
        if not rule_ids:
            return {}
        self.env.cr.execute("""
            SELECT id, response_minutes FROM sales_allocation_rule
             WHERE id = ANY(%s::int[]) AND response_minutes > 0
        """, [int_array(sorted(rule_ids))])
        return dict(self.env.cr.fetchall())

    @api.model
    def _deadlines(self, rows, now, calendars=None):
        """``rows``: (lead, owner, queue or None, minutes) -> {lead: deadline}; one
        deadline per owner's calendar and number of minutes, whatever the number of
        leads. ``calendars``: as ``deadlines`` takes them."""
        if not rows:
            return {}
        now = to_datetime(now)
        calendars = self.env["sales.allocation.worktime"].owner_calendars(
            {(user_id, queue_id) for _lead, user_id, queue_id, _minutes in rows}, now,
            calendars)
        deadlines, result = {}, {}
        for lead_id, user_id, queue_id, minutes in rows:
            calendar = calendars[(user_id, queue_id)][0]
            key = (id(calendar), minutes)
            if key not in deadlines:
                deadlines[key] = self._deadline(calendar, now, minutes)
            result[lead_id] = deadlines[key]
        return result

    @staticmethod
    def _deadline(calendar, now, minutes):
        """``minutes`` working minutes after ``now``; plain minutes when the owner has
        no working time at all (a calendar without attendances)."""
        try:
            return worktime.add_working_minutes(calendar, now, minutes)
        except ValueError:
            return now + timedelta(minutes=minutes)

    # ------------------------------------------------------------------ the run

    @api.model
    @cron_retry
    def _cron_run(self):
        """Scheduled action (every minute): warn, then reassign, committing per batch."""
        return self.run(commit=True)

    @api.model
    def run(self, now=None, commit=False):
        """Warn the owners whose deadline has passed, reassign those warned longer ago
        than the grace period; returns counts."""
        started = time.time()
        now = to_datetime(now) or fields.Datetime.from_string(fields.Datetime.now())
        summary = {"warned": 0, "reassigned": 0, "cleared": 0}
        batch_size = self._batch_size()
        # Open leads per rep, counted once per run (for the queues whose caps or
        # strategy read them) and brought up to date with each batch's reassignments,
        # as the allocator's backlog does.
        loads = {}
        self.env.cr.execute(DUE_SQL, [now])
        due_ids = [row[0] for row in self.env.cr.fetchall()]
        for start in range(0, len(due_ids), batch_size):
            self.env.cr.execute(LOCK_SQL, [
                int_array(due_ids[start:start + batch_size]), now])
            lead_ids = [row[0] for row in self.env.cr.fetchall()]
            if not lead_ids:
                continue
            without_jit(self.env.cr, len(lead_ids))
            for key, count in self._process(lead_ids, now, loads).items():
                summary[key] += count
            if commit:
                self.env["crm.lead"]._commit_batch()
        summary["seconds"] = round(time.time() - started, 3)
        if summary["warned"] or summary["reassigned"]:
            _logger.info("sales_allocation speed-to-lead: %(warned)d warned, "
                         "%(reassigned)d reassigned in %(seconds)ss", summary)
        return summary

    @api.model
    def _batch_size(self):
        """Leads per batch (each batch's leads are locked until it commits):
        ``sales_allocation.response_batch_size``, default ``RESPONSE_BATCH``."""
        value = self.env["ir.config_parameter"].sudo().get_param(
            "sales_allocation.response_batch_size")
        try:
            return max(1, int(value)) if value else RESPONSE_BATCH
        except (TypeError, ValueError):
            return RESPONSE_BATCH

    @api.model
    def _process(self, lead_ids, now, loads=None):
        self.env.cr.execute("""
            SELECT l.id, l.name, l.user_id, l.response_user_id, l.response_warned,
                   l.response_deadline, l.allocation_rule_id, l.team_id,
                   r.response_minutes, r.response_grace_minutes, r.target_type,
                   r.queue_id, l.active AND COALESCE(l.probability, 0) < 100 AS open
              FROM crm_lead l
              LEFT JOIN sales_allocation_rule r ON r.id = l.allocation_rule_id
             WHERE l.id = ANY(%s::int[])
             ORDER BY l.id
        """, [int_array(lead_ids)])
        rows = self.env.cr.dictfetchall()
        result = {"warned": 0, "reassigned": 0, "cleared": 0}
        clear, warn, due, forget = [], [], defaultdict(list), []
        for row in rows:
            if (not row["open"] or not row["user_id"] or not row["response_minutes"]
                    or row["user_id"] != row["response_user_id"]):
                # Closed, released, passed on by someone else, or no deadline any
                # more on its rule: nothing to wait for, no response to record.
                clear.append(row["id"])
                forget.append(row["id"])
            elif not row["response_warned"]:
                warn.append(row)
            elif to_datetime(row["response_deadline"]) + timedelta(
                    minutes=row["response_grace_minutes"] or 0) <= now:
                if row["target_type"] == "queue" and row["queue_id"]:
                    due[row["queue_id"]].append(row)
                else:
                    clear.append(row["id"])
        if warn:
            self._warn(warn, now)
            result["warned"] = len(warn)
        for queue_id, queue_rows in sorted(due.items()):
            moved, dropped = self._reassign(queue_id, queue_rows, now, loads)
            result["reassigned"] += moved
            clear.extend(dropped)
        if clear:
            # A lapsed lead left with its owner keeps its log row: a late first
            # response is still recorded (the report's "late").
            self.env.cr.execute("""
                UPDATE crm_lead SET response_deadline = NULL, response_warned = false,
                       response_log_id = CASE WHEN id = ANY(%s::int[]) THEN NULL
                                              ELSE response_log_id END
                 WHERE id = ANY(%s::int[])
            """, [int_array(forget), int_array(clear)])
            result["cleared"] = len(clear)
        self.env["crm.lead"].invalidate_cache(
            ["response_deadline", "response_user_id", "response_warned",
             "response_log_id"], lead_ids)
        return result

    # ------------------------------------------------------------------ warning

    @api.model
    def _warn(self, rows, now):
        """One activity for each owner's overdue lead and a ``warned`` log row, in
        the owner's language; set-based (``sales.allocation.reclaim._insert_warnings``)."""
        # The owners' languages in one query (through the ORM, res.users would
        # prefetch every user's record).
        self.env.cr.execute("""
            SELECT u.id, p.lang FROM res_users u JOIN res_partner p ON p.id = u.partner_id
             WHERE u.id = ANY(%s::int[])
        """, [int_array(sorted({row["user_id"] for row in rows}))])
        langs = dict(self.env.cr.fetchall())
        activity_rows, log_rows, localized = [], [], {}
        for row in rows:
            lang = langs.get(row["user_id"])
            texts = localized.get(lang)
            if texts is None:
                # Translated once per language, not per lead.
                texts = localized[lang] = self.with_context(lang=lang)._texts()
            values = {"minutes": row["response_minutes"],
                      "grace": row["response_grace_minutes"] or 0}
            activity_rows.append((
                row["id"], row["name"], row["user_id"], now.date(), texts["summary"],
                texts["note"] % values))
            log_rows.append(LogRow(
                row["id"], row["user_id"], row["user_id"], "warned",
                texts["warned"] % values, rule_id=row["allocation_rule_id"],
                team_id=row["team_id"]))
        # The report: this deadline lapsed (unless a late answer comes); before the
        # leads are written again.
        lead_ids = int_array([row["id"] for row in rows])
        self._mark_log_rows(lead_ids, "response_lapsed")
        # Warned: written with the activities' deadline, one row version per lead.
        self.env["sales.allocation.reclaim"]._insert_warnings(
            activity_rows, now,
            activity_type=self.env.ref("sales_allocation.mail_activity_type_first_response"),
            lead_set="response_warned = true")
        self.env["sales.allocation.ledger"].log(log_rows, now)
        self._notify_leaders(rows)

    @api.model
    def _notify_leaders(self, rows):
        """One note per team leader and run listing his team's overdue leads (the
        team of the rule's queue, else the rule's), not one message per lead."""
        self.env.cr.execute("""
            SELECT r.id, COALESCE(qt.user_id, rt.user_id)
              FROM sales_allocation_rule r
              LEFT JOIN sales_allocation_queue q ON q.id = r.queue_id
              LEFT JOIN crm_team qt ON qt.id = q.team_id
              LEFT JOIN crm_team rt ON rt.id = r.team_id
             WHERE r.id = ANY(%s::int[])
        """, [int_array(sorted({row["allocation_rule_id"] for row in rows}))])
        leaders = dict(self.env.cr.fetchall())
        per_leader = defaultdict(list)
        for row in rows:
            leader_id = leaders.get(row["allocation_rule_id"])
            if leader_id and leader_id != row["user_id"]:
                per_leader[leader_id].append(row["name"] or "#%d" % row["id"])
        for leader in self.env["res.users"].sudo().browse(list(per_leader)).exists():
            names = per_leader[leader.id]
            texts = self.with_context(lang=leader.lang)._texts()
            shown = ", ".join(names[:MAX_NAMED_LEADS]) + (
                ", ..." if len(names) > MAX_NAMED_LEADS else "")
            leader.partner_id.with_context(mail_create_nosubscribe=True).message_post(
                body=html_escape(texts["leader"] % {"count": len(names), "leads": shown}),
                subject=texts["summary"], partner_ids=[leader.partner_id.id],
                subtype="mail.mt_note", message_type="notification")

    @api.model
    def _texts(self):
        return {
            "summary": _("First response overdue"),
            "note": _("No first response in %(minutes)d working minutes: answer it now. "
                      "Without an answer within %(grace)d minutes the lead goes to the "
                      "next member of the queue."),
            "warned": _("No first response in %(minutes)d working minutes: the owner "
                        "is warned."),
            "lapsed": _("No first response in %(minutes)d working minutes."),
            "picked": _("Queue \"%(queue)s\" gave it to %(user)s."),
            "leader": _("%(count)d leads of your team got no first response in time; "
                        "their owners are warned: %(leads)s"),
        }

    # ------------------------------------------------------------------ passing on

    @api.model
    def _reassign(self, queue_id, rows, now, loads=None):
        """Pass the lapsed leads of ``rows`` to the next members of ``queue_id`` who can
        take them; returns (leads moved, ids whose deadline ends here: nobody else
        could ever take them).

        ``loads``: user id -> open leads, as counted by the run's batches before
        (read for the users missing, updated with the leads moved here)."""
        loads = {} if loads is None else loads
        turns = self.env["sales.allocation.turns"]
        gather = self.env["sales.allocation.gather"]
        queue_set = turns.load({queue_id}, at=now)
        queue = queue_set.queues.get(queue_id)
        if queue is None:
            return 0, [row["id"] for row in rows]
        lapsed = self._lapsed_owners([row["id"] for row in rows])
        users = [member.user_id for member in queue.members]
        user_active = gather._user_active(set(users))
        # Loads decide only for capped members and least-loaded queues (the engine's
        # lazy loads): a queue without either counts nothing.
        counted = queue.strategy == "least_loaded" or any(
            member.max_open > 0 for member in queue.members)
        if counted:
            missing = [user_id for user_id in users if user_id not in loads]
            if missing:
                loads.update(dict.fromkeys(missing, 0))
                loads.update(gather._open_lead_counts(missing))

        def decide(reserved):
            if counted:
                others = reserved(users)
                for member in queue.members:
                    member.load = loads[member.user_id] + others.get(member.user_id, 0)
            picks, waiting = {}, set()
            # One rotation for the batch's leads (pick_excluding's picks, lead by lead).
            picker = clocks.ExcludingPicker(queue, user_active)
            for row in rows:
                excluded = lapsed.get(row["id"], set()) | {row["user_id"]}
                member, skipped = picker.pick(excluded)
                if member is not None:
                    picks[row["id"]] = member.user_id
                elif any(why in rotation.AWAY for _user, why in skipped):
                    waiting.add(row["id"])  # a shift will start: try again then
            return (picks, waiting), Counter(picks.values())

        picks, waiting = turns.take(queue_set, decide)
        names = self.env["sales.allocation.reasons"].names("res.users", set(picks.values()))
        texts = self._texts()
        # The new owner has the same time to answer, on his own calendar.
        deadlines = self._deadlines(
            [(row["id"], picks[row["id"]], queue_id, row["response_minutes"])
             for row in rows if row["id"] in picks], now, queue_set.calendars)
        moves = []
        for row in rows:
            user_id = picks.get(row["id"])
            if not user_id:
                continue
            moves.append(Move(
                row["id"], user_id, row["user_id"], "reassigned", "allocated",
                "%s %s" % (texts["lapsed"] % {"minutes": row["response_minutes"]},
                           texts["picked"] % {"queue": queue.name,
                                              "user": names.get(user_id, "")}),
                team_id=queue_set.teams.get(queue_id), rule_id=row["allocation_rule_id"],
                queue_id=queue_id, response_deadline=deadlines[row["id"]]))
        # The report: these owners' assignments ended in a reassignment (before the
        # new deadlines replace the leads' log rows).
        self._mark_log_rows(int_array([move.lead_id for move in moves]),
                            "response_reassigned")
        self.env["sales.allocation.ledger"].move(moves, now)
        # As _open_lead_counts would count them now: the leads moved are open.
        for move in moves:
            if move.previous_user_id in loads:
                loads[move.previous_user_id] -= 1
            if move.user_id in loads:
                loads[move.user_id] += 1
        dropped = [row["id"] for row in rows
                   if row["id"] not in picks and row["id"] not in waiting]
        return len(moves), dropped

    @api.model
    def _mark_log_rows(self, lead_ids, column):
        """Set ``column`` (a boolean of ``ResponseLog``) on the log rows of these
        leads' running deadlines (``int_array`` of lead ids)."""
        # Through both primary keys (a join would read the whole log).
        self.env.cr.execute("""
            UPDATE sales_allocation_log SET """ + column + """ = true
             WHERE id = ANY(ARRAY(SELECT l.response_log_id FROM crm_lead l
                                   WHERE l.id = ANY(%s::int[])
                                     AND l.response_log_id IS NOT NULL))
        """, [lead_ids])
        self.env["sales.allocation.log"].invalidate_cache([column])

    @api.model
    def _lapsed_owners(self, lead_ids):
        """lead id -> the reps a speed-to-lead reassignment took it from before."""
        self.env.cr.execute("""
            SELECT lg.lead_id, lg.previous_user_id FROM sales_allocation_log lg
             WHERE lg.lead_id = ANY(%s::int[]) AND lg.event = 'reassigned'
               AND lg.author_id IS NOT NULL AND lg.previous_user_id IS NOT NULL
               AND EXISTS (SELECT 1 FROM sales_allocation_log w
                            WHERE w.lead_id = lg.lead_id AND w.event = 'warned'
                              AND w.user_id = lg.previous_user_id
                              AND w.pool_id IS NULL AND w.id < lg.id)
        """, [int_array(lead_ids)])
        result = defaultdict(set)
        for lead_id, user_id in self.env.cr.fetchall():
            result[lead_id].add(user_id)
        return result


class ResponseLog(models.Model):
    """What became of a first-response deadline, on the log row of the assignment
    that started it (written set-based by ``sales.allocation.response`` and the
    owner's first touch; read by ``sales.allocation.response.report``)."""

    _inherit = "sales.allocation.log"

    response_deadline = fields.Datetime(
        string="First Response Due", readonly=True,
        help="The first-response deadline this assignment started.")
    response_date = fields.Datetime(
        string="First Response", readonly=True,
        help="When the owner first worked the lead after this assignment (message, "
             "note, activity, stage change or edit), also after the deadline.")
    response_lapsed = fields.Boolean(
        string="Deadline Lapsed", readonly=True,
        help="The speed-to-lead run found the deadline passed without a response and "
             "warned the owner.")
    response_reassigned = fields.Boolean(
        string="Reassigned", readonly=True,
        help="The speed-to-lead run took the lead from this owner and gave it to the "
             "next member of the queue.")
