"""Item 8: bulk runs must not hold intake up.

Four bulk runs, each in its own transaction and process, while a probe thread creates
one lead every ~100 ms over XML-RPC (``load.Probe``) through the queue(s) the run uses:

a. the backlog scheduled action, ``crm.lead._cron_allocate_backlog()``, on the
   synthetic dataset of items 1-2 (its 50 rules active, a fresh copy of its leads,
   every other unallocated lead put aside): the probe's leads have no country, state,
   tag or source, so only the dataset's catch-all rule takes them, to a queue the
   backlog uses too;
b. the pool reclaim, ``sales.allocation.pool._cron_reclaim()``, taking back
   ``n`` due leads of a pool that re-allocates through item 7's queue;
c. ``crm.lead.action_allocate`` on ``n`` ids in ONE XML-RPC call (a server worker),
   leads of item 7's rule, so through its queue;
d. the territory rotation wizard moving a region's ``n`` leads from one rep to item
   7's queue.

For b-d the probe's leads carry item 7's tag, so they go through item 7's queue.
(a), (b) and (d) run in a child process (``python -m bench.bulk DB KIND JSON``), as the
scheduled action or the button would: superuser, the call, then commit.  The child
notes the wall-clock time around the call and its commit; the probe's creates that ran
during that window count (started before it ended, ended after it began).
"""
import json
import subprocess
import sys
import threading
import time

from . import load
from .common import PY, ROOT, environment, vacuum
from .dataset import insert_leads, plain_leads

RESULT_PREFIX = "BENCH-BULK-RESULT "


# ---------------------------------------------------------------- setups (bench process)

def put_aside_unallocated(env):
    """Archive every active unallocated ownerless lead: the backlog run must see only
    its own leads (earlier items leave some: no-rule creates, capped reps)."""
    env.cr.execute("""
        UPDATE crm_lead SET active = false
         WHERE active AND user_id IS NULL AND allocation_state = 'unallocated'
    """)
    env["crm.lead"].invalidate_cache()
    return env.cr.rowcount


def setup_backlog(db, done, leads):
    """The dataset's rules active (only them), a fresh copy of its leads unallocated.
    Returns (their ids, the catch-all rule's queue id)."""
    with load.configuring(db) as env:
        rules = env["sales.allocation.rule"]
        rules.search([]).write({"active": False})
        rules.browse(done.rules).write({"active": True})
        put_aside_unallocated(env)
        lead_ids = insert_leads(env, done, leads, prefix="Bench backlog-under-load lead")
        # The catch-all is the dataset's last rule (synthetic.build_data).
        queue_id = rules.browse(done.rules[-1]).queue_id.id
    vacuum(db, "crm_lead", "crm_lead_tag_rel")
    return lead_ids, queue_id


def intake_rule(db, config):
    """Back to item 7's configuration: its rule only."""
    with load.configuring(db) as env:
        rules = env["sales.allocation.rule"].with_context(active_test=False)
        rules.search([("active", "=", True)]).write({"active": False})
        rules.browse(config["rule"]).write({"active": True})


def setup_reclaim(db, done, config, n_due):
    """A pool re-allocating through item 7's queue, ``n_due`` of its leads due."""
    from .reclaim import IDLE_DAYS, WARN_DAYS, insert_due_leads
    with environment(db, commit=True) as env:
        pool = env["sales.allocation.pool"].create({
            "name": "Bench reclaim-under-load pool", "idle_days": IDLE_DAYS,
            "warn_days": WARN_DAYS, "max_hold_days": 0, "reclaim_action": "queue",
            "reclaim_queue_id": config["queue"],
        })
        insert_due_leads(env, done, pool.id, config["reps"], n_due)
    vacuum(db, "crm_lead")
    return n_due


def setup_action_allocate(db, done, config, n_leads):
    """``n_leads`` unallocated leads with item 7's tag; returns their ids."""
    with environment(db, commit=True) as env:
        lead_ids = insert_leads(env, done, plain_leads(n_leads, seed=8),
                                prefix="Bench bulk-RPC lead")
        env.cr.execute("INSERT INTO crm_lead_tag_rel (lead_id, tag_id) "
                       "SELECT unnest(%s), %s", [lead_ids, config["tag"]])
    vacuum(db, "crm_lead", "crm_lead_tag_rel")
    return lead_ids


