# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Synthetic data for the benchmark, and the engine alone on it (``make bench`` item 1).

The data imitates a real configuration: leads concentrated in a few countries, most
rules routing provinces (states) or countries to queues, some also constrained on
customer type, segment, revenue, tags or source, a few with a free domain, owner
continuity or a direct user/pool target, and a catch-all queue rule last.  Queues mix
the three strategies, with caps, unavailable and archived members, so the fall-through
paths are exercised too.  ``bench.dataset`` creates the same configuration as records.

It lives beside the benchmark, not in the addon: nothing at run time needs it.  It
builds engine objects from whichever engine package is loaded: the addon's
(``odoo.addons.sales_allocation.engine``) once Odoo is (``make bench``), otherwise the
top-level ``engine`` of ``sales_allocation/``, as the engine's tests import it:

    .venv/bin/python -m bench.synthetic       # the engine alone, without Odoo
"""
import os
import random
import sys
import time

ADDON_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "sales_allocation")


def _engine_package():
    """The addon's engine once Odoo is loaded (``make bench``: the objects must be the
    ones its models build); otherwise the top-level ``engine`` of ``sales_allocation/``,
    which the engine's tests put on ``sys.path`` and a direct run adds here."""
    if "odoo" in sys.modules:
        try:
            from odoo.addons.sales_allocation import engine
            return engine
        except ImportError:  # Odoo imported, but not configured with the addon's path
            pass
    if ADDON_DIR not in sys.path:
        sys.path.append(ADDON_DIR)
    import engine
    return engine


_engine = _engine_package()
STRATEGIES, Lead, Member, Queue, Rule, allocate = (
    _engine.STRATEGIES, _engine.Lead, _engine.Member, _engine.Queue, _engine.Rule,
    _engine.allocate)

N_COUNTRIES = 20
STATES_PER_COUNTRY = 25
N_TAGS = 30
CUSTOMER_TYPES = ("company", "individual")
SEGMENTS = ("key_account", "mid_market", "small_business")
QUEUE_SIZE = 20


def _states(country_id):
    return [country_id * 100 + j for j in range(STATES_PER_COUNTRY)]


def build_data(n_leads=100000, n_rules=50, n_reps=200, seed=1):
    """Return the ``allocate`` keyword arguments of one synthetic batch."""
    rnd = random.Random(seed)
    countries = list(range(1, N_COUNTRIES + 1))
    # A few countries carry most of the leads, as in real life.
    country_weights = [30, 20, 15, 10, 5] + [1] * (N_COUNTRIES - 5)
    users = list(range(1, n_reps + 1))

    queues = {}
    strategies = sorted(STRATEGIES)
    for q in range(max(1, n_reps // QUEUE_SIZE)):
        members = [
            Member(user_id, weight=rnd.randint(1, 3),
                   max_open=rnd.choice((0, 0, 0, 500, 800, 1200)),
                   available=rnd.random() > 0.05, active=rnd.random() > 0.02,
                   load=rnd.randint(0, 40))
            for user_id in users[q * QUEUE_SIZE:(q + 1) * QUEUE_SIZE]
        ]
        queue_id = q + 1
        queues[queue_id] = Queue(queue_id, strategies[q % len(strategies)], members)
    queue_ids = sorted(queues)

    rules = []
    for rule_id in range(1, n_rules):
        kind = rnd.random()
        values = dict(owner_continuity=rnd.random() < 0.3, team_id=rnd.randint(1, 5))
        country = rnd.choices(countries, country_weights)[0]
        if kind < 0.6:
            values["state_ids"] = rnd.sample(_states(country), rnd.randint(2, 6))
            if rnd.random() < 0.3:
                values["customer_types"] = [rnd.choice(CUSTOMER_TYPES)]
        elif kind < 0.8:
            values["country_ids"] = rnd.sample(countries[:8], rnd.randint(1, 3))
            if rnd.random() < 0.5:
                values["segments"] = [rnd.choice(SEGMENTS)]
            else:
                values["revenue_min"] = rnd.choice((None, 1000.0, 5000.0))
                values["revenue_max"] = rnd.choice((None, 20000.0, 100000.0))
        elif kind < 0.9:
            values["country_ids"] = [country]
            values["tag_ids"] = rnd.sample(range(1, N_TAGS + 1), 3)
        else:
            values["source_ids"] = [rnd.randint(1, 8)]
            values["has_domain"] = rnd.random() < 0.5
        target = rnd.random()
        if target < 0.06:
            rules.append(Rule(rule_id, rnd.randint(1, 100), "user",
                              user_id=rnd.choice(users), **values))
        elif target < 0.1:
            rules.append(Rule(rule_id, rnd.randint(1, 100), "pool", pool_id=1,
                              **values))
        else:
            rules.append(Rule(rule_id, rnd.randint(1, 100), "queue",
                              queue_id=rnd.choice(queue_ids), **values))
    rules.append(Rule(n_rules, 1000, "queue", queue_id=queue_ids[-1], name="catch-all"))

    leads = []
    for lead_id in range(1, n_leads + 1):
        country = rnd.choices(countries, country_weights)[0]
        leads.append(Lead(
            lead_id, country_id=country, state_id=rnd.choice(_states(country)),
            tag_ids=rnd.sample(range(1, N_TAGS + 1), rnd.randint(0, 3)),
            source_id=rnd.randint(1, 8), industry_id=rnd.randint(1, 15),
            customer_type=rnd.choice(CUSTOMER_TYPES),
            segment=rnd.choice(SEGMENTS + (None,)),
            revenue=round(rnd.lognormvariate(8.5, 1.2), 2),
            partner_key=rnd.randint(1, 20000) if rnd.random() < 0.3 else None,
        ))
    continuity = {partner: rnd.choice(users) for partner in range(1, 5001)}
    in_domain = frozenset(lead.id for lead in leads if rnd.random() < 0.3)
    return dict(
        leads=leads, rules=rules, queues=queues, continuity=continuity,
        domain_matcher=lambda rule_id: in_domain,
        user_active={user_id: False for user_id in rnd.sample(users, 3)},
    )


def bench_engine(n_leads=100000, n_rules=50, n_reps=200, seed=1):
    """Time one ``allocate`` call on synthetic data (building it is not timed).

    ``seconds`` is the CPU time of this process, which is what "decisions per second
    on one core" means and stays meaningful on a busy machine; ``wall_seconds`` is
    the elapsed time, for comparison.  The garbage collector stays on: its passes
    over the decisions are part of the real cost.
    """
    data = build_data(n_leads, n_rules, n_reps, seed)
    wall, cpu = time.perf_counter(), time.process_time()
    decisions = allocate(**data)
    seconds = time.process_time() - cpu
    wall_seconds = time.perf_counter() - wall
    return dict(decisions=len(decisions), seconds=seconds,
                per_second=len(decisions) / seconds, wall_seconds=wall_seconds)


if __name__ == "__main__":
    sys.stdout.write("%r\n" % (bench_engine(),))
