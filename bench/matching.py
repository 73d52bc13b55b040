"""Item 10: matching before routing (issue 14) at scale.

Item 2's leads go in with COPY: their match keys are empty and item 2 matches nothing.
Here the population is realistic, written with SQL and keyed by the addon's own code
(``crm.lead._match_store_keys``, what its ``init`` fill calls, batch by batch):

- the existing leads are item 3's big table (``reclaim.fill_table`` fills it when item
  3 did not run), open and owned by the reps: ``1 - PUBLIC_SHARE`` of them write from
  one of ``--match-domains`` company domains with a long tail (Zipf-Mandelbrot,
  weight 1 / (rank + 10): the biggest customers have thousands of open leads each,
  most domains a handful) and carry their customer's name, written several ways; the
  others write from public mail domains (qq.com, 163.com, gmail.com...: never matched
  by domain); ``PHONE_SHARE`` have a phone, ``MOBILE_SHARE`` a mobile;
- the backlog is a fresh copy of item 2's leads (the same rules decide them; every other
  unallocated lead is put aside, as in item 8a), of which ``SHARED_SHARE`` (20 %)
  share a key with an existing lead: the same address written differently, the same
  phone written differently, or a new address at an existing customer's domain drawn
  from the same long tail (so the big customers come up often, as they do); the rest
  have new domains (a few backlog leads each: matched within the batch), public
  addresses and new phones.

Rows: the backlog run (``backlog.run_backlog``, child process, rolled back) with every
strength on (the default) and with matching off (``sales_allocation.match_strengths``
= ``none``, what the CRM settings write when every box is unticked), in ``--pairs``
pairs alternating which goes first, the median ratio; and one ORM create with matching
on and off (blocks of creates alternated, a few untimed creates after each switch: the
switch clears the registry's caches), each create's email, phone and company those of
an existing customer.
"""
import bisect
import itertools
import random
import time

from .common import Clock, copy_rows, median

PUBLIC_DOMAINS = ("qq.com", "163.com", "126.com", "gmail.com", "foxmail.com",
                  "sina.com", "outlook.com", "hotmail.com", "vip.163.com", "yahoo.com")
PUBLIC_SHARE = 0.3
PHONE_SHARE = 0.6
MOBILE_SHARE = 0.2
ZIPF_OFFSET = 10
SHARED_SHARE = 0.2  # of the backlog: a key in common with an existing lead
KEY_BATCH = 10000   # crm_lead_match.FILL_BATCH


def domain(rank):
    return "c%d-kunde.cn" % rank


def company_name(rank, variant):
    """The customer's name, written one of several ways (one key once normalized)."""
    return ("Bench Customer %d Co., Ltd." % rank, "BENCH CUSTOMER %d 有限公司" % rank,
            "bench customer %d" % rank, "Bench Customer %d Ltd" % rank)[variant % 4]


