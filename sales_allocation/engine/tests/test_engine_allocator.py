# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import Counter

import pytest

from engine import Decision, Lead, Member, Queue, Rule, allocate

A, B, C, D = 101, 102, 103, 104
Q1, Q2 = 1, 2


def queues(*specs):
    """``(queue_id, strategy, members...)`` tuples -> the ``queues`` dict."""
    result = {}
    for queue_id, strategy, *members in specs:
        result[queue_id] = Queue(queue_id, strategy, [
            m if isinstance(m, Member) else Member(m) for m in members])
    return result


def leads(count, **kwargs):
    return [Lead(lead_id, **kwargs) for lead_id in range(1, count + 1)]


def users(decisions):
    return [decision.user_id for decision in decisions]


def codes(decision):
    return [code for code, _params in decision.reasons]


def rule(rule_id, target, target_id=None, sequence=10, **kwargs):
    field = {"user": "user_id", "queue": "queue_id", "pool": "pool_id",
             "matrix": "matrix_id"}[target]
    kwargs[field] = target_id
    return Rule(rule_id, sequence, target, **kwargs)


# --- targets and reasons ------------------------------------------------------------

def test_queue_decision_fields_and_reasons():
    qs = queues((Q1, "sequential", A, Member(B, available=False)))
    [decision] = allocate(leads(1), [rule(7, "queue", Q1, team_id=3)], qs)
    assert decision == Decision(1, A, 7, Q1, None, 3, (
        ("rule", {"rule_id": 7}),
        ("queue", {"queue_id": Q1, "strategy": "sequential", "user_id": A}),
        ("skipped", {"queue_id": Q1, "user_id": B, "why": "unavailable"}),
    ))
    assert qs[Q1].last_user_id == A


def test_user_target():
    [decision] = allocate(leads(1), [rule(7, "user", C, team_id=2)], {})
    assert decision == Decision(1, C, 7, None, None, 2, (("rule", {"rule_id": 7}),))


def test_pool_target_has_no_owner():
    [decision] = allocate(leads(1), [rule(7, "pool", 9)], {})
    assert decision == Decision(1, None, 7, None, 9, None, (
        ("rule", {"rule_id": 7}), ("pool", {"pool_id": 9})))


def test_unallocated_lead_is_never_dropped():
    decisions = allocate(leads(2), [rule(7, "user", A, country_ids={1})], {})
    assert decisions == [Decision(lead_id, None, None, None, None, None,
                                  (("unallocated", {}),)) for lead_id in (1, 2)]


def test_no_rules_no_queues():
    assert users(allocate(leads(3), [], {})) == [None, None, None]


def test_leads_may_be_any_iterable():
    decisions = allocate((lead for lead in leads(3)), [rule(1, "user", A)], {})
    assert [d.lead_id for d in decisions] == [1, 2, 3]


# --- walking the rules ----------------------------------------------------------------

def test_rules_walked_by_sequence_then_id():
    rules = [rule(3, "user", C, sequence=10), rule(2, "user", B, sequence=10),
             rule(9, "user", A, sequence=5, country_ids={2}),
             rule(8, "user", D, sequence=5, country_ids={1})]
    assert users(allocate([Lead(1, country_id=1), Lead(2, country_id=2),
                           Lead(3, country_id=3)], rules, {})) == [D, A, B]


def test_archived_user_falls_through_with_reason():
    rules = [rule(1, "user", A), rule(2, "user", B, sequence=20)]
    [decision] = allocate(leads(1), rules, {}, user_active={A: False, B: True})
    assert decision.user_id == B
    assert decision.rule_id == 2
    assert decision.reasons == (("user_archived", {"rule_id": 1, "user_id": A}),
                                ("rule", {"rule_id": 2}))


def test_user_archived_as_queue_member_cannot_take_user_rule():
    qs = queues((Q1, "sequential", Member(A, active=False)))
    assert users(allocate(leads(1), [rule(1, "user", A)], qs)) == [None]


def test_full_queue_falls_through_to_next_rule():
    qs = queues((Q1, "sequential", Member(A, max_open=1, load=1),
                 Member(B, available=False)),
                (Q2, "sequential", C))
    rules = [rule(1, "queue", Q1), rule(2, "queue", Q2, sequence=20)]
    [decision] = allocate(leads(1), rules, qs)
    assert (decision.user_id, decision.rule_id, decision.queue_id) == (C, 2, Q2)
    assert decision.reasons == (
        ("skipped", {"queue_id": Q1, "user_id": A, "why": "cap"}),
        ("skipped", {"queue_id": Q1, "user_id": B, "why": "unavailable"}),
        ("queue_full", {"rule_id": 1, "queue_id": Q1}),
        ("rule", {"rule_id": 2}),
        ("queue", {"queue_id": Q2, "strategy": "sequential", "user_id": C}),
    )


