"""The benchmark's data: one synthetic configuration, in the engine and in the database.

``synthetic.build_data`` (bench/synthetic.py) describes the configuration:
rules over provinces, countries, tags, sources, revenue and a free domain, queues of the
three strategies with caps, unavailable and archived members, owner continuity and
direct user targets, and leads concentrated in a few countries.  ``install`` creates
that configuration as real records (reps, queues, rules) and ``insert_leads`` writes its
leads as ``crm_lead`` rows with COPY: the engine alone (item 1) and the real code path
(item 2) work on the same data.

Records go through the ORM (a few hundred, so that every constraint runs); leads,
partners and tag links, by the hundred thousand, go in with COPY.
"""
import random

from .common import copy_rows, reserve_ids

# The free domain of the rules that have one: about a quarter of the leads satisfy it.
RULE_DOMAIN = "[('priority', '=', '3')]"
PRIORITIES = ("0", "1", "2", "3")
BENCH_LOGIN = "bench.rep.%d@example.com"
QUIET = dict(no_reset_password=True, tracking_disable=True, mail_create_nolog=True,
             mail_create_nosubscribe=True, mail_notrack=True)


def engine_data(n_leads, n_rules, n_reps, seed=1):
    """The synthetic configuration as engine objects (``allocate`` keyword arguments)."""
    from .synthetic import build_data
    return build_data(n_leads, n_rules, n_reps, seed)


class Installed(object):
    """Database ids of what ``install`` created, by the synthetic ids they stand for."""

    def __init__(self):
        self.countries = {}      # synthetic country -> res.country id
        self.states = {}         # synthetic state -> res.country.state id
        self.tags = {}
        self.sources = {}
        self.industries = {}
        self.teams = {}
        self.users = {}          # synthetic user -> res.users id
        self.queues = {}
        self.rules = []          # sales.allocation.rule ids, in creation order
        self.partners = {}       # partner_key -> res.partner id
        self.company_id = None


def install(env, data, n_reps):
    """Create the configuration of ``data`` (from ``engine_data``) as records.

    The demo rules are archived so that only the benchmark's rules decide.
    """
    from . import synthetic as shape
    done = Installed()
    done.company_id = env.user.company_id.id
    env["sales.allocation.rule"].search([]).write({"active": False})

    # Countries with the most provinces stand for the synthetic ones; a synthetic
    # province maps onto the real ones of its country, round the list if need be.
    env.cr.execute("""
        SELECT country_id, array_agg(id ORDER BY id) FROM res_country_state
         GROUP BY country_id ORDER BY count(*) DESC, country_id LIMIT %s
    """, [shape.N_COUNTRIES])
    for index, (country_id, state_ids) in enumerate(env.cr.fetchall(), start=1):
        done.countries[index] = country_id
        for j in range(shape.STATES_PER_COUNTRY):
            done.states[index * 100 + j] = state_ids[j % len(state_ids)]

    def named(model, count, label):
        records = {}
        for index in range(1, count + 1):
            records[index] = env[model].create({"name": "Bench %s %d" % (label, index)}).id
        return records

    done.tags = named("crm.lead.tag", shape.N_TAGS, "tag")
    done.sources = named("utm.source", 8, "source")
    done.industries = named("res.partner.industry", 15, "industry")
    done.teams = named("crm.team", 5, "channel")

    users = env["res.users"].with_context(QUIET)
    salesman = env.ref("sales_team.group_sale_salesman")
    for index in range(1, n_reps + 1):
        done.users[index] = users.create({
            "name": "Bench rep %03d" % index, "login": BENCH_LOGIN % index,
            "groups_id": [(6, 0, [salesman.id])],
        }).id

    archived = set(user for user, active in data["user_active"].items() if not active)
    for queue in data["queues"].values():
        archived.update(member.user_id for member in queue.members if not member.active)
        done.queues[queue.id] = env["sales.allocation.queue"].create({
            "name": "Bench queue %d (%s)" % (queue.id, queue.strategy),
            "strategy": queue.strategy,
            "team_id": done.teams[1 + queue.id % len(done.teams)],
            "member_ids": [(0, 0, {
                "user_id": done.users[member.user_id], "sequence": position,
                "weight": member.weight, "max_open_leads": member.max_open,
                "available": member.available,
            }) for position, member in enumerate(queue.members)],
        }).id
    env["res.users"].browse([done.users[user] for user in archived]).write(
        {"active": False})

    queue_ids = sorted(done.queues)
    pools = _bench_pool(env)
    for rule in data["rules"]:
        values = {
            "name": rule.name or "Bench rule %d" % rule.id,
            "sequence": rule.sequence,
            "owner_continuity": rule.owner_continuity,
            "team_id": done.teams.get(rule.team_id),
            "country_ids": [(6, 0, [done.countries[c] for c in rule.country_ids])],
            "state_ids": [(6, 0, sorted({done.states[s] for s in rule.state_ids}))],
            "tag_ids": [(6, 0, [done.tags[t] for t in rule.tag_ids])],
            "source_ids": [(6, 0, [done.sources[s] for s in rule.source_ids])],
            "customer_type": min(rule.customer_types) if rule.customer_types else False,
            "customer_segment": min(rule.segments) if rule.segments else False,
            "revenue_min": rule.revenue_min or 0.0,
            "revenue_max": rule.revenue_max or 0.0,
            "domain": RULE_DOMAIN if rule.has_domain else "[]",
        }
        if rule.target_type == "user":
            values.update(target_type="user", user_id=done.users[rule.user_id])
        elif rule.target_type == "pool" and pools:
            values.update(target_type="pool", pool_id=pools.id)
        else:
            # A pool rule becomes a queue rule while there is no pool model.
            queue = rule.queue_id or queue_ids[rule.id % len(queue_ids)]
            values.update(target_type="queue", queue_id=done.queues[queue])
        done.rules.append(env["sales.allocation.rule"].create(values).id)
    return done