def setup_rotation(db, done, config, n_leads):
    """A region of one country nobody else's region names, and ``n_leads`` open leads
    of that country owned by a rep outside item 7's queue.  Returns the wizard's values,
    the number of leads it moves and their ids."""
    with environment(db, commit=True) as env:
        cr = env.cr
        cr.execute("""
            SELECT c.id FROM res_country c
             WHERE NOT EXISTS (SELECT 1 FROM sales_allocation_region_country_rel r
                                WHERE r.country_id = c.id)
               AND NOT EXISTS (SELECT 1 FROM sales_allocation_region_state_rel r
                                 JOIN res_country_state s ON s.id = r.state_id
                                WHERE s.country_id = c.id)
               AND c.id NOT IN %s
             ORDER BY c.id LIMIT 1
        """, [tuple(done.countries.values()) or (0,)])
        country_id = cr.fetchone()[0]
        region = env["sales.allocation.region"].create({
            "name": "Bench rotation region", "country_ids": [(6, 0, [country_id])]})
        cr.execute("SELECT id FROM res_users WHERE id IN %s AND active AND id NOT IN %s "
                   "ORDER BY id LIMIT 1", [tuple(done.users.values()),
                                           tuple(config["reps"])])
        from_user = cr.fetchone()[0]
        lead_ids = insert_leads(env, done, plain_leads(n_leads, seed=9),
                                prefix="Bench rotation lead")
        cr.execute("""
            UPDATE crm_lead SET user_id = %s, allocation_state = 'allocated',
                   country_id = %s, state_id = NULL
             WHERE id IN %s
        """, [from_user, country_id, tuple(lead_ids)])
        env["crm.lead"].invalidate_cache()
        moved = env["crm.lead"].search_count([
            ("user_id", "=", from_user), ("probability", "<", 100),
            ("region_id", "=", region.id)])
        wizard = dict(user_id=from_user, region_id=region.id, target_type="queue",
                      queue_id=config["queue"])
    vacuum(db, "crm_lead")
    return wizard, moved, lead_ids


# ---------------------------------------------------------------- one run under the probe

def under_probe(url, db, probe_values, run, interval, lead_in=0.5):
    """Start the probe, wait ``lead_in`` s, ``run()`` -> dict with wall-clock ``start``
    and ``end``; stop the probe.  Returns (run's dict, probe creates during the run)."""
    probe = load.Probe(url, db, probe_values, interval=interval).start()
    try:
        time.sleep(lead_in)
        result = run()
    finally:
        probe.stop()
    during = probe.during(result["start"], result["end"])
    return result, during


def child_run(db, kind, params, timeout):
    """Run ``kind`` in a child process; its result (with ``start``, ``end``)."""
    command = [str(PY), "-m", "bench.bulk", db, kind, json.dumps(params)]
    process = subprocess.run(command, cwd=str(ROOT), stdout=subprocess.PIPE,
                             timeout=timeout, check=True)
    for line in reversed(process.stdout.decode().splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    raise RuntimeError("bench.bulk %s printed no result" % kind)


def rpc_run(url, db, lead_ids, timeout):
    """``action_allocate`` on ``lead_ids`` in one XML-RPC call, from its own thread."""
    client = load.Client(url, db, timeout=timeout)
    result = {}

    def call():
        result["start"] = time.time()
        try:
            result["summary"] = client.execute("crm.lead", "action_allocate", lead_ids)
        except Exception as exc:
            result["error"] = load.short_error(exc)
        result["end"] = time.time()

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(timeout + 10)
    if "end" not in result:
        raise RuntimeError("action_allocate did not answer within %.0f s" % timeout)
    if "error" in result:
        raise RuntimeError("action_allocate failed: %s" % result["error"])
    return result


def probe_report(env, during, queue_id):
    """Longest create, failures, and how many probe leads the queue decided."""
    failed = [call for call in during if not call.lead_id]
    through = through_queue(env, [call.lead_id for call in during if call.lead_id],
                            queue_id)
    return dict(count=len(during), failed=len(failed),
                errors=sorted(set(call.error for call in failed)),
                longest=max([call.seconds for call in during] or [0.0]),
                through=through)


def through_queue(env, lead_ids, queue_id):
    """How many of ``lead_ids`` the log shows decided by queue ``queue_id``."""
    if not lead_ids:
        return 0
    env.cr.execute("SELECT count(DISTINCT lead_id) FROM sales_allocation_log "
                   "WHERE lead_id IN %s AND queue_id = %s", [tuple(lead_ids), queue_id])
    return env.cr.fetchone()[0]


def leads_owned(env, lead_ids, user_ids):
    """How many of ``lead_ids`` one of ``user_ids`` owns (did the run do its work?)."""
    if not lead_ids:
        return 0
    env.cr.execute("SELECT count(*) FROM crm_lead WHERE id IN %s AND user_id IN %s",
                   [tuple(lead_ids), tuple(user_ids)])
    return env.cr.fetchone()[0]


# ---------------------------------------------------------------- the child process

def _child(db, kind, params):
    with environment(db) as env:
        cr = env.cr
        env["sales.allocation.rule"]._engine_rules(env.user.company_id.id)  # warm
        # The run starts its own transaction, as the scheduled action's or the button's
        # would: the warm-up's snapshot must not make it older than it is.
        cr.commit()
        start = time.time()
        if kind == "backlog":
            summary = env["crm.lead"]._cron_allocate_backlog()
        elif kind == "reclaim":
            summary = env["sales.allocation.pool"]._cron_reclaim()
        elif kind == "rotation":
            wizard = env["sales.allocation.territory.rotation"].create(params)
            action = wizard.action_rotate()
            summary = {"moved": len(action["domain"][0][2])}
        else:
            raise SystemExit("bench.bulk: unknown run %r" % kind)
        cr.commit()
        end = time.time()
    summary = {key: value for key, value in (summary or {}).items()
               if isinstance(value, (int, float, str, bool))}
    return dict(kind=kind, start=start, end=end, seconds=end - start, summary=summary)


if __name__ == "__main__":
    result = _child(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]))
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")
