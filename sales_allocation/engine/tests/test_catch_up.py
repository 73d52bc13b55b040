# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Catch-up after absence (issue 13, item 2): ``Queue.catch_up``.

Without it a member away loses his turns (and least loaded gives him every lead until
he is level again); with it weighted and least-loaded queues count what he missed
and give it back gradually.  The exact rules: ``engine.rotation``'s docstring.
"""
import itertools

import pytest

from engine import Absence, Lead, Member, Queue, Rotation, Rule, allocate
from engine.reclaim import pick_excluding

LEAVE = Absence("on_leave", None, (), "UTC")
OFF = Absence("off_shift", None, ((9.0, 18.0),), "UTC")


def _queue(strategy, weights, catch_up=True, **member_vals):
    members = [Member(index + 1, weight=weight, **member_vals)
               for index, weight in enumerate(weights)]
    return Queue(10, strategy, members, catch_up=catch_up)


def _run(queue, count, away=(), absence=None, excluded=()):
    """Give ``count`` leads one run at a time (as the adapter does: one Rotation per
    run) with the users of ``away`` away (unavailable, or ``absence``); return the
    owners and, per lead, (user id, paid back) pairs."""
    owners, paid = [], []
    for member in queue.members:
        gone = member.user_id in away
        if absence is None:
            member.available = not gone
            member.absence = None
        else:
            member.available = True
            member.absence = absence if gone else None
        member.excluded = False
    for _index in range(count):
        before = {member.user_id: member.missed for member in queue.members}
        if excluded:
            member, _skipped = pick_excluding(queue, excluded)
        else:
            rotation = Rotation({queue.id: queue})
            member, _skipped = rotation.pick(queue.id)
            rotation.flush()
        owners.append(member.user_id)
        paid.append(before[member.user_id] > member.missed)
    return owners, paid


def _state(queue):
    return [(member.missed, member.credit, member.payback_weight)
            for member in queue.members]


# ---------------------------------------------------------------- the example

def test_weighted_three_to_one_rep_away_for_eight_leads_gets_two_back():
    queue = _queue("weighted", [3, 1])
    away, _paid = _run(queue, 8, away={2})
    assert away == [1] * 8
    # 8 leads x weight 1 / total weight 4.
    assert _state(queue) == [(0, 0, 0), (2, 0, 0)]
    back, paid = _run(queue, 12)
    assert back == [1, 2, 1, 2, 1, 1, 2, 1, 2, 1, 1, 2]
    assert [index + 1 for index, was_paid in enumerate(paid) if was_paid] == [4, 9]
    assert _state(queue) == [(0, 0, 0), (0, 0, 0)]
    assert queue.turn_weight == 0


def test_weighted_without_catch_up_his_missed_turns_are_gone():
    queue = _queue("weighted", [3, 1], catch_up=False)
    assert _run(queue, 8, away={2})[0] == [1] * 8
    assert _run(queue, 12)[0] == [1, 2, 1, 1, 1, 2, 1, 1, 1, 2, 1, 1]
    assert _state(queue) == [(0, 0, 0), (0, 0, 0)]


def test_least_loaded_rep_back_is_not_flooded_with_catch_up():
    queue = _queue("least_loaded", [1, 1, 1])
    assert _run(queue, 6, away={2})[0] == [1, 3, 1, 3, 1, 3]
    # Least loaded would have given him leads 2, 4 and 6.
    assert _state(queue) == [(0, 0, 0), (3, 0, 0), (0, 0, 0)]
    back, paid = _run(queue, 12)
    assert back == [1, 2, 3, 2, 3, 1, 2, 2, 3, 1, 2, 2]
    assert [index + 1 for index, was_paid in enumerate(paid) if was_paid] == [4, 7, 11]
    # Level again: 3 paid back and 3 turns of his own.
    assert [member.load for member in queue.members] == [6, 6, 6]
    assert _state(queue) == [(0, 0, 0)] * 3


def test_least_loaded_without_catch_up_gives_him_every_lead_until_level():
    queue = _queue("least_loaded", [1, 1, 1], catch_up=False)
    assert _run(queue, 6, away={2})[0] == [1, 3, 1, 3, 1, 3]
    assert _run(queue, 6)[0] == [2, 2, 2, 3, 1, 2]
    assert _state(queue) == [(0, 0, 0)] * 3


# ---------------------------------------------------------------- counting

@pytest.mark.parametrize("weights", list(itertools.product((1, 2, 3), repeat=3)))
@pytest.mark.parametrize("leads", [0, 1, 5, 6, 7, 13])
def test_weighted_counts_his_weights_share_exactly(weights, leads):
    queue = _queue("weighted", list(weights))
    _run(queue, leads, away={3})
    total = sum(weights)
    missed, credit, _payback = _state(queue)[2]
    assert missed == leads * weights[2] // total
    assert credit == leads * weights[2] % total


def test_the_remainder_carries_over_to_the_next_absence():
    queue = _queue("weighted", [3, 1])
    _run(queue, 3, away={2})
    assert _state(queue)[1] == (0, 3, 0)
    _run(queue, 4)
    assert _state(queue)[1] == (0, 3, 0)
    _run(queue, 1, away={2})
    assert _state(queue)[1] == (1, 0, 0)


@pytest.mark.parametrize("absence", [LEAVE, OFF])
def test_leave_and_off_shift_count_like_unavailable(absence):
    queue = _queue("weighted", [3, 1])
    _run(queue, 8, away={2}, absence=absence)
    assert _state(queue)[1] == (2, 0, 0)


def test_a_member_at_his_cap_or_archived_is_not_away():
    capped = _queue("weighted", [1, 1, 1], max_open=0)
    capped.members[1].max_open = 1
    capped.members[1].load = 1
    capped.members[2].active = False
    _run(capped, 9)
    assert _state(capped) == [(0, 0, 0)] * 3


def test_new_cap_is_not_away():
    queue = _queue("least_loaded", [1, 1])
    queue.members[1].new_left = 0
    _run(queue, 4)
    assert _state(queue) == [(0, 0, 0)] * 2


def test_excluded_by_the_caller_is_not_away():
    queue = _queue("weighted", [1, 1])
    owners, _paid = _run(queue, 4, excluded={2})
    assert owners == [1, 1, 1, 1]
    assert _state(queue) == [(0, 0, 0)] * 2
    assert queue.members[1].available and not queue.members[1].excluded


def test_only_leads_the_queue_gives_count():
    queue = _queue("weighted", [1, 1])
    queue.members[0].available = queue.members[1].available = False
    rotation = Rotation({queue.id: queue})
    assert rotation.pick(queue.id)[0] is None
    rotation.charge(1)  # a lead given to him directly
    rotation.flush()
    assert _state(queue) == [(0, 0, 0)] * 2


def test_least_loaded_members_away_come_back_level_with_the_one_at_work():
    queue = _queue("least_loaded", [1, 1, 1])
    assert _run(queue, 6, away={2, 3})[0] == [1] * 6
    # What each fell behind member 1.
    assert _state(queue) == [(0, 0, 0), (6, 0, 0), (6, 0, 0)]
    owners, paid = _run(queue, 18)
    assert owners == [2, 3, 1, 2, 3, 1, 2, 3, 2, 3, 1, 2, 3, 2, 3, 1, 2, 3]
    assert [index + 1 for index, was_paid in enumerate(paid) if was_paid] == \
        [2, 4, 7, 10, 12, 15, 17]
    assert [member.load for member in queue.members] == [10, 7, 7]
    assert [member.missed for member in queue.members] == [0, 2, 3]


# ---------------------------------------------------------------- giving back

@pytest.mark.parametrize("strategy", ["weighted", "least_loaded"])
@pytest.mark.parametrize("weights", list(itertools.product((1, 2, 3), repeat=3)))
@pytest.mark.parametrize("away_for", [1, 4, 9, 20])
def test_payback_is_exact_gradual_and_never_after_his_own_lead(
        strategy, weights, away_for):
    queue = _queue(strategy, list(weights))
    _run(queue, away_for, away={2})
    owed = queue.members[1].missed
    last = queue.last_user_id
    owners, paid = _run(queue, 200)
    assert sum(paid) == owed
    assert _state(queue)[1] == (0, queue.members[1].credit, 0)
    assert queue.turn_weight == 0
    previous = [last] + owners[:-1]
    for index, was_paid in enumerate(paid):
        if was_paid:
            assert owners[index] == 2
            assert previous[index] != 2, (owners, index)
    # Never faster than his weight's share: in the first S leads at most his weight.
    window = sum(weights) + weights[1]
    assert sum(paid[:window]) <= weights[1]


def test_paybacks_spread_over_rounds_for_a_heavy_debt():
    queue = _queue("weighted", [1, 1])
    _run(queue, 20, away={2})
    assert _state(queue)[1] == (10, 0, 0)
    owners, paid = _run(queue, 30)
    # Turn seat weight 2, payback seat weight 1: one payback in every 3 leads,
    # never straight after a lead of his.
    assert [index + 1 for index, was_paid in enumerate(paid) if was_paid] == \
        [3, 5, 8, 11, 14, 17, 20, 23, 26, 29]
    assert owners == [2, 1] + [2, 1, 2] * 9 + [2]
    assert _state(queue)[1] == (0, 0, 0)


def test_nothing_is_paid_back_while_he_is_alone_at_work():
    queue = _queue("weighted", [1, 1])
    _run(queue, 4, away={2})
    assert _state(queue)[1] == (2, 0, 0)
    owners, paid = _run(queue, 3, away={1})
    assert owners == [2, 2, 2] and not any(paid)
    # Member 1 away now: he counts what he misses meanwhile.
    assert _state(queue) == [(1, 1, 0), (2, 0, 0)]


def test_an_owed_member_away_again_keeps_what_he_is_owed():
    queue = _queue("weighted", [1, 1, 1])
    _run(queue, 6, away={2})
    assert queue.members[1].missed == 2
    _run(queue, 3)
    owed = queue.members[1].missed
    _run(queue, 3, away={2})
    assert queue.members[1].missed == owed + 1


# ---------------------------------------------------------------- off and sequential

@pytest.mark.parametrize("strategy", ["sequential", "weighted", "least_loaded"])
def test_catch_up_off_is_todays_rotation_bit_for_bit(strategy):
    sequences = []
    for catch_up in (False, None):
        queue = _queue(strategy, [1, 2, 3], catch_up=catch_up)
        owners = []
        for step in range(12):
            owners += _run(queue, 5, away={1 + step % 3} if step % 2 else ())[0]
        sequences.append((owners, _state(queue), queue.turn_weight,
                          [member.current_weight for member in queue.members]))
    assert sequences[0] == sequences[1]
    assert sequences[0][1] == [(0, 0, 0)] * 3


def test_sequential_ignores_catch_up():
    on, off = _queue("sequential", [1, 1, 1]), _queue("sequential", [1, 1, 1], False)
    assert _run(on, 4, away={2}) == _run(off, 4, away={2})
    assert _run(on, 6) == _run(off, 6)
    assert _state(on) == [(0, 0, 0)] * 3


def test_catch_up_through_allocate():
    queue = _queue("weighted", [3, 1])
    queue.members[1].available = False
    rules = [Rule(id=1, sequence=1, target_type="queue", queue_id=10)]
    leads = [Lead(id=lead_id) for lead_id in range(1, 9)]
    decisions = allocate(leads, rules, {10: queue})
    assert [decision.user_id for decision in decisions] == [1] * 8
    assert queue.members[1].missed == 2
    queue.members[1].available = True
    decisions = allocate(leads, rules, {10: queue})
    assert [decision.user_id for decision in decisions] == [1, 2, 1, 2, 1, 1, 2, 1]