def _bench_pool(env):
    """A pool for the pool rules, once the pool model exists (issue 3)."""
    if "sales.allocation.pool" not in env or "pool_id" not in env[
            "sales.allocation.rule"]._fields:
        return None
    return env["sales.allocation.pool"].create({"name": "Bench pool"})


def insert_partners(env, done, partner_keys, seed=1):
    """One customer (a commercial partner) per partner key, with COPY."""
    rnd = random.Random(seed)
    keys = sorted(partner_keys)
    ids = reserve_ids(env.cr, "res_partner_id_seq", len(keys))
    rows = []
    for key, partner_id in zip(keys, ids):
        name = "Bench customer %d" % key
        rows.append((partner_id, name, name, True, rnd.random() < 0.5, partner_id, True,
                     "contact", "en_US", done.company_id))
        done.partners[key] = partner_id
    copy_rows(env.cr, "res_partner", (
        "id", "name", "display_name", "active", "is_company", "commercial_partner_id",
        "customer", "type", "lang", "company_id"), rows)
    env["res.partner"].invalidate_cache()


def insert_leads(env, done, leads, seed=1, prefix="Bench lead"):
    """Write engine ``Lead`` objects as unallocated, ownerless crm_lead rows (COPY).

    Returns the new lead ids in the order of ``leads``.
    """
    rnd = random.Random(seed)
    missing = {lead.partner_key for lead in leads
               if lead.partner_key is not None and lead.partner_key not in done.partners}
    if missing:
        insert_partners(env, done, missing, seed)
    ids = reserve_ids(env.cr, "crm_lead_id_seq", len(leads))
    env.cr.execute("SELECT now() AT TIME ZONE 'UTC'")
    now = env.cr.fetchone()[0]
    rows, tag_rows = [], []
    for lead, lead_id in zip(leads, ids):
        partner_id = done.partners.get(lead.partner_key)
        # Without a customer, a company name makes the lead a company lead.
        partner_name = ("Company %d" % lead.id if partner_id is None
                        and lead.customer_type == "company" else None)
        rows.append((
            lead_id, "%s %d" % (prefix, lead.id), "lead", True, done.company_id,
            done.countries.get(lead.country_id), done.states.get(lead.state_id),
            done.sources.get(lead.source_id), done.industries.get(lead.industry_id),
            lead.segment, lead.revenue, partner_id, partner_name,
            rnd.choice(PRIORITIES), 10.0, "unallocated", now, now, 1, 1, now,
            "lead%d@example.com" % lead.id))
        for tag in lead.tag_ids:
            tag_rows.append((lead_id, done.tags[tag]))
    copy_rows(env.cr, "crm_lead", (
        "id", "name", "type", "active", "company_id", "country_id", "state_id",
        "source_id", "industry_id", "customer_segment", "planned_revenue", "partner_id",
        "partner_name", "priority", "probability", "allocation_state", "create_date",
        "write_date", "create_uid", "write_uid", "date_last_stage_update", "email_from",
    ), rows)
    copy_rows(env.cr, "crm_lead_tag_rel", ("lead_id", "tag_id"), tag_rows)
    env["crm.lead"].invalidate_cache()
    return ids


def plain_leads(n_leads, seed=2):
    """Leads with no particular features (for a single catch-all rule)."""
    from odoo.addons.sales_allocation.engine import Lead
    rnd = random.Random(seed)
    return [Lead(index, country_id=rnd.randint(1, 5), revenue=1000.0 * rnd.randint(1, 50))
            for index in range(1, n_leads + 1)]
