"""Item 9: speed-to-lead (issue 13) at scale.

a. The speed-to-lead run (``sales.allocation.response._cron_run``, the scheduled action
   of ``data/sales_allocation_response.xml``) on item 3's big table (``reclaim.fill_table``
   fills it when item 3 did not run): ``setup_deadlines`` gives 1 % of its owned leads a
   passed first-response deadline with SQL (half of them not warned yet: the run warns
   their owners; half warned longer ago than the grace period: the run passes them to
   the next member of the queue) and another 1 % a deadline still running, each with
   the 'assigned' log row the deadline was written on (COPY).  Their rule (archived:
   it decides no allocation of the other items) has ``response_minutes``; its queue
   holds every owner, respects working hours on an always-on calendar (so the working-
   minute arithmetic and the shift checks run, and nobody is skipped) and its team has
   a leader (his note per batch).  The run is measured with the due leads, rolled
   back, then with the due deadlines moved into the future (none due), rolled back;
   its commits per batch are held back, as in item 2's pairs.
b. Working hours: item 2's backlog run (``backlog.run_backlog``, child process, rolled
   back) on a fresh copy of item 2's leads, with the dataset's queues plain and with
   ``respect_working_hours`` on (the members on the same always-on calendar: nobody is
   skipped, the outcome is the same), in ``--pairs`` pairs, alternating which goes first;
   the median ratio counts.
"""
import random
import threading
from datetime import datetime, timedelta

from .common import Clock, copy_rows, reserve_ids

RESPONSE_MINUTES = 30
GRACE_MINUTES = 15
DUE_FRACTION = 0.01      # of the table: deadline passed
WAITING_FRACTION = 0.01  # of the table: deadline still running
CALENDAR_NAME = "Bench always on"


def always_on_calendar(env):
    """A calendar whose attendances cover every hour of every day (created once)."""
    calendars = env["resource.calendar"]
    calendar = calendars.search([("name", "=", CALENDAR_NAME)], limit=1)
    if calendar:
        return calendar
    return calendars.create({
        "name": CALENDAR_NAME,
        "attendance_ids": [(5, 0, 0)] + [(0, 0, {
            "name": "Bench all day %d" % day, "dayofweek": str(day),
            "hour_from": 0.0, "hour_to": 24.0}) for day in range(7)],
    })


def owned_table_leads(env, done):
    """(id, owner) of the big table's open owned leads outside any pool, by id."""
    env.cr.execute("""
        SELECT id, user_id FROM crm_lead
         WHERE name LIKE 'Bench table lead %%' AND active AND user_id IS NOT NULL
           AND pool_id IS NULL AND user_id IN %s
         ORDER BY id
    """, [tuple(done.users.values())])
    return env.cr.fetchall()


