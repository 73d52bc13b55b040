# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Daily and weekly caps of new leads (issue 14): ``Member.new_left``."""
from engine import Lead, Member, Queue, Rule, allocate

A, B, C = 101, 102, 103


def run(members, count, strategy="sequential", rules=None):
    queues = {1: Queue(1, strategy, members)}
    rules = rules or [Rule(7, 10, "queue", queue_id=1)]
    return allocate([Lead(lead_id) for lead_id in range(1, count + 1)], rules, queues)


def test_a_member_stops_getting_leads_at_his_cap_of_new_leads():
    decisions = run([Member(A, new_left=2), Member(B), Member(C)], 9)
    assert [d.user_id for d in decisions] == [A, B, C, A, B, C, B, C, B]
    skipped = [params for code, params in decisions[-1].reasons if code == "skipped"]
    assert skipped == [{"queue_id": 1, "user_id": A, "why": "new_cap"}]


def test_a_member_already_at_his_cap_gets_nothing():
    decisions = run([Member(A, new_left=0), Member(B)], 2, strategy="least_loaded")
    assert [d.user_id for d in decisions] == [B, B]


def test_the_cap_is_shared_between_the_queues_of_the_rep():
    queues = {1: Queue(1, "sequential", [Member(A, new_left=1), Member(B)]),
              2: Queue(2, "sequential", [Member(A, new_left=1), Member(C)])}
    rules = [Rule(7, 10, "queue", queue_id=1, segments={"s1"}),
             Rule(8, 20, "queue", queue_id=2)]
    leads = [Lead(1, segment="s1"), Lead(2), Lead(3)]
    decisions = allocate(leads, rules, queues)
    assert [d.user_id for d in decisions] == [A, C, C]


def test_no_cap_is_the_default():
    decisions = run([Member(A), Member(B)], 4, strategy="weighted")
    assert sorted(d.user_id for d in decisions) == [A, A, B, B]