def test_queue_fills_up_during_the_batch():
    qs = queues((Q1, "sequential", Member(A, max_open=2), Member(B, max_open=1)))
    rules = [rule(1, "queue", Q1), rule(2, "pool", 5, sequence=20)]
    decisions = allocate(leads(5), rules, qs)
    assert users(decisions) == [A, B, A, None, None]
    assert [d.pool_id for d in decisions] == [None, None, None, 5, 5]
    assert codes(decisions[3]) == ["skipped", "skipped", "queue_full", "rule", "pool"]
    assert [m.load for m in qs[Q1].members] == [2, 1]


def test_fall_through_reasons_kept_when_unallocated():
    qs = queues((Q1, "least_loaded", Member(A, active=False)))
    [decision] = allocate(leads(1), [rule(1, "queue", Q1)], qs)
    assert decision.user_id is None and decision.rule_id is None
    assert decision.reasons == (
        ("skipped", {"queue_id": Q1, "user_id": A, "why": "archived"}),
        ("queue_full", {"rule_id": 1, "queue_id": Q1}),
        ("unallocated", {}),
    )


def test_queue_missing_from_queues_is_full():
    [decision] = allocate(leads(1), [rule(1, "queue", 99),
                                     rule(2, "user", A, sequence=20)], {})
    assert decision.user_id == A
    assert codes(decision) == ["queue_full", "rule"]


def test_skipped_reasons_only_for_consulted_queues():
    qs = queues((Q1, "sequential", A), (Q2, "sequential", Member(B, available=False), C))
    [decision] = allocate(leads(1), [rule(1, "queue", Q1), rule(2, "queue", Q2)], qs)
    assert codes(decision) == ["rule", "queue"]


def test_reasons_shared_between_equal_decisions():
    qs = queues((Q1, "sequential", A, B, Member(C, available=False)))
    decisions = allocate(leads(4), [rule(1, "queue", Q1)], qs)
    assert users(decisions) == [A, B, A, B]
    assert decisions[0].reasons is decisions[2].reasons
    assert decisions[1].reasons is decisions[3].reasons
    assert decisions[0].reasons is not decisions[1].reasons


# --- rotation inside allocate -------------------------------------------------------

def test_each_strategy_inside_allocate():
    qs = queues((Q1, "sequential", A, B, C))
    assert users(allocate(leads(9), [rule(1, "queue", Q1)], qs)) == [A, B, C] * 3
    qs = queues((Q1, "weighted", Member(A, weight=1), Member(B, weight=2),
                 Member(C, weight=3)))
    assert Counter(users(allocate(leads(60), [rule(1, "queue", Q1)], qs))) == {
        A: 10, B: 20, C: 30}
    assert [m.current_weight for m in qs[Q1].members] == [0, 0, 0]
    qs = queues((Q1, "least_loaded", Member(A, load=2), B, Member(C, load=1)))
    assert users(allocate(leads(5), [rule(1, "queue", Q1)], qs)) == [B, C, B, C, A]


@pytest.mark.parametrize("strategy", ["sequential", "weighted", "least_loaded"])
def test_resume_across_calls_with_persisted_state(strategy):
    def fresh():
        return queues((Q1, strategy, Member(A, weight=3, load=1),
                       Member(B, weight=1, max_open=9), Member(C, weight=2),
                       Member(D, available=False)))

    rules = [rule(1, "queue", Q1)]
    one_go = users(allocate(leads(30), rules, fresh()))
    qs, in_parts = fresh(), []
    for _part in range(3):
        in_parts += users(allocate(leads(10), rules, qs))
        q = qs[Q1]
        # What the adapter writes back and reads again in the next transaction.
        qs = {Q1: Queue(Q1, strategy, [
            Member(m.user_id, m.weight, m.max_open, m.available, m.active, m.load,
                   m.current_weight) for m in q.members], last_user_id=q.last_user_id)}
    assert in_parts == one_go
    # B (weight 1) reaches his cap of 9 except under weighted (5 = 30 * 1/6).
    assert Counter(one_go)[B] == (5 if strategy == "weighted" else 9)


def test_load_shared_across_queues():
    qs = queues((Q1, "sequential", A), (Q2, "least_loaded", A, B))
    rules = [rule(1, "queue", Q1, country_ids={1}), rule(2, "queue", Q2)]
    decisions = allocate([Lead(1, country_id=1), Lead(2), Lead(3), Lead(4)], rules, qs)
    # A got lead 1 through Q1, so Q2 sees him at load 1 and gives lead 2 to B.
    assert users(decisions) == [A, B, A, B]
    assert qs[Q1].members[0].load == qs[Q2].members[0].load == 2


