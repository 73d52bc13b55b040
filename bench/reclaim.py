"""Item 3: the pool's reclaim run (its scheduled action) on a big table.

The table is filled up to ``table_size`` leads with COPY: leads owned by the reps
outside any pool, and owned leads of one bench pool (idle timer 3 days, warning 1 day
before).  Their stored timers (``reclaim_deadline``, ``reclaim_warn_date``,
``reclaim_timer``) come from the engine's ``reclaim_timers``, exactly as the pool's
compute writes them.  ``due_fraction`` of the table is past its deadline, its owners
already warned (as they would have been); every other pool lead is outside its
warning window.

Then ``sales.allocation.pool._cron_reclaim`` runs twice, committed, as the scheduled
action does: the first run has the due leads to take back, the second (after a VACUUM,
as autovacuum would) has none and must cost next to nothing.

``insert_due_leads`` writes due leads the same way for item 8's reclaim run.
"""
import random
from datetime import datetime, timedelta

from .common import Clock, copy_rows, reserve_ids

IDLE_DAYS = 3
WARN_DAYS = 1
POOL_SHARE = 0.1  # the table's share of owned pool leads (due ones included)
PENDING = "pending: pool not built"

# The crm_lead columns of the owned pool leads both fillers write, in their rows' order.
LEAD_COLUMNS = (
    "id", "name", "type", "active", "company_id", "country_id", "probability",
    "user_id", "allocation_state", "pool_id", "owner_activity_date", "date_open",
    "reclaim_deadline", "reclaim_warn_date", "reclaim_timer",
    "reclaim_warned_deadline", "create_date", "write_date", "create_uid", "write_uid",
)


def reclaim_method(env):
    """Whether the pool's scheduled reclaim exists in this database's code."""
    return "sales.allocation.pool" in env and hasattr(
        env["sales.allocation.pool"], "_cron_reclaim")


def fill_table(env, done, table_size, due_fraction, seed=3):
    """Add leads until the table holds ``table_size``; returns the number due."""
    from odoo.addons.sales_allocation.engine.reclaim import reclaim_timers
    env.cr.execute("SELECT count(*) FROM crm_lead")
    missing = table_size - env.cr.fetchone()[0]
    if missing <= 0:
        return 0
    pool = env["sales.allocation.pool"].create({
        "name": "Bench reclaim pool", "idle_days": IDLE_DAYS, "warn_days": WARN_DAYS,
        "max_hold_days": 0, "reclaim_action": "pool",
    })
    env.cr.execute("SELECT id FROM res_users WHERE id IN %s AND active",
                   [tuple(done.users.values())])
    reps = [row[0] for row in env.cr.fetchall()]
    now = datetime.utcnow().replace(microsecond=0)
    rnd = random.Random(seed)
    n_due = int(table_size * due_fraction)
    n_pool = max(n_due, int(table_size * POOL_SHARE))
    countries = list(done.countries.values())
    ids = reserve_ids(env.cr, "crm_lead_id_seq", missing)
    rows = []
    for index, lead_id in enumerate(ids):
        user_id = reps[index % len(reps)]
        pool_id = activity = deadline = warn_from = timer = warned = None
        if index < n_pool:
            # Due: last worked 5 days ago (idle limit 3). Not due: worked in the last
            # hours, so the deadline is days away and the warning has not started.
            age = timedelta(days=5) if index < n_due else timedelta(
                minutes=rnd.randint(10, 600))
            activity = now - age
            deadline, warn_from, timer = reclaim_timers(
                activity, activity, IDLE_DAYS, 0, WARN_DAYS)
            pool_id = pool.id
            warned = deadline if index < n_due else None
        rows.append((
            lead_id, "Bench table lead %d" % index, "lead", True, done.company_id,
            rnd.choice(countries), 10.0, user_id, "allocated", pool_id, activity,
            activity or now, deadline, warn_from, timer, warned, now, now, 1, 1))
    copy_rows(env.cr, "crm_lead", LEAD_COLUMNS, rows)
    env["crm.lead"].invalidate_cache()
    return n_due


def run_reclaim(env):
    """One scheduled reclaim run, committed; (seconds, summary)."""
    with Clock() as clock:
        summary = env["sales.allocation.pool"]._cron_reclaim()
        env.cr.commit()
    return clock.wall, summary


def insert_due_leads(env, done, pool_id, owners, count, seed=4):
    """``count`` leads of pool ``pool_id`` owned by ``owners`` (in turn), all past their
    deadline and already warned, as in ``fill_table`` (item 8's reclaim run)."""
    from odoo.addons.sales_allocation.engine.reclaim import reclaim_timers
    now = datetime.utcnow().replace(microsecond=0)
    rnd = random.Random(seed)
    countries = list(done.countries.values())
    activity = now - timedelta(days=5)
    deadline, warn_from, timer = reclaim_timers(activity, activity, IDLE_DAYS, 0, WARN_DAYS)
    rows = []
    for index, lead_id in enumerate(reserve_ids(env.cr, "crm_lead_id_seq", count)):
        rows.append((
            lead_id, "Bench due lead %d" % index, "lead", True, done.company_id,
            rnd.choice(countries), 10.0, owners[index % len(owners)], "allocated",
            pool_id, activity, activity, deadline, warn_from, timer, deadline, now, now,
            1, 1))
    copy_rows(env.cr, "crm_lead", LEAD_COLUMNS, rows)
    env["crm.lead"].invalidate_cache()
    return count
