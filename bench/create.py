"""Item 4: what allocation adds to creating one lead through the ORM.

The same lead values are created again and again, alternately with the context key
``sales_allocation_skip`` (crm's own create, nothing else) and without it (the addon
drops crm's default owner and runs the allocator), in the same transaction, which is
rolled back.  The overhead is the difference of the medians over the median without.

Both run as the superuser: the addon honours ``sales_allocation_skip`` for the superuser
only (another user's context must not hide who got a lead), so the baseline would
otherwise allocate too.
"""
from .common import Clock, median


def lead_values(done, leads, count):
    """ORM values of ``count`` leads of the synthetic data (the same for both runs)."""
    values = []
    for lead in leads[:count]:
        values.append({
            "name": "Bench created lead %d" % lead.id,
            "country_id": done.countries.get(lead.country_id) or False,
            "state_id": done.states.get(lead.state_id) or False,
            "source_id": done.sources.get(lead.source_id) or False,
            "industry_id": done.industries.get(lead.industry_id) or False,
            "customer_segment": lead.segment or False,
            "planned_revenue": lead.revenue,
            "partner_id": done.partners.get(lead.partner_key) or False,
            "partner_name": "Company %d" % lead.id if lead.customer_type == "company"
            else False,
            "tag_ids": [(6, 0, [done.tags[tag] for tag in lead.tag_ids])],
            "email_from": "created%d@example.com" % lead.id,
        })
    return values


def create_overhead(env, values, repeat, warmup=5):
    """Median seconds of one create with and without allocation (caller rolls back)."""
    from odoo import SUPERUSER_ID
    env = env(user=SUPERUSER_ID)  # see the module's docstring
    plain = env["crm.lead"].with_context(sales_allocation_skip=True)
    allocating = env["crm.lead"]
    timings = {True: [], False: []}
    plain_ids = []
    for index in range(warmup + repeat):
        vals = values[index % len(values)]
        # Alternate which one goes first, so neither always follows the other.
        order = (True, False) if index % 2 else (False, True)
        for skip in order:
            model = plain if skip else allocating
            with Clock() as clock:
                lead = model.create(dict(vals))
            if skip:
                plain_ids.append(lead.id)
            if index >= warmup:
                timings[skip].append(clock.wall)
    env.cr.execute("SELECT count(*) FROM sales_allocation_log WHERE lead_id IN %s",
                   [tuple(plain_ids)])
    if env.cr.fetchone()[0]:
        raise RuntimeError("the creates with sales_allocation_skip were allocated too: "
                           "the baseline is not crm's create alone")
    without, with_allocation = median(timings[True]), median(timings[False])
    return dict(repeat=repeat, create_seconds=without, allocating_seconds=with_allocation,
                overhead=(with_allocation - without) / without)