def phone(number, variant=0):
    """A Chinese mobile, written one of several ways (one key once normalized)."""
    digits = "1%d%09d" % (3 + number // 1000000000 % 7, number % 1000000000)
    return ("+86 %s" % digits, "+86 %s-%s-%s" % (digits[:3], digits[3:7], digits[7:]),
            "0086 %s %s %s" % (digits[:3], digits[3:7], digits[7:]))[variant % 3]


class Ranks(object):
    """Draws company-domain ranks from the long tail."""

    def __init__(self, n_domains):
        total, self.cumulative = 0.0, []
        for rank in range(1, n_domains + 1):
            total += 1.0 / (rank + ZIPF_OFFSET)
            self.cumulative.append(total)

    def draw(self, rnd):
        return 1 + bisect.bisect_left(self.cumulative, rnd.random() * self.cumulative[-1])


def existing_contacts(lead_ids, ranks, seed=11):
    """lead id -> (email, phone, mobile, company name) of the big table's leads."""
    rnd = random.Random(seed)
    contacts = {}
    for index, lead_id in enumerate(lead_ids):
        if rnd.random() < PUBLIC_SHARE:
            email = "user%d@%s" % (lead_id, rnd.choice(PUBLIC_DOMAINS))
            company = None
        else:
            rank = ranks.draw(rnd)
            email = "p%d@%s" % (lead_id, domain(rank))
            company = company_name(rank, rnd.randrange(4))
        number = phone(index, rnd.randrange(3)) if rnd.random() < PHONE_SHARE else None
        mobile = (phone(500000000 + index, rnd.randrange(3))
                  if rnd.random() < MOBILE_SHARE else None)
        contacts[lead_id] = (email, number, mobile, company)
    return contacts


def backlog_contacts(lead_ids, existing, ranks, seed=12):
    """lead id -> contact values of the backlog copy, ``SHARED_SHARE`` of them sharing
    a key with an existing lead; and the count of those that do."""
    rnd = random.Random(seed)
    pool = sorted(existing)
    with_phone = [lead_id for lead_id in pool if existing[lead_id][1]]
    contacts, shared = {}, 0
    for index, lead_id in enumerate(lead_ids):
        kind = rnd.random()
        if kind < SHARED_SHARE / 4:  # the same address, written differently
            email, _phone, _mobile, company = existing[rnd.choice(pool)]
            contacts[lead_id] = (" %s " % email.upper(), None, None, company)
            shared += 1
        elif kind < SHARED_SHARE / 2:  # the same phone, written differently
            number = existing[rnd.choice(with_phone)][1]
            digits = "".join(ch for ch in number if ch.isdigit())[-11:]
            contacts[lead_id] = ("someone%d@%s" % (lead_id, rnd.choice(PUBLIC_DOMAINS)),
                                 "+86 (%s) %s %s" % (digits[:3], digits[3:7], digits[7:]),
                                 None, None)
            shared += 1
        elif kind < SHARED_SHARE:  # a new contact at an existing customer
            rank = ranks.draw(rnd)
            contacts[lead_id] = ("new%d@%s" % (lead_id, domain(rank)),
                                 phone(2000000000 + index) if rnd.random() < 0.5 else None,
                                 None, company_name(rank, rnd.randrange(4)))
            shared += 1
        elif rnd.random() < 0.6:  # a new customer, a few backlog leads each
            group = index // 3
            contacts[lead_id] = ("n%d@n%d-neu.cn" % (lead_id, group),
                                 phone(3000000000 + index) if rnd.random() < 0.5 else None,
                                 None, "New Customer %d Co., Ltd." % group)
        else:  # a private person at a public provider
            contacts[lead_id] = ("n%d@%s" % (lead_id, rnd.choice(PUBLIC_DOMAINS)),
                                 phone(3000000000 + index) if rnd.random() < 0.5 else None,
                                 None, None)
    return contacts, shared


def write_contacts(env, contacts):
    """Write email, phone, mobile and company name with COPY and one UPDATE, then the
    match keys with the addon's own code, batch by batch."""
    cr = env.cr
    cr.execute("CREATE TEMP TABLE bench_contacts (id int, email_from varchar, "
               "phone varchar, mobile varchar, partner_name varchar) ON COMMIT DROP")
    copy_rows(cr, "bench_contacts", ("id", "email_from", "phone", "mobile",
                                     "partner_name"),
              [(lead_id,) + values for lead_id, values in contacts.items()])
    cr.execute("""
        UPDATE crm_lead l SET email_from = c.email_from, phone = c.phone,
                              mobile = c.mobile, partner_name = c.partner_name,
                              partner_id = NULL
          FROM bench_contacts c WHERE l.id = c.id
    """)
    cr.execute("DROP TABLE bench_contacts")
    leads = env["crm.lead"]
    leads.invalidate_cache()
    ids = sorted(contacts)
    for start in range(0, len(ids), KEY_BATCH):
        leads.browse(ids[start:start + KEY_BATCH])._match_store_keys()
    leads.invalidate_cache()


def table_lead_ids(env):
    env.cr.execute("SELECT id FROM crm_lead WHERE name LIKE 'Bench table lead %' "
                   "ORDER BY id")
    return [row[0] for row in env.cr.fetchall()]


def key_stats(env, lead_ids):
    """How the keys came out: leads with keys, distinct domains, biggest domain."""
    env.cr.execute("""
        SELECT count(*) FILTER (WHERE match_email IS NOT NULL),
               count(DISTINCT match_domain), count(*) FILTER (WHERE match_phone IS NOT NULL)
          FROM crm_lead WHERE id = ANY(%s::int[])
    """, [lead_ids])
    emails, domains, phones = env.cr.fetchone()
    env.cr.execute("""
        SELECT match_domain, count(*) FROM crm_lead
         WHERE id = ANY(%s::int[]) AND match_domain IS NOT NULL
           AND match_domain <> ALL(%s)
         GROUP BY match_domain ORDER BY count(*) DESC LIMIT 3
    """, [lead_ids, list(PUBLIC_DOMAINS)])
    return dict(emails=emails, domains=domains, phones=phones, biggest=env.cr.fetchall())


def set_matching(env, on):
    """Every strength on (what the settings write with every box ticked) or none."""
    from odoo.addons.sales_allocation.engine import dedupe
    from odoo.addons.sales_allocation.models.sales_allocation_match import STRENGTHS_PARAM
    env["ir.config_parameter"].sudo().set_param(
        STRENGTHS_PARAM, ",".join(dedupe.STRENGTHS) if on else "none")


def restore_matching(env, value):
    from odoo.addons.sales_allocation.models.sales_allocation_match import STRENGTHS_PARAM
    env["ir.config_parameter"].sudo().set_param(STRENGTHS_PARAM, value)


def matching_param(env):
    from odoo.addons.sales_allocation.models.sales_allocation_match import STRENGTHS_PARAM
    return env["ir.config_parameter"].sudo().get_param(STRENGTHS_PARAM)


def create_values(base_values, existing, ranks, seed=13):
    """``base_values`` (``create.lead_values``) with the contact of an existing
    customer: a new address at his domain (drawn from the long tail), his name and the
    phone of one of his leads."""
    rnd = random.Random(seed)
    by_domain = {}
    for lead_id, (email, number, _mobile, _company) in existing.items():
        if number and not email.startswith("user"):
            by_domain.setdefault(email.split("@")[1], number)
    values = []
    for index, vals in enumerate(base_values):
        while True:
            rank = ranks.draw(rnd)
            if domain(rank) in by_domain:
                break
        vals = dict(vals, email_from="created%d@%s" % (index, domain(rank)),
                    phone=by_domain[domain(rank)], partner_name=company_name(rank, index))
        values.append(vals)
    return values


def create_overhead(env, values, repeat, block=10, warmup=3, budget=120):
    """Median seconds of one ORM create with matching on and off (caller rolls back).

    Blocks of ``block`` timed creates, the setting switched between blocks (after
    ``warmup`` untimed creates: switching clears the registry's caches).  No new pair
    of blocks starts past ``budget`` seconds (``stopped``)."""
    from odoo import SUPERUSER_ID
    env = env(user=SUPERUSER_ID)
    leads = env["crm.lead"]
    timings = {True: [], False: []}
    matched = 0
    counter = itertools.count()
    blocks = max(1, repeat // block)
    stopped, started = False, time.perf_counter()
    for index in range(blocks):
        if index and time.perf_counter() - started > budget:
            stopped = True
            break
        for on in ((True, False) if index % 2 else (False, True)):
            set_matching(env, on)
            for position in range(warmup + block):
                vals = values[next(counter) % len(values)]
                with Clock() as clock:
                    lead = leads.create(dict(vals))
                if position >= warmup:
                    timings[on].append(clock.wall)
                    if on and lead.match_reason:
                        matched += 1
    with_matching, without = median(timings[True]), median(timings[False])
    return dict(repeat=len(timings[True]), on_seconds=with_matching, off_seconds=without,
                matched=matched, overhead=(with_matching - without) / without,
                stopped=stopped)
