# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import itertools
import random
from collections import Counter

import pytest

from engine import Member, Queue, Rotation, pick

A, B, C, D = 101, 102, 103, 104


def queue(strategy, *members, **kwargs):
    members = [m if isinstance(m, Member) else Member(m) for m in members]
    return Queue(kwargs.pop("id", 1), strategy, members, **kwargs)


def picks(q, count):
    """User ids of ``count`` successive picks (None when nobody can take one)."""
    result = []
    for _ in range(count):
        member, _skipped = pick(q)
        result.append(None if member is None else member.user_id)
    return result


def persisted(q):
    """A fresh copy of ``q``, as the adapter would rebuild it from the database."""
    return Queue(q.id, q.strategy, [
        Member(m.user_id, m.weight, m.max_open, m.available, m.active, m.load,
               m.current_weight) for m in q.members], last_user_id=q.last_user_id)


# --- sequential -------------------------------------------------------------------

def test_sequential_nine_over_three_in_turn():
    q = queue("sequential", A, B, C)
    sequence = picks(q, 9)
    assert sequence == [A, B, C] * 3
    assert Counter(sequence) == {A: 3, B: 3, C: 3}


def test_sequential_resumes_after_last_user():
    assert picks(queue("sequential", A, B, C, last_user_id=B), 4) == [C, A, B, C]


def test_sequential_last_user_gone_starts_at_first_member():
    assert picks(queue("sequential", A, B, C, last_user_id=D), 2) == [A, B]


def test_sequential_follows_member_order_not_ids():
    assert picks(queue("sequential", C, A, B), 4) == [C, A, B, C]


def test_sequential_skips_unavailable_and_keeps_rotating():
    q = queue("sequential", A, Member(B, available=False), C)
    assert picks(q, 4) == [A, C, A, C]
    assert pick(q)[1] == ((B, "unavailable"),)


def test_sequential_continues_after_last_user_who_became_ineligible():
    q = queue("sequential", A, Member(B, available=False), C, D, last_user_id=B)
    assert picks(q, 3) == [C, D, A]


def test_sequential_capped_member_leaves_the_rotation():
    q = queue("sequential", A, Member(B, max_open=2, load=1), C)
    assert picks(q, 5) == [A, B, C, A, C]
    member, skipped = pick(q)
    assert skipped == ((B, "cap"),)


# --- eligibility --------------------------------------------------------------------

@pytest.mark.parametrize("member, why", [
    (Member(A, active=False, available=False, max_open=1, load=5), "archived"),
    (Member(A, available=False, max_open=1, load=5), "unavailable"),
    (Member(A, max_open=1, load=1), "cap"),
    (Member(A, max_open=3, load=7), "cap"),
])
def test_skip_reason_checked_in_order(member, why):
    q = queue("sequential", member, B)
    chosen, skipped = pick(q)
    assert chosen.user_id == B
    assert skipped == ((A, why),)


@pytest.mark.parametrize("strategy", ["sequential", "weighted", "least_loaded"])
def test_nobody_eligible_returns_none_and_every_reason(strategy):
    q = queue(strategy, Member(A, active=False), Member(B, available=False),
              Member(C, max_open=2, load=2), last_user_id=B)
    member, skipped = pick(q)
    assert member is None
    assert skipped == ((A, "archived"), (B, "unavailable"), (C, "cap"))
    assert q.last_user_id == B
    assert [m.load for m in q.members] == [0, 0, 2]


@pytest.mark.parametrize("strategy", ["sequential", "weighted", "least_loaded"])
def test_empty_queue(strategy):
    assert pick(queue(strategy)) == (None, ())


def test_no_cap_when_max_open_is_zero():
    q = queue("sequential", Member(A, max_open=0, load=10 ** 6))
    assert pick(q)[0].user_id == A


@pytest.mark.parametrize("strategy", ["sequential", "weighted", "least_loaded"])
def test_pick_mutates_load_and_last_user(strategy):
    q = queue(strategy, Member(A, load=3), Member(B, load=3))
    member, _skipped = pick(q)
    assert member.user_id == A
    assert member.load == 4
    assert q.last_user_id == A
    assert q.members[1].load == 3