def test_cap_shared_across_queues():
    qs = queues((Q1, "sequential", A), (Q2, "sequential", Member(A, max_open=1), B))
    rules = [rule(1, "queue", Q1, country_ids={1}), rule(2, "queue", Q2)]
    decisions = allocate([Lead(1, country_id=1), Lead(2)], rules, qs)
    assert users(decisions) == [A, B]
    assert codes(decisions[1]) == ["rule", "queue", "skipped"]


def test_direct_user_assignment_counts_in_queue_loads():
    qs = queues((Q1, "least_loaded", A, B))
    rules = [rule(1, "user", A, country_ids={1}), rule(2, "queue", Q1)]
    decisions = allocate([Lead(1, country_id=1), Lead(2), Lead(3)], rules, qs)
    assert users(decisions) == [A, B, A]


# --- free domain ------------------------------------------------------------------------

class Matcher(object):
    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, rule_id):
        self.calls.append(rule_id)
        return self.answers[rule_id]


def test_domain_filters_and_is_asked_once_per_rule():
    matcher = Matcher({1: [2, 4], 2: {1, 2, 3, 4, 5}})
    rules = [rule(1, "user", A, has_domain=True),
             rule(2, "user", B, sequence=20, has_domain=True)]
    decisions = allocate(leads(5), rules, {}, domain_matcher=matcher)
    assert users(decisions) == [B, A, B, A, B]
    assert matcher.calls == [1, 2]


def test_domain_not_asked_for_rules_never_reached():
    matcher = Matcher({1: {1}, 2: {1}, 3: {1}})
    rules = [rule(1, "user", A, country_ids={9}, has_domain=True),
             rule(2, "user", B, sequence=20),
             rule(3, "user", C, sequence=30, has_domain=True)]
    assert users(allocate(leads(3), rules, {}, domain_matcher=matcher)) == [B, B, B]
    assert matcher.calls == []


def test_domain_asked_on_a_queue_rule_then_rotation():
    matcher = Matcher({1: {2}})
    qs = queues((Q1, "sequential", A, B))
    rules = [rule(1, "queue", Q1, has_domain=True), rule(2, "pool", 7, sequence=20)]
    decisions = allocate(leads(3), rules, qs, domain_matcher=matcher)
    assert [(d.user_id, d.pool_id) for d in decisions] == [
        (None, 7), (A, None), (None, 7)]
    assert matcher.calls == [1]


def test_domain_rule_never_matches_without_matcher():
    rules = [rule(1, "user", A, has_domain=True), rule(2, "user", B, sequence=20)]
    assert users(allocate(leads(2), rules, {})) == [B, B]


# --- matrix ---------------------------------------------------------------------------

def test_matrix_resolver_hook():
    calls = []

    def resolver(matrix_rule, lead):
        calls.append((matrix_rule.id, lead.id))
        return {1: ("user", A, {"cell_id": 11}), 2: ("queue", Q1, {"cell_id": 12}),
                3: ("pool", 5, {}), 4: None}[lead.id]

    qs = queues((Q1, "sequential", C))
    rules = [rule(1, "matrix", 40, team_id=6), rule(2, "user", D, sequence=20)]
    decisions = allocate(leads(4), rules, qs, matrix_resolver=resolver)
    assert calls == [(1, 1), (1, 2), (1, 3), (1, 4)]
    assert [(d.user_id, d.rule_id, d.queue_id, d.pool_id, d.team_id)
            for d in decisions] == [(A, 1, None, None, 6), (C, 1, Q1, None, 6),
                                    (None, 1, None, 5, 6), (D, 2, None, None, None)]
    assert decisions[0].reasons == (("rule", {"rule_id": 1}),
                                    ("matrix", {"cell_id": 11}))
    assert codes(decisions[1]) == ["rule", "matrix", "queue"]
    assert codes(decisions[2]) == ["rule", "matrix", "pool"]
    assert codes(decisions[3]) == ["rule"]


def test_matrix_cell_target_that_cannot_take_falls_through():
    qs = queues((Q1, "sequential", Member(C, available=False)))
    cells = {1: ("user", A, {}), 2: ("queue", Q1, {})}
    rules = [rule(1, "matrix", 40), rule(2, "user", D, sequence=20)]
    decisions = allocate(leads(2), rules, qs, user_active={A: False},
                         matrix_resolver=lambda r, lead: cells[lead.id])
    assert users(decisions) == [D, D]
    assert codes(decisions[0]) == ["user_archived", "rule"]
    assert codes(decisions[1]) == ["skipped", "queue_full", "rule"]


