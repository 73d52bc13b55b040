# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Random configurations against a plain re-statement of the specification.

``reference_allocate`` walks every rule and scans every member on every lead, with
none of the engine's caches (rule index, cached eligibility, weighted lists, least
loaded levels, shared reason tuples).  Both must agree on every decision and on the
rotation state left behind; the invariants the specification names are also checked
directly on the engine's output.
"""
import random

import pytest

from engine import Decision, Lead, Member, Queue, Rule, allocate

STRATEGIES = ("sequential", "weighted", "least_loaded")
TARGET_FIELD = {"user": "user_id", "queue": "queue_id", "pool": "pool_id",
                "matrix": "matrix_id"}


def plain_match(rule, lead):
    def within(allowed, value):
        return not allowed or (value not in (None, False) and value in allowed)
    return (within(rule.country_ids, lead.country_id)
            and within(rule.state_ids, lead.state_id)
            and (not rule.tag_ids or bool(rule.tag_ids & lead.tag_ids))
            and within(rule.source_ids, lead.source_id)
            and within(rule.customer_types, lead.customer_type)
            and within(rule.segments, lead.segment)
            and (rule.revenue_min is None
                 or (lead.revenue is not None and lead.revenue >= rule.revenue_min))
            and (rule.revenue_max is None
                 or (lead.revenue is not None and lead.revenue <= rule.revenue_max)))


class Reference(object):
    """The specification of ``allocate``, without any optimization."""

    def __init__(self, queues, continuity, domains, resolver, user_active):
        self.queues = queues
        self.continuity = continuity
        self.domains = domains
        self.resolver = resolver
        self.archived = {user for user, active in user_active.items() if not active}
        self.loads = {}
        for queue in queues.values():
            for member in queue.members:
                if not member.active:
                    self.archived.add(member.user_id)
                self.loads[member.user_id] = max(self.loads.get(member.user_id, 0),
                                                 member.load)

    def why_not(self, member):
        if member.user_id in self.archived:
            return "archived"
        if not member.available:
            return "unavailable"
        if 0 < member.max_open <= self.loads[member.user_id]:
            return "cap"
        return None

    def give(self, user_id):
        if user_id in self.loads:
            self.loads[user_id] += 1

    def pick(self, queue_id):
        queue = self.queues.get(queue_id)
        if queue is None:
            return None, []
        members = queue.members
        skipped = [(m.user_id, self.why_not(m)) for m in members if self.why_not(m)]
        users = [m.user_id for m in members]
        first = users.index(queue.last_user_id) + 1 if queue.last_user_id in users else 0
        order = [members[(first + step) % len(members)] for step in range(len(members))]
        eligible = [m for m in order if not self.why_not(m)]
        if not eligible:
            return None, skipped
        if queue.strategy == "sequential":
            chosen = eligible[0]
        elif queue.strategy == "weighted":
            for member in eligible:
                member.current_weight += member.weight
            chosen = eligible[0]
            for member in eligible:
                if member.current_weight > chosen.current_weight:
                    chosen = member
            chosen.current_weight -= sum(member.weight for member in eligible)
        else:
            chosen = eligible[0]
            for member in eligible:
                if self.loads[member.user_id] < self.loads[chosen.user_id]:
                    chosen = member
        queue.last_user_id = chosen.user_id
        self.give(chosen.user_id)
        return chosen, skipped

    def decide(self, lead, rules):
        prefix = []
        for rule in sorted(rules, key=lambda r: (r.sequence, r.id)):
            if not plain_match(rule, lead):
                continue
            if rule.has_domain and (self.domains is None
                                    or lead.id not in self.domains[rule.id]):
                continue
            kind = rule.target_type
            target = getattr(rule, TARGET_FIELD[kind])
            head = [("rule", {"rule_id": rule.id})]
            if kind == "matrix":
                cell = self.resolver(rule, lead) if self.resolver else None
                if cell is None:
                    continue
                kind, target, extra = cell
                head.append(("matrix", extra))
            user_id = queue_id = pool_id = None
            owner = self.continuity.get(lead.partner_key)
            members = {m.user_id: m for m in self.queues[target].members} if (
                kind == "queue" and target in self.queues) else {}
            if (rule.owner_continuity and lead.partner_key is not None
                    and owner is not None and owner not in self.archived
                    and (owner not in members or members[owner].available)):
                user_id, reasons = owner, head + [("continuity", {"user_id": owner})]
                self.give(owner)
            elif kind == "queue":
                chosen, skipped = self.pick(target)
                skipped = [("skipped", {"queue_id": target, "user_id": user, "why": why})
                           for user, why in skipped]
                if chosen is None:
                    prefix += skipped + [
                        ("queue_full", {"rule_id": rule.id, "queue_id": target})]
                    continue
                user_id, queue_id = chosen.user_id, target
                reasons = head + [("queue", {
                    "queue_id": target, "strategy": self.queues[target].strategy,
                    "user_id": user_id})] + skipped
            elif kind == "user":
                if target in self.archived:
                    prefix.append(("user_archived", {"rule_id": rule.id,
                                                     "user_id": target}))
                    continue
                user_id, reasons = target, head
                self.give(target)
            else:
                pool_id, reasons = target, head + [("pool", {"pool_id": target})]
            if user_id is not None and lead.partner_key is not None and (
                    owner is None or owner in self.archived):
                self.continuity[lead.partner_key] = user_id
            return Decision(lead.id, user_id, rule.id, queue_id, pool_id, rule.team_id,
                            tuple(prefix + reasons))
        return Decision(lead.id, None, None, None, None, None,
                        tuple(prefix + [("unallocated", {})]))


def configuration(seed):
    """A random batch: the same seed always builds equal, independent objects."""
    rnd = random.Random(seed)
    users = list(range(1, 11))
    queues = {}
    for queue_id in range(1, rnd.randint(1, 4) + 1):
        members = [Member(user, weight=rnd.randint(1, 3),
                          max_open=rnd.choice((0, 0, 1, 2, 4, 8)),
                          available=rnd.random() > 0.15, active=rnd.random() > 0.08,
                          load=rnd.randint(0, 3), current_weight=rnd.randint(-3, 3))
                   for user in rnd.sample(users, rnd.randint(0, 6))]
        last = rnd.choice([None, 99] + [m.user_id for m in members])
        queues[queue_id] = Queue(queue_id, rnd.choice(STRATEGIES), members, last)

    def some(values):
        return rnd.sample(values, rnd.randint(1, 2)) if rnd.random() < 0.25 else ()

    rules = []
    for rule_id in range(1, rnd.randint(0, 8) + 1):
        target = rnd.choice(("user", "queue", "queue", "queue", "pool", "matrix"))
        target_id = {"user": rnd.choice(users), "queue": rnd.randint(1, 5),
                     "pool": rnd.randint(1, 2), "matrix": 1}[target]
        rules.append(Rule(
            rule_id, rnd.randint(1, 4), target, team_id=rnd.choice([None, 1, 2]),
            country_ids=some([1, 2]), state_ids=some([10, 11, 20]),
            tag_ids=some([1, 2, 3]), source_ids=some([1, 2]),
            customer_types=some(["company", "individual"]),
            segments=some(["key_account", "mid_market", "small_business"]),
            revenue_min=rnd.choice([None, None, 50.0]),
            revenue_max=rnd.choice([None, None, 100.0]),
            has_domain=rnd.random() < 0.2, owner_continuity=rnd.random() < 0.4,
            **{TARGET_FIELD[target]: target_id}))
    leads = [Lead(
        lead_id, country_id=rnd.choice([None, 1, 2]),
        state_id=rnd.choice([None, 10, 11, 20]),
        tag_ids=rnd.sample([1, 2, 3], rnd.randint(0, 2)),
        source_id=rnd.choice([None, 1, 2]),
        customer_type=rnd.choice([None, "company", "individual"]),
        segment=rnd.choice([None, "key_account", "mid_market", "small_business"]),
        revenue=rnd.choice([None, 0.0, 50.0, 75.0, 100.0, 500.0]),
        partner_key=rnd.choice([None, None, 1, 2, 3, 4]),
    ) for lead_id in range(1, rnd.randint(0, 40) + 1)]
    continuity = {key: rnd.choice(users) for key in (1, 2) if rnd.random() < 0.7}
    domains = None if rnd.random() < 0.2 else {
        rule.id: {lead.id for lead in leads if rnd.random() < 0.5} for rule in rules}
    cells = {(rule.id, lead.id): rnd.choice([
        None, ("user", rnd.choice(users), {"cell_id": 1}),
        ("queue", rnd.randint(1, 5), {"cell_id": 2}), ("pool", 3, {"cell_id": 3})])
        for rule in rules for lead in leads}
    resolver = None if rnd.random() < 0.2 else (
        lambda rule, lead: cells[(rule.id, lead.id)])
    user_active = {user: rnd.random() > 0.1 for user in rnd.sample(users, 4)}
    return dict(leads=leads, rules=rules, queues=queues, continuity=continuity,
                domain_matcher=None if domains is None else domains.__getitem__,
                matrix_resolver=resolver, user_active=user_active)


def state(queues):
    """The rotation state the adapter persists, per queue."""
    return {queue_id: (queue.last_user_id,
                       [(m.user_id, m.load, m.current_weight) for m in queue.members])
            for queue_id, queue in queues.items()}


@pytest.mark.parametrize("seed", range(300))
def test_engine_agrees_with_reference(seed):
    data = configuration(seed)
    decisions = allocate(**data)

    expected_data = configuration(seed)
    reference = Reference(
        expected_data["queues"], expected_data["continuity"],
        None if expected_data["domain_matcher"] is None else {
            rule.id: expected_data["domain_matcher"](rule.id)
            for rule in expected_data["rules"]},
        expected_data["matrix_resolver"], expected_data["user_active"])
    expected = [reference.decide(lead, expected_data["rules"])
                for lead in expected_data["leads"]]
    # Loads are the user's open leads in all queues: the reference keeps one per user.
    for queue in expected_data["queues"].values():
        for member in queue.members:
            member.load = reference.loads[member.user_id]

    assert decisions == expected
    assert state(data["queues"]) == state(expected_data["queues"])
    assert data["continuity"] == expected_data["continuity"]


@pytest.mark.parametrize("seed", range(300, 400))
def test_invariants(seed):
    data = configuration(seed)
    loads = {}
    caps = {}
    for queue in data["queues"].values():
        for member in queue.members:
            loads[member.user_id] = max(loads.get(member.user_id, 0), member.load)
            caps[queue.id, member.user_id] = member
    archived = {user for user, active in data["user_active"].items() if not active}
    archived |= {member.user_id for member in caps.values() if not member.active}

    decisions = allocate(**data)

    assert [d.lead_id for d in decisions] == [lead.id for lead in data["leads"]]
    for decision in decisions:
        codes = [code for code, _params in decision.reasons]
        assert codes, decision
        if decision.user_id is None and decision.pool_id is None:
            assert decision.rule_id is None and codes[-1] == "unallocated"
            continue
        assert decision.rule_id is not None
        if decision.user_id is None:
            continue
        assert decision.user_id not in archived
        if decision.queue_id is not None:
            member = caps[decision.queue_id, decision.user_id]
            assert member.available
            # Nobody takes a lead from a queue once at his cap.
            assert not member.max_open or loads[decision.user_id] < member.max_open
        else:
            assert "continuity" in codes or codes[-1] in ("rule", "matrix")
        loads[decision.user_id] = loads.get(decision.user_id, 0) + 1
