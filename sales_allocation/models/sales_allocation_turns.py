# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Rotation turns, taken in a short transaction of their own.

Where a queue's rotation stands (the last member served, the weighted members'
current weights) lives in ``sales_allocation_rotation``, one row per queue. Taking turns
(``take``) happens in a SIDE transaction, on a connection of its own, in READ
COMMITTED: it locks the rotation rows of the queues involved (``FOR NO KEY UPDATE``,
queue id order), reads their newest state, lets the caller decide (the engine), writes
the state that moved and commits at once. The lock is held for the decision only, not
for the caller's whole transaction; a second allocation through the same queue waits
that long and then reads the newest state (READ COMMITTED re-reads a row it waited
for, where Odoo's REPEATABLE READ would fail to serialize). So no create fails and no
create waits for a bulk run: the run takes its turns batch by batch.

What the side transaction cannot see: the caller's uncommitted work. Two rules make
that safe:

- Configuration: the members, weights, caps and availability are read by the CALLER's
  transaction (``load``). A queue whose configuration the caller's transaction sees
  differently from the last committed one (it changed the queue or its members itself,
  e.g. a test or an import that configures and allocates in one transaction) keeps its
  rotation in the caller's transaction, locked there as before: nobody else can see that
  configuration anyway. The comparison is the rows' ``xmin`` (the transaction that wrote
  each row version), read on both sides.
- Loads (open leads per rep, for caps and least-loaded queues): the caller counts what
  its own snapshot shows; leads given by transactions it cannot see (in progress, or
  committed after its snapshot) are counted from ``sales_allocation_reservation``:
  each side transaction records, with the caller's transaction id, how many leads each
  rep got. A reservation stops counting as soon as the caller's snapshot shows its
  transaction (its leads are then in the count) or that transaction rolled back.

Catch-up after absence (``sales.allocation.queue.catch_up``, see ``engine.rotation``):
the leads each member missed while away and their payback are rotation state too,
kept in the same row (column ``catch_up``), so they are locked, read, decided and
saved with the turn: exact under concurrency. They are read and saved only for the
queues that catch up; the first turn of a queue that no longer does forgets them.