def test_unknown_strategy_rejected():
    with pytest.raises(ValueError):
        Queue(1, "random", [])


# --- weighted -----------------------------------------------------------------------

def test_weighted_one_two_three_over_sixty():
    q = queue("weighted", Member(A, weight=1), Member(B, weight=2), Member(C, weight=3))
    sequence = picks(q, 60)
    assert Counter(sequence) == {A: 10, B: 20, C: 30}
    for block in range(10):
        assert Counter(sequence[block * 6:block * 6 + 6]) == {A: 1, B: 2, C: 3}
    assert all(len(set(sequence[i:i + 3])) > 1 for i in range(len(sequence) - 2))
    # A full cycle brings the current weights back to zero.
    assert [m.current_weight for m in q.members] == [0, 0, 0]


def test_weighted_equal_weights_tie_breaks_after_last_user():
    q = queue("weighted", A, B, C, last_user_id=B)
    assert picks(q, 6) == [C, A, B, C, A, B]


def test_weighted_tie_is_not_broken_by_member_order():
    # A and C tie on the third pick; the cyclic order after the last pick (B) puts
    # C first, where plain member order would give A.
    q = queue("weighted", Member(A, weight=1), Member(B, weight=2), Member(C, weight=3))
    assert picks(q, 3) == [C, B, C]


def test_weighted_uses_only_eligible_members():
    q = queue("weighted", Member(A, weight=1), Member(B, weight=5, available=False),
              Member(C, weight=1, current_weight=4))
    # A, C: 1, 5 -> C (5-2); 2, 4 -> C; 3, 3 tie -> A (after C); 2, 4 -> C.
    assert picks(q, 4) == [C, C, A, C]
    assert [m.current_weight for m in q.members] == [2, 0, 2]


def test_weighted_persisted_current_weight_is_used():
    q = queue("weighted", Member(A, weight=1, current_weight=-5), Member(B, weight=1))
    assert picks(q, 4) == [B, B, B, A]


def test_weighted_member_capped_mid_run_gives_back_its_share():
    q = queue("weighted", Member(A, weight=1), Member(B, weight=3, max_open=2))
    sequence = picks(q, 6)
    assert Counter(sequence) == {A: 4, B: 2}
    assert pick(q)[1] == ((B, "cap"),)


# --- least loaded -------------------------------------------------------------------

def test_least_loaded_picks_lowest_load():
    q = queue("least_loaded", Member(A, load=5), Member(B, load=3), Member(C, load=4))
    assert picks(q, 6) == [B, C, B, C, A, B]
    assert [m.load for m in q.members] == [6, 6, 6]


def test_least_loaded_ties_rotate_from_last_user():
    q = queue("least_loaded", A, B, C, last_user_id=B)
    assert picks(q, 6) == [C, A, B, C, A, B]


def test_least_loaded_ties_not_by_id_or_creation_order():
    # Members listed by descending id: the rotation follows the list and then the
    # cyclic order after the last pick, never the ids.
    q = queue("least_loaded", 30, 20, 10)
    assert picks(q, 4) == [30, 20, 10, 30]
    q = queue("least_loaded", 30, 20, 10, last_user_id=20)
    assert picks(q, 3) == [10, 30, 20]


def test_least_loaded_skips_capped_even_if_lowest():
    q = queue("least_loaded", Member(A, load=0, max_open=1), Member(B, load=9))
    assert picks(q, 3) == [A, B, B]


# --- resumption from persisted state -------------------------------------------------

@pytest.mark.parametrize("strategy", ["sequential", "weighted", "least_loaded"])
def test_resume_from_persisted_state_gives_the_same_sequence(strategy):
    def fresh():
        return queue(strategy, Member(A, weight=1, load=2), Member(B, weight=2),
                     Member(C, weight=3, load=1, max_open=12),
                     Member(D, weight=2, available=False))

    one_go = picks(fresh(), 30)
    q, in_parts = fresh(), []
    for _ in range(3):
        in_parts += picks(q, 10)
        q = persisted(q)
    assert in_parts == one_go


# --- shared loads ---------------------------------------------------------------------