def setup_deadlines(env, done, table_size, seed=9):
    """The queue, rule and deadlines of part a (committed by the caller).

    Returns dict(due=[ids], warned=[ids of the due already warned], waiting=[ids],
    rule=id, queue=id)."""
    calendar = always_on_calendar(env)
    leader = env.ref("base.user_root")
    team = env["crm.team"].create({"name": "Bench speed-to-lead team",
                                   "user_id": leader.id})
    leads = owned_table_leads(env, done)
    owners = sorted({owner for _lead, owner in leads})
    queue = env["sales.allocation.queue"].create({
        "name": "Bench speed-to-lead queue", "strategy": "sequential",
        "team_id": team.id, "respect_working_hours": True,
        "resource_calendar_id": calendar.id,
        "member_ids": [(0, 0, {"user_id": user_id, "sequence": index})
                       for index, user_id in enumerate(owners)],
    })
    rule = env["sales.allocation.rule"].create({
        "name": "Bench speed-to-lead rule", "sequence": 9999, "target_type": "queue",
        "queue_id": queue.id, "team_id": team.id,
        "response_minutes": RESPONSE_MINUTES, "response_grace_minutes": GRACE_MINUTES,
    })
    rule.write({"active": False})  # its leads are set below; it routes nothing else

    rnd = random.Random(seed)
    n_due = int(table_size * DUE_FRACTION)
    n_waiting = int(table_size * WAITING_FRACTION)
    if n_due + n_waiting > len(leads):
        raise RuntimeError("the table has %d owned leads, %d wanted" % (
            len(leads), n_due + n_waiting))
    chosen = sorted(rnd.sample(leads, n_due + n_waiting))
    rnd.shuffle(chosen)
    due, waiting = sorted(chosen[:n_due]), sorted(chosen[n_due:])
    warned = set(lead_id for lead_id, _owner in due[::2])
    now = datetime.utcnow().replace(microsecond=0)
    rows = []  # (lead, owner, deadline, warned)
    for lead_id, owner in due:
        if lead_id in warned:  # warned, and the grace period is over too
            deadline = now - timedelta(minutes=GRACE_MINUTES + rnd.randint(5, 120))
        else:
            deadline = now - timedelta(minutes=rnd.randint(1, 120))
        rows.append((lead_id, owner, deadline, lead_id in warned))
    for lead_id, owner in waiting:
        rows.append((lead_id, owner, now + timedelta(minutes=rnd.randint(120, 600)),
                     False))
    # The assignment log row each deadline was written on (the report's row).
    log_ids = reserve_ids(env.cr, "sales_allocation_log_id_seq", len(rows))
    copy_rows(env.cr, "sales_allocation_log", (
        "id", "date", "lead_id", "event", "user_id", "rule_id", "queue_id", "team_id",
        "reason", "response_deadline", "response_lapsed"), [
        (log_id, deadline - timedelta(minutes=RESPONSE_MINUTES), lead_id, "assigned",
         owner, rule.id, queue.id, team.id, "Bench speed-to-lead assignment", deadline,
         is_warned)
        for log_id, (lead_id, owner, deadline, is_warned) in zip(log_ids, rows)])
    env.cr.execute("""
        UPDATE crm_lead l
           SET response_deadline = v.deadline, response_user_id = l.user_id,
               response_warned = v.warned, response_log_id = v.log_id,
               allocation_rule_id = %s, team_id = %s
          FROM unnest(%s::int[], %s::timestamp[], %s::bool[], %s::int[])
               AS v(id, deadline, warned, log_id)
         WHERE l.id = v.id
    """, [rule.id, team.id, [row[0] for row in rows], [row[2] for row in rows],
          [row[3] for row in rows], log_ids])
    env["crm.lead"].invalidate_cache()
    return dict(due=[lead_id for lead_id, _owner in due], warned=sorted(warned),
                waiting=[lead_id for lead_id, _owner in waiting], rule=rule.id,
                queue=queue.id)


def postpone(env, lead_ids):
    """Move the deadlines of ``lead_ids`` hours into the future: none due."""
    env.cr.execute("""
        UPDATE crm_lead SET response_deadline = now() AT TIME ZONE 'UTC'
                                                + interval '5 hours',
                            response_warned = false
         WHERE id = ANY(%s::int[])
    """, [lead_ids])
    env["crm.lead"].invalidate_cache()


def clear_deadlines(env, lead_ids):
    """Part a is over: no running deadline left for the items after it."""
    env.cr.execute("""
        UPDATE crm_lead SET response_deadline = NULL, response_user_id = NULL,
                            response_warned = false, response_log_id = NULL
         WHERE id = ANY(%s::int[])
    """, [lead_ids])
    env["crm.lead"].invalidate_cache()


def run_response(env):
    """One speed-to-lead run as the scheduled action calls it, its per-batch commits
    held back (the caller rolls back); (seconds, summary)."""
    threading.current_thread().testing = True
    try:
        with Clock() as clock:
            summary = env["sales.allocation.response"]._cron_run()
    finally:
        threading.current_thread().testing = False
    return clock.wall, summary


def set_working_hours(env, queue_ids, on, calendar_id=None):
    """The dataset's queues respect working hours (on the always-on calendar) or not."""
    queues = env["sales.allocation.queue"].browse(queue_ids)
    values = {"respect_working_hours": bool(on)}
    if on:
        values["resource_calendar_id"] = calendar_id
    queues.write(values)
