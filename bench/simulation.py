"""Item 11: the diff simulation (issue 15) on 20,000 leads, and that it writes nothing.

20,000 leads of one tag are written with SQL; an archived draft rule sends that tag to
one of the dataset's queues. The simulation (``sales.allocation.simulation``) replays
the leads through the draft and through the active rules and lists each lead whose
owner would change: measured from its creation to the end of ``action_run``, the way
the form's Run button calls it. Before and after: the leads' owners and write dates,
the log and the rotation state must be the same. Rolled back.
"""
from .common import Clock


def _state(cr, tag_id):
    cr.execute("""
        SELECT count(*), COALESCE(sum(COALESCE(l.user_id, 0)), 0), max(l.write_date)
          FROM crm_lead l JOIN crm_lead_tag_rel r ON r.lead_id = l.id
         WHERE r.tag_id = %s
    """, [tag_id])
    leads = cr.fetchone()
    cr.execute("SELECT count(*), max(id) FROM sales_allocation_log")
    log = cr.fetchone()
    cr.execute("SELECT queue_id, last_user_id, weights::text FROM sales_allocation_rotation"
               " ORDER BY queue_id")
    return leads, log, cr.fetchall()


def run_diff_simulation(env, n_leads):
    """(seconds, leads replayed, would change owner, nothing written)."""
    cr = env.cr
    tag = env["crm.lead.tag"].create({"name": "Bench diff simulation"})
    cr.execute("""
        WITH new AS (
            INSERT INTO crm_lead (name, type, active, company_id, probability,
                                  allocation_state, create_uid, create_date, write_uid,
                                  write_date)
            SELECT 'Bench simulated ' || n, 'lead', TRUE, %s, 10, 'unallocated', %s,
                   now() AT TIME ZONE 'UTC', %s, now() AT TIME ZONE 'UTC'
              FROM generate_series(1, %s) AS n
            RETURNING id
        )
        INSERT INTO crm_lead_tag_rel (lead_id, tag_id) SELECT id, %s FROM new
    """, [env.user.company_id.id, env.uid, env.uid, n_leads, tag.id])
    env["crm.lead"].invalidate_cache()
    # A queue no active rule sends leads to (earlier items may leave one rule for
    # everything active: the draft would then change nobody's owner).
    active_queues = env["sales.allocation.rule"].search([]).mapped("queue_id")
    queue = env["sales.allocation.queue"].search(
        [("member_ids", "!=", False), ("id", "not in", active_queues.ids)], limit=1)
    draft = env["sales.allocation.rule"].create({
        "name": "Bench draft: the simulated leads to one queue", "active": False,
        "sequence": 0, "target_type": "queue", "queue_id": queue.id,
        "tag_ids": [(6, 0, tag.ids)]})
    before = _state(cr, tag.id)
    with Clock() as clock:
        simulation = env["sales.allocation.simulation"].create({
            "lead_domain": "[('tag_ids', 'in', %s)]" % tag.ids,
            "rule_ids": [(6, 0, draft.ids)]})
        simulation.action_run()
    return (clock.wall, simulation.lead_count, simulation.change_count,
            _state(cr, tag.id) == before)