def test_rotation_shares_loads_between_queues():
    first = queue("sequential", A, id=1)
    second = queue("least_loaded", Member(B, load=1), Member(A, load=0), id=2)
    rotation = Rotation({1: first, 2: second})
    assert rotation.pick(1)[0].user_id == A
    assert second.members[1].load == 1
    # A and B now tie at 1: cyclic order (no last user) starts with B.
    assert rotation.pick(2)[0].user_id == B
    assert rotation.pick(2)[0].user_id == A
    assert first.members[0].load == second.members[1].load == 2


def test_rotation_aligns_a_users_loads_on_the_highest():
    first = queue("sequential", Member(A, load=3), id=1)
    second = queue("sequential", Member(A, load=5), id=2)
    Rotation({1: first, 2: second})
    assert first.members[0].load == second.members[0].load == 5


def test_cap_reached_through_another_queue_makes_member_ineligible():
    first = queue("sequential", Member(A, max_open=2, load=1), B, id=1)
    second = queue("sequential", A, id=2)
    rotation = Rotation({1: first, 2: second})
    assert rotation.pick(2)[0].user_id == A
    assert rotation.pick(1) == (first.members[1], ((A, "cap"),))


def test_charge_counts_a_lead_given_outside_the_rotation():
    q = queue("least_loaded", A, B, Member(C, max_open=1))
    rotation = Rotation({1: q})
    rotation.charge(A)
    rotation.charge(C)
    assert [m.load for m in q.members] == [1, 0, 1]
    assert rotation.pick(1) == (q.members[1], ((C, "cap"),))


def test_charge_of_user_outside_queues_is_harmless():
    rotation = Rotation({1: queue("sequential", A)})
    rotation.charge(D)
    assert rotation.pick(1)[0].load == 1


def test_archived_through_user_active_or_another_membership():
    first = queue("sequential", Member(A, active=False), B, id=1)
    second = queue("sequential", A, C, id=2)
    rotation = Rotation({1: first, 2: second}, user_active={C: False, B: True})
    assert rotation.pick(2) == (None, ((A, "archived"), (C, "archived")))
    assert rotation.pick(1)[0].user_id == B


def test_unknown_queue_id_behaves_like_an_empty_queue():
    assert Rotation({}).pick(42) == (None, ())


def test_skipped_tuple_is_shared_until_eligibility_changes():
    q = queue("sequential", Member(A, available=False), B, Member(C, max_open=1))
    rotation = Rotation({1: q})
    first = rotation.pick(1)[1]
    assert rotation.pick(1) == (q.members[2], first)    # C reaches his cap
    second = rotation.pick(1)[1]
    assert second == ((A, "unavailable"), (C, "cap"))
    assert rotation.pick(1)[1] is second


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("strategy", ["sequential", "weighted", "least_loaded"])
def test_random_queues_respect_eligibility(seed, strategy):
    rnd = random.Random(seed)
    members = [Member(user, weight=rnd.randint(1, 4), max_open=rnd.choice((0, 3, 8)),
                      available=rnd.random() > 0.2, active=rnd.random() > 0.1,
                      load=rnd.randint(0, 5))
               for user in rnd.sample(range(1, 50), rnd.randint(1, 8))]
    q = Queue(1, strategy, members, last_user_id=rnd.choice([None, members[0].user_id]))
    for _ in range(40):
        loads = {m.user_id: m.load for m in members}
        member, skipped = pick(q)
        ineligible = {m.user_id for m in members if not m.active or not m.available
                      or 0 < m.max_open <= loads[m.user_id]}
        assert {user for user, _why in skipped} == ineligible
        if member is None:
            assert ineligible == {m.user_id for m in members}
            break
        assert member.user_id not in ineligible
        if strategy == "least_loaded":
            assert loads[member.user_id] == min(
                load for user, load in loads.items() if user not in ineligible)
        assert member.load == loads[member.user_id] + 1


def test_member_order_is_cyclic_for_every_start():
    for last in (None, A, B, C, D):
        q = queue("sequential", A, B, C, D, last_user_id=last)
        start = 0 if last is None else [A, B, C, D].index(last) + 1
        expected = list(itertools.islice(itertools.cycle([A, B, C, D]), start, start + 4))
        assert picks(q, 4) == expected