def test_matrix_rules_skipped_without_resolver():
    rules = [rule(1, "matrix", 40), rule(2, "user", D, sequence=20)]
    assert users(allocate(leads(1), rules, {})) == [D]


# --- owner continuity ---------------------------------------------------------------

def test_continuity_gives_lead_to_existing_owner_ignoring_caps():
    qs = queues((Q1, "sequential", A, Member(B, max_open=1, load=5)))
    continuity = {500: B}
    [decision] = allocate([Lead(1, partner_key=500)],
                          [rule(1, "queue", Q1, owner_continuity=True)], qs,
                          continuity=continuity)
    assert (decision.user_id, decision.queue_id) == (B, None)
    assert decision.reasons == (("rule", {"rule_id": 1}),
                                ("continuity", {"user_id": B}))
    assert qs[Q1].last_user_id is None
    assert qs[Q1].members[1].load == 6


def test_continuity_owner_outside_the_queue_still_follows():
    qs = queues((Q1, "sequential", A))
    decisions = allocate([Lead(1, partner_key=500)],
                         [rule(1, "queue", Q1, owner_continuity=True)], qs,
                         continuity={500: D})
    assert users(decisions) == [D]


def test_continuity_within_one_batch():
    qs = queues((Q1, "sequential", A, B, C))
    continuity = {}
    batch = [Lead(1, partner_key=7), Lead(2), Lead(3, partner_key=7),
             Lead(4, partner_key=8), Lead(5, partner_key=7)]
    decisions = allocate(batch, [rule(1, "queue", Q1, owner_continuity=True)], qs,
                         continuity=continuity)
    assert users(decisions) == [A, B, A, C, A]
    assert codes(decisions[2]) == ["rule", "continuity"]
    assert continuity == {7: A, 8: C}


def test_continuity_ignored_by_rules_without_it():
    qs = queues((Q1, "sequential", A, B))
    decisions = allocate([Lead(1, partner_key=7), Lead(2, partner_key=7)],
                         [rule(1, "queue", Q1)], qs, continuity={7: B})
    assert users(decisions) == [A, B]


def test_continuity_is_recorded_by_any_assignment():
    continuity = {7: A}
    allocate([Lead(1, partner_key=8), Lead(2, partner_key=7)],
             [rule(1, "user", C)], {}, continuity=continuity)
    assert continuity == {7: A, 8: C}


def test_archived_owner_falls_through_to_rotation_and_is_replaced():
    qs = queues((Q1, "sequential", A, B))
    continuity = {7: D}
    decisions = allocate([Lead(1, partner_key=7), Lead(2, partner_key=7)],
                         [rule(1, "queue", Q1, owner_continuity=True)], qs,
                         continuity=continuity, user_active={D: False})
    assert users(decisions) == [A, A]
    assert codes(decisions[0]) == ["rule", "queue"]
    assert continuity == {7: A}


@pytest.mark.parametrize("member", [Member(B, available=False), Member(B, active=False)])
def test_owner_unavailable_or_archived_in_the_queue_falls_through(member):
    qs = queues((Q1, "sequential", A, member))
    decisions = allocate([Lead(1, partner_key=7)],
                         [rule(1, "queue", Q1, owner_continuity=True)], qs,
                         continuity={7: B})
    assert users(decisions) == [A]


def test_continuity_on_user_and_pool_rules():
    rules = [rule(1, "pool", 5, country_ids={1}, owner_continuity=True),
             rule(2, "user", A, owner_continuity=True)]
    decisions = allocate([Lead(1, country_id=1, partner_key=7), Lead(2, partner_key=7),
                          Lead(3, partner_key=8), Lead(4, country_id=1)], rules, {},
                         continuity={7: B})
    assert [(d.user_id, d.pool_id) for d in decisions] == [
        (B, None), (B, None), (A, None), (None, 5)]


def test_continuity_through_matrix_queue_cell():
    qs = queues((Q1, "sequential", A, Member(B, available=False)))
    rules = [rule(1, "matrix", 40, owner_continuity=True)]
    decisions = allocate([Lead(1, partner_key=7), Lead(2, partner_key=8)], rules, qs,
                         continuity={7: C, 8: B},
                         matrix_resolver=lambda r, lead: ("queue", Q1, {}))
    assert users(decisions) == [C, A]
    assert codes(decisions[0]) == ["rule", "matrix", "continuity"]
