# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Matches in ``allocate`` (issue 14): what each rule's ``match_policy`` does."""
from engine import Lead, Member, Queue, Rule, allocate
from engine.dedupe import Candidate

A, B, C, OWNER = 101, 102, 103, 200
Q = 1


def queue(*members):
    return {Q: Queue(Q, "sequential", [
        m if isinstance(m, Member) else Member(m) for m in members])}


def match(lead_id=50, owner=OWNER, strength="domain"):
    return Candidate(lead_id, strength, True, "2026-01-01 00:00:00", owner)


def codes(decision):
    return [code for code, _params in decision.reasons]


def run(policy="owner", members=(A, B, C), matches=None, lead_ids=(1,), **kwargs):
    rules = [Rule(7, 10, "queue", queue_id=Q, match_policy=policy)]
    return allocate([Lead(lead_id) for lead_id in lead_ids], rules, queue(*members),
                    matches=matches, **kwargs)


def test_owner_policy_gives_the_lead_to_the_owner_of_the_match():
    decision, = run(matches={1: match()})
    assert decision.user_id == OWNER and decision.rule_id == 7
    assert decision.queue_id is None
    assert codes(decision) == ["rule", "match"]
    assert decision.reasons[1][1] == {"lead_id": 50, "user_id": OWNER,
                                      "strength": "domain"}


def test_leads_without_a_match_keep_the_rotation_untouched():
    decisions = run(matches={2: match()}, lead_ids=(1, 2, 3))
    assert [d.user_id for d in decisions] == [A, OWNER, B]


def test_an_archived_owner_falls_back_to_the_queue_and_says_so():
    decision, = run(matches={1: match()}, user_active={OWNER: False})
    assert decision.user_id == A
    assert codes(decision)[:2] == ["rule", "match_fallback"]
    assert decision.reasons[1][1]["why"] == "archived"
    assert "queue" in codes(decision)


def test_an_owner_unavailable_or_over_cap_in_the_rule_queue_falls_back():
    away = Member(OWNER, available=False)
    decision, = run(members=(A, away), matches={1: match()})
    assert decision.user_id == A
    assert decision.reasons[1][1]["why"] == "unavailable"
    full = Member(OWNER, max_open=2, load=2)
    decision, = run(members=(A, full), matches={1: match()})
    assert decision.user_id == A
    assert decision.reasons[1][1]["why"] == "cap"


def test_the_cap_reads_lazy_loads():
    full = Member(OWNER, max_open=2)
    decision, = run(members=(A, full), matches={1: match()},
                    load_of=lambda ids: {OWNER: 5})
    assert decision.user_id == A and decision.reasons[1][1]["why"] == "cap"


def test_flag_keeps_the_rotation_and_marks_a_duplicate():
    decision, = run(policy="flag", matches={1: match()})
    assert decision.user_id == A and decision.queue_id == Q
    assert codes(decision)[:3] == ["rule", "duplicate", "queue"]


def test_ignore_plays_no_part():
    decision, = run(policy="ignore", matches={1: match()})
    assert decision.user_id == A
    assert codes(decision) == ["rule", "queue"]


def test_a_user_rule_routes_to_the_match_too():
    rules = [Rule(7, 10, "user", user_id=B)]
    decision, = allocate([Lead(1)], rules, {}, matches={1: match()})
    assert decision.user_id == OWNER and codes(decision) == ["rule", "match"]


def test_later_leads_of_the_customer_follow_the_match_owner():
    rules = [Rule(7, 10, "queue", queue_id=Q, owner_continuity=True)]
    leads = [Lead(1, partner_key=9), Lead(2, partner_key=9)]
    decisions = allocate(leads, rules, queue(A, B), matches={1: match()})
    assert [d.user_id for d in decisions] == [OWNER, OWNER]


def test_an_owner_at_his_cap_of_new_leads_falls_back():
    decision, = run(members=(A, Member(OWNER, new_left=0)), matches={1: match()})
    assert decision.user_id == A
    assert decision.reasons[1][1]["why"] == "new_cap"
