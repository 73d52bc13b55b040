# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Members away (on leave, off shift) are skipped; a queue may hold the lead instead
of letting the next rule take it (issue 13, item 1)."""
from engine import Absence, Lead, Member, Queue, Rule, allocate, pick
from engine.reclaim import pick_excluding

LEAVE = Absence("on_leave", None, (), "UTC")
OFF = Absence("off_shift", None, ((9.0, 18.0),), "Asia/Shanghai")


def _queue(hold=False, **absences):
    members = [Member(user_id, absence=absences.get("u%d" % user_id))
               for user_id in (1, 2, 3)]
    return Queue(10, "sequential", members, hold=hold)


def _rules(fallback=True):
    rules = [Rule(id=1, sequence=1, target_type="queue", queue_id=10)]
    if fallback:
        rules.append(Rule(id=2, sequence=2, target_type="user", user_id=99))
    return rules


def _leads(count):
    return [Lead(id=lead_id) for lead_id in range(1, count + 1)]


def test_members_away_are_skipped_with_their_reason():
    queue = _queue(u1=LEAVE, u2=OFF)
    member, skipped = pick(queue)
    assert member.user_id == 3
    assert skipped == ((1, "on_leave"), (2, "off_shift"))


def test_the_rotation_goes_on_among_the_members_at_work():
    decisions = allocate(_leads(4), _rules(), {10: _queue(u2=OFF)})
    assert [decision.user_id for decision in decisions] == [1, 3, 1, 3]


def test_nobody_at_work_falls_through_to_the_next_rule_by_default():
    decisions = allocate(_leads(2), _rules(), {10: _queue(u1=LEAVE, u2=OFF, u3=OFF)})
    assert [(d.user_id, d.rule_id) for d in decisions] == [(99, 2), (99, 2)]
    codes = [code for code, _params in decisions[0].reasons]
    assert codes == ["skipped", "skipped", "skipped", "queue_full", "rule"]


def test_a_holding_queue_keeps_the_lead_for_the_next_shift():
    decisions = allocate(_leads(2), _rules(), {10: _queue(True, u1=LEAVE, u2=OFF,
                                                          u3=OFF)})
    for decision in decisions:
        assert decision.user_id is None and decision.pool_id is None
        assert (decision.rule_id, decision.queue_id) == (1, 10)
        codes = [code for code, _params in decision.reasons]
        assert codes == ["rule", "skipped", "skipped", "skipped", "held"]
        assert decision.reasons[-1][1] == {"rule_id": 1, "queue_id": 10}


def test_a_holding_queue_does_not_hold_when_nobody_is_away():
    # Every member is at his cap: nothing to wait for, the next rule decides.
    queue = Queue(10, "sequential", [Member(1, max_open=1, load=1)], hold=True)
    decisions = allocate(_leads(1), _rules(), {10: queue})
    assert decisions[0].user_id == 99


def test_a_holding_queue_without_fallback_still_holds():
    decisions = allocate(_leads(1), _rules(False), {10: _queue(True, u1=OFF, u2=OFF,
                                                               u3=OFF)})
    assert decisions[0].reasons[-1][0] == "held"


def test_continuity_does_not_give_a_lead_to_an_owner_away_from_the_queue():
    rules = [Rule(id=1, sequence=1, target_type="queue", queue_id=10,
                  owner_continuity=True)]
    decisions = allocate([Lead(id=1, partner_key=7)], rules, {10: _queue(u1=LEAVE)},
                         continuity={7: 1})
    assert decisions[0].user_id == 2


def test_reclaim_into_a_queue_skips_members_away():
    member, skipped = pick_excluding(_queue(u1=OFF), excluded={2})
    assert member.user_id == 3
    assert skipped == ((1, "off_shift"), (2, "cooldown"))


def test_weighted_and_least_loaded_skip_members_away():
    for strategy in ("weighted", "least_loaded"):
        members = [Member(1, weight=3, absence=LEAVE), Member(2), Member(3)]
        queue = Queue(10, strategy, members)
        users = [d.user_id for d in allocate(_leads(4), _rules(), {10: queue})]
        assert 1 not in users and sorted(set(users)) == [2, 3]