A turn taken by a transaction that then rolls back is consumed: the rotation moved on,
the rep whose turn it was misses that lead and the next lead goes to the member after
him; his reservation stops counting at once, so caps and least-loaded queues stay exact.
"""
import contextlib
import json
import logging

from odoo import api, models, sql_db

from .. import engine
from ..sql import int_array, values_sql

_logger = logging.getLogger(__name__)

# How long a side transaction waits for a rotation row before giving up with an error
# (a safety net: a turn holds the row for one decision, milliseconds to a second).
LOCK_TIMEOUT = "60s"
# Reservations of finished transactions are kept this long for callers whose snapshot
# is older (a transaction running longer than this would under-count loads).
RESERVATION_KEEP = "1 hour"


class QueueSet(object):
    """The queues of one decision: engine queues by id, and what writes need.

    ``members``: (queue id, user id) -> member record id; ``teams``: queue id -> sales
    channel; ``state``: queue id -> (last user, {member id: current weight},
    catch-up state) as read (the catch-up state: see ``_catch_up_json``).
    Read with the queues, for the marks of ``load`` (empty when nothing asks for
    them, so that a plain queue costs no query more): ``worktime``: queue id ->
    (when nobody is on shift, queue calendar, company calendar) of the queues that
    respect working hours; ``new_caps``: (queue id, user id, new leads per day, per
    week, the rep's tz) of the members with such a cap. ``calendars``: (user id, queue
    id) -> (``engine.worktime.Calendar``, zone) of the members of those queues, as the
    marks built them (the deadlines of the same moment reuse them).
    ``transaction``: read by ``load(take=True)`` for ``take``: (queue id ->
    ``_fingerprint``, the transaction's id, its snapshot); None otherwise.
    """

    __slots__ = ("queues", "members", "teams", "state", "worktime", "new_caps",
                 "calendars", "transaction")

    def __init__(self):
        self.queues, self.members, self.teams, self.state = {}, {}, {}, {}
        self.worktime, self.new_caps, self.calendars = {}, [], {}
        self.transaction = None

    def apply(self, states):
        """Set the rotation state read from ``sales_allocation_rotation``."""
        for queue_id, (last_user_id, weights, catch_up) in states.items():
            queue = self.queues[queue_id]
            queue.last_user_id = last_user_id
            if not queue.catch_up:
                catch_up = {}
            queue.turn_weight = catch_up.get("turn", 0)
            for member in queue.members:
                member_id = self.members[(queue_id, member.user_id)]
                member.current_weight = weights.get(member_id, 0)
                member.missed, member.credit, member.payback_weight = catch_up.get(
                    member_id, (0, 0, 0))
            self.state[queue_id] = self.snapshot(queue)

    def snapshot(self, queue):
        catch_up = {}
        if queue.catch_up:
            if queue.turn_weight:
                catch_up["turn"] = queue.turn_weight
            for member in queue.members:
                counts = (member.missed, member.credit, member.payback_weight)
                if any(counts):
                    catch_up[self.members[(queue.id, member.user_id)]] = counts
        return (queue.last_user_id, {
            self.members[(queue.id, member.user_id)]: member.current_weight
            for member in queue.members if member.current_weight}, catch_up)

    def moved(self, queue_ids):
        """queue id -> new state, for the queues of ``queue_ids`` whose state moved."""
        result = {}
        for queue_id in queue_ids:
            now = self.snapshot(self.queues[queue_id])
            if now != self.state.get(queue_id):
                result[queue_id] = now
        return result


class SalesAllocationTurns(models.AbstractModel):
    _name = "sales.allocation.turns"
    _description = "Round-robin turns"

    # ------------------------------------------------------------------ reading

    @api.model
    def load(self, queue_ids, loads=None, at=None, take=False):
        """The active queues of ``queue_ids`` as this transaction sees them, with the
        rotation state as last written (unlocked): a ``QueueSet``. ``take=True``: the
        caller takes their turns next (``take``), which reads the rotation state
        (locked): it is not read here, but what ``take`` compares (the row versions
        of the queues and members, the transaction's id and snapshot) is read with
        the queues. Members away at
        ``at`` (UTC, default now) in queues that respect working hours are marked
        (``sales.allocation.worktime.mark``): no caller can hand them a lead.

        ``loads``: user id -> open leads, for ``Member.load`` (0 when not given: the
        engine's lazy loads count them when needed).
        """
        result = QueueSet()
        if not queue_ids:
            return result
        cr = self.env.cr
        ids = tuple(sorted(queue_ids))
        cr.execute("""
            SELECT q.id, q.strategy, q.name, q.team_id, q.catch_up,
                   q.respect_working_hours, q.when_nobody_on_shift,
                   q.resource_calendar_id, c.resource_calendar_id, q.xmin::text,
                   """ + ("txid_current(), txid_current_snapshot()::text" if take
                          else "NULL, NULL") + """
              FROM sales_allocation_queue q
              LEFT JOIN res_company c ON c.id = q.company_id
             WHERE q.id IN %s AND q.active ORDER BY q.id
        """, [ids])
        queue_rows = cr.fetchall()
        cr.execute("""
            SELECT m.queue_id, m.id, m.user_id, m.weight, m.max_open_leads, m.available,
                   u.active, m.max_new_per_day, m.max_new_per_week, p.tz, m.xmin::text
              FROM sales_allocation_queue_member m
              JOIN res_users u ON u.id = m.user_id
              JOIN res_partner p ON p.id = u.partner_id
             WHERE m.queue_id IN %s
             ORDER BY m.queue_id, m.sequence, m.id
        """, [ids])
        members, versions = {}, {}
        loads = loads or {}
        for (queue_id, member_id, user_id, weight, cap, available, active, per_day,
             per_week, tz, version) in cr.fetchall():
            versions.setdefault(queue_id, []).append((member_id, version))
            members.setdefault(queue_id, []).append(engine.Member(
                user_id=user_id, weight=weight or 1, max_open=cap or 0,
                available=available, active=active, load=loads.get(user_id, 0)))
            result.members[(queue_id, user_id)] = member_id
            if (per_day or 0) > 0 or (per_week or 0) > 0:
                result.new_caps.append((queue_id, user_id, per_day, per_week, tz))
        fingerprints, xid, snapshot = {}, None, None
        for (queue_id, strategy, name, team_id, catch_up, respects, when,
             queue_calendar, company_calendar, version, xid, snapshot) in queue_rows:
            if take:
                fingerprints[queue_id] = self._fingerprint(version,
                                                           versions.get(queue_id))
            result.queues[queue_id] = engine.Queue(
                id=queue_id, strategy=strategy, members=members.get(queue_id, []),
                name=name, catch_up=bool(catch_up))
            result.teams[queue_id] = team_id
            if respects:
                result.worktime[queue_id] = (when, queue_calendar, company_calendar)
        if take:
            result.transaction = (fingerprints, xid, snapshot)
        else:
            result.apply(self._read_state(cr, list(result.queues)))
        self.env["sales.allocation.worktime"].mark(result, at=at)
        # Daily and weekly caps of new leads (issue 14).
        self.env["sales.allocation.queue.member"]._mark_new_caps(result, at=at)
        return result

    @staticmethod
    def _read_state(cr, queue_ids, lock=False, found=None):
        """queue id -> (last user, {member id: weight}, catch-up state: {"turn":
        weight, member id: (missed, credit, payback weight)}); missing rows read as
        new. ``found``: a set to fill with the ids of the rows that exist."""
        if not queue_ids:
            return {}
        cr.execute("""
            SELECT queue_id, last_user_id, weights, catch_up
              FROM sales_allocation_rotation
             WHERE queue_id = ANY(%s::int[]) ORDER BY queue_id
        """ + (" FOR NO KEY UPDATE" if lock else ""), [int_array(sorted(queue_ids))])
        states = {queue_id: (None, {}, {}) for queue_id in queue_ids}
        for queue_id, last_user_id, weights, catch_up in cr.fetchall():
            if found is not None:
                found.add(queue_id)
            states[queue_id] = (last_user_id, {
                int(member_id): weight for member_id, weight in (weights or {}).items()
            }, {
                key if key == "turn" else int(key): value if key == "turn" else tuple(value)
                for key, value in (catch_up or {}).items()})
        return states

    @staticmethod
    def _fingerprint(queue_version, member_versions):
        """A queue's configuration as one transaction sees it: the row versions
        (``xmin``) of the queue and of its members ((member id, xmin) pairs), equal on
        two transactions when both see the same configuration."""
        return queue_version + "/" + ",".join(
            "%s:%s" % pair for pair in sorted(member_versions or ()))

    @classmethod
    def _fingerprints(cls, cr, queue_ids):
        """queue id -> ``_fingerprint`` of the queue, as ``cr`` sees it."""
        cr.execute("""
            SELECT q.id, q.xmin::text,
                   array_agg(m.id) FILTER (WHERE m.id IS NOT NULL),
                   array_agg(m.xmin::text) FILTER (WHERE m.id IS NOT NULL)
              FROM sales_allocation_queue q
              LEFT JOIN sales_allocation_queue_member m ON m.queue_id = q.id
             WHERE q.id = ANY(%s::int[])
             GROUP BY q.id
        """, [int_array(sorted(queue_ids))])
        return {queue_id: cls._fingerprint(version, zip(ids or (), versions or ()))
                for queue_id, version, ids, versions in cr.fetchall()}

    # ------------------------------------------------------------------ taking turns

    @contextlib.contextmanager
    def _side_cursor(self):
        """A READ COMMITTED transaction on a connection of its own, committed when the
        block ends without error (rolled back otherwise)."""
        cr = sql_db.db_connect(self.env.cr.dbname).cursor(serialized=False)
        try:
            # No wait for the disk at this commit (synchronous_commit): the caller's
            # own commit, later, flushes the log up to it; a crash before that loses
            # the caller's work and this turn together.
            cr.execute("SELECT set_config('lock_timeout', %s, true), "
                       "set_config('synchronous_commit', 'off', true)", [LOCK_TIMEOUT])
            yield cr
            # The side transaction's own connection, never the caller's: its turn is
            # committed at once (the module's docstring says why).
            cr.commit()  # pylint: disable=invalid-commit
        finally:
            cr.close()

    @api.model
    def take(self, queue_set, decide):
        """Lock the rotation of ``queue_set``'s queues, set their newest state, call
        ``decide(reserved)`` and save the state that moved; return what ``decide``
        returns, a pair ``(result, taken)`` where ``taken`` maps user id -> leads this
        transaction gives him (recorded as reservations for the others' loads).

        ``reserved(user_ids)`` -> user id -> open leads given to him by transactions
        this one cannot see yet.
        """
        queue_ids = sorted(queue_set.queues)
        if not queue_ids:
            result, _taken = decide(lambda user_ids: {})
            return result
        main = self.env.cr
        if queue_set.transaction is None:
            main.execute("SELECT txid_current(), txid_current_snapshot()::text")
            xid, snapshot = main.fetchone()
            mine = self._fingerprints(main, queue_ids)
        else:
            mine, xid, snapshot = queue_set.transaction
        with self._side_cursor() as side:
            theirs = self._fingerprints(side, queue_ids)
            shared = [qid for qid in queue_ids if mine.get(qid) == theirs.get(qid)]
            local = [qid for qid in queue_ids if qid not in shared]
            states = self._lock_state(side, shared)
            states.update(self._lock_state(main, local))
            queue_set.apply(states)

            def reserved(user_ids):
                return self._reserved(side, user_ids, xid, snapshot)

            result, taken = decide(reserved)
            self._save_state(side, queue_set.moved(shared))
            self._save_state(main, queue_set.moved(local))
            self._reserve(side, xid, taken)
        return result

    @classmethod
    def _lock_state(cls, cr, queue_ids):
        """Lock (creating them if needed) and read the rotation rows of ``queue_ids``.

        The rows that exist (all but a new queue's) are locked and read in one
        statement; missing ones are inserted then (or found inserted by another
        transaction meanwhile) and locked in a second. Both in queue id order."""
        if not queue_ids:
            return {}
        found = set()
        states = cls._read_state(cr, queue_ids, lock=True, found=found)
        missing = [queue_id for queue_id in queue_ids if queue_id not in found]
        if missing:
            cr.execute("""
                INSERT INTO sales_allocation_rotation (queue_id)
                SELECT id FROM unnest(%s::int[]) AS q(id)
                ON CONFLICT DO NOTHING
            """, [int_array(missing)])
            states.update(cls._read_state(cr, missing, lock=True))
        return states

    @staticmethod
    def _save_state(cr, states):
        if not states:
            return
        values, params = values_sql(
            [(queue_id, last_user_id, json.dumps(
                {str(member_id): weight for member_id, weight in weights.items()}),
              json.dumps({str(key): value if key == "turn" else list(value)
                          for key, value in catch_up.items()}))
             for queue_id, (last_user_id, weights, catch_up) in sorted(states.items())],
            ["int", "int", "jsonb", "jsonb"])
        cr.execute("""
            UPDATE sales_allocation_rotation r
               SET last_user_id = v.last_user_id, weights = v.weights,
                   catch_up = v.catch_up
              FROM (VALUES """ + values + """)
                   AS v(queue_id, last_user_id, weights, catch_up)
             WHERE r.queue_id = v.queue_id
        """, params)

    @staticmethod
    def _reserved(cr, user_ids, xid, snapshot):
        if not user_ids:
            return {}
        cr.execute("""
            SELECT user_id, sum(leads)::int FROM sales_allocation_reservation
             -- Transactions older than the snapshot's xmin are all visible to it:
             -- the range reads only the newer ones through the primary key (xid,
             -- user_id), not the hour of reservations kept for older snapshots.
             WHERE xid >= txid_snapshot_xmin(%s::txid_snapshot)
               AND user_id = ANY(%s::int[]) AND xid <> %s
               AND NOT txid_visible_in_snapshot(xid, %s::txid_snapshot)
               AND txid_status(xid) IS DISTINCT FROM 'aborted'
             GROUP BY user_id
        """, [snapshot, int_array(sorted(user_ids)), xid, snapshot])
        return dict(cr.fetchall())

    @staticmethod
    def _reserve(cr, xid, taken):
        rows = [(xid, user_id, count) for user_id, count in sorted(taken.items())
                if user_id and count > 0]
        if not rows:
            return
        values, params = values_sql(rows, ["bigint", "int", "int"])
        cr.execute("""
            INSERT INTO sales_allocation_reservation (xid, user_id, leads)
            VALUES """ + values + """
            ON CONFLICT (xid, user_id) DO UPDATE
               SET leads = sales_allocation_reservation.leads + EXCLUDED.leads
        """, params)

    # ------------------------------------------------------------------ upkeep

    @api.model
    def reset(self, queue_ids):
        """Start the rotation of these queues again from the first member."""
        if not queue_ids:
            return
        queue_ids = sorted(queue_ids)
        mine = self._fingerprints(self.env.cr, queue_ids)
        with self._side_cursor() as side:
            theirs = self._fingerprints(side, queue_ids)
            shared = [qid for qid in queue_ids if qid in theirs
                      and mine.get(qid) == theirs[qid]]
            for cr, ids in ((side, shared),
                            (self.env.cr, [qid for qid in queue_ids if qid not in shared])):
                if ids:
                    self._lock_state(cr, ids)
                    self._save_state(cr, {qid: (None, {}, {}) for qid in ids})

    @api.model
    def _gc_reservations(self):
        """Forget reservations no snapshot can need any more."""
        self.env.cr.execute("""
            DELETE FROM sales_allocation_reservation
             WHERE txid_status(xid) IS DISTINCT FROM 'in progress'
               AND (txid_status(xid) = 'aborted'
                    OR date < (now() AT TIME ZONE 'UTC') - interval %s)
        """, [RESERVATION_KEEP])
        return self.env.cr.rowcount
