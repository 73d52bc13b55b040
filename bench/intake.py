"""Item 7: intake under load, against the same load with nothing to decide.

One sequential queue of ``n_reps`` reps and ONE active rule: the leads of one tag go to
that queue (every other rule archived).  ``n_threads`` client threads, each with its own
XML-RPC connection (admin), released together by a barrier, create ``per_thread`` leads
each through ``crm.lead.create`` on a real prefork server (``--workers=4``):

- "rule" rounds: leads with the rule's tag, allocated through the queue;
- "no-rule" rounds: the same leads with another tag, which no rule names: allocation
  has nothing to decide.

Rounds alternate (no-rule, rule, no-rule, rule, ...), ``rounds`` of each; the medians
count.  A create counts as failed when the client got a fault or no answer (a
serialization failure Odoo gave up on after its own retries is one): the client does not
resend it.  Each rule round must hand out exactly ``n_threads * per_thread / n_reps``
leads to every rep with one log row per lead.
"""
import re
import time
from collections import Counter

from . import load
from .common import median

KINDS = ("none", "rule")


def setup(db, done, n_reps):
    """The queue, the two tags and the rule; returns a dict of their ids."""
    with load.configuring(db) as env:
        env.cr.execute("SELECT id FROM res_users WHERE id IN %s AND active ORDER BY id",
                       [tuple(done.users.values())])
        reps = [row[0] for row in env.cr.fetchall()][:n_reps]
        if len(reps) < n_reps:
            raise RuntimeError("item 7 needs %d active reps, the data has %d" % (
                n_reps, len(reps)))
        tag = env["crm.lead.tag"].create({"name": "Bench intake: routed"}).id
        other_tag = env["crm.lead.tag"].create({"name": "Bench intake: no rule"}).id
        queue = env["sales.allocation.queue"].create({
            "name": "Bench intake queue", "strategy": "sequential",
            "member_ids": [(0, 0, {"user_id": user_id, "sequence": position})
                           for position, user_id in enumerate(reps)],
        }).id
        env["sales.allocation.rule"].search([]).write({"active": False})
        rule = env["sales.allocation.rule"].create({
            "name": "Bench intake: tagged leads", "sequence": 1, "tag_ids": [(6, 0, [tag])],
            "target_type": "queue", "queue_id": queue,
        }).id
    return dict(reps=reps, tag=tag, other_tag=other_tag, queue=queue, rule=rule)


def lead_values(name, tag):
    """One new customer per create: an address at a domain of its own (the same
    address, or the same company domain, would make every create a lead of the first
    one's customer, and matching would give them all to its owner: issue 14)."""
    domain = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return {"name": name, "tag_ids": [(6, 0, [tag])],
            "email_from": "intake@%s.example.com" % domain, "planned_revenue": 1000.0}


def run(url, db, config, n_threads, per_thread, rounds, deadline, progress=None):
    """The alternated rounds; returns one dict per round (``progress(round)`` after
    each)."""
    results = []
    for number in range(rounds * len(KINDS)):
        kind = KINDS[number % len(KINDS)]
        tag = config["tag"] if kind == "rule" else config["other_tag"]

        def values_of(thread, index, number=number, kind=kind, tag=tag):
            return lead_values("Bench intake %s r%d t%d n%d" % (
                kind, number, thread, index), tag)

        calls, seconds = load.run_clients(url, db, n_threads, per_thread, values_of,
                                          deadline)
        ok = [call for call in calls if call.lead_id]
        results.append(dict(
            kind=kind, number=number, calls=calls, seconds=seconds,
            per_second=len(ok) / seconds if seconds else 0.0,
            lead_ids=[call.lead_id for call in ok],
            errors=Counter(call.error for call in calls if not call.lead_id)))
        if progress:
            progress(results[-1])
        time.sleep(1.0)  # let the workers and the database settle between rounds
    return results


def check_distribution(env, config, lead_ids, expected):
    """Leads per rep (min, max) and whether every rep got ``expected``, one log row per
    lead (in the log of this round's leads)."""
    if not lead_ids:
        return dict(low=0, high=0, exact=False, logs_ok=False, log_rows=0)
    env.cr.execute("SELECT user_id, count(*) FROM crm_lead WHERE id IN %s GROUP BY 1",
                   [tuple(lead_ids)])
    counts = dict(env.cr.fetchall())
    env.cr.execute("""
        SELECT count(*), count(DISTINCT lead_id),
               count(*) FILTER (WHERE l.user_id = c.user_id)
          FROM sales_allocation_log l JOIN crm_lead c ON c.id = l.lead_id
         WHERE l.lead_id IN %s
    """, [tuple(lead_ids)])
    rows, leads, matching = env.cr.fetchone()
    per_rep = [counts.get(rep, 0) for rep in config["reps"]]
    return dict(
        low=min(per_rep), high=max(per_rep),
        exact=set(counts) == set(config["reps"]) and all(
            count == expected for count in per_rep),
        log_rows=rows,
        logs_ok=rows == leads == matching == len(lead_ids))


def summary(results):
    """Medians and latencies per kind."""
    out = {}
    for kind in KINDS:
        rounds = [result for result in results if result["kind"] == kind]
        latencies = [call.seconds for result in rounds for call in result["calls"]
                     if call.lead_id]
        errors = Counter()
        for result in rounds:
            errors.update(result["errors"])
        out[kind] = dict(
            rates=[result["per_second"] for result in rounds],
            per_second=median([result["per_second"] for result in rounds]),
            seconds=median([result["seconds"] for result in rounds]),
            p99=load.percentile(latencies, 0.99), p50=load.percentile(latencies, 0.5),
            failed=sum(errors.values()), errors=errors)
    return out
