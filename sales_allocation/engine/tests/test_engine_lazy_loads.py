# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Lazy loads (``allocate(..., load_of=...)``): the same decisions as with every load
given up front, and a user's open leads are asked for only when a decision reads them,
at most once per run."""
import pytest

from engine import Lead, Member, Queue, Rule, allocate
from test_engine_properties import configuration


class LoadSource(object):
    """``load_of`` over fixed counts, remembering what it was asked."""

    def __init__(self, counts):
        self.counts = counts
        self.asked = []

    def __call__(self, user_ids):
        self.asked.extend(user_ids)
        return {user: self.counts[user] for user in user_ids if self.counts.get(user)}


def lazy_configuration(seed):
    """``configuration(seed)`` with the loads moved from the members to a LoadSource
    (one count per user, as the database gives: the highest of his seats)."""
    data = configuration(seed)
    counts = {}
    for queue in data["queues"].values():
        for member in queue.members:
            counts[member.user_id] = max(counts.get(member.user_id, 0), member.load)
            member.load = 0
    source = LoadSource(counts)
    data["load_of"] = source
    return data, source


def rotation_state(queues):
    return {queue_id: (queue.last_user_id, [m.current_weight for m in queue.members])
            for queue_id, queue in queues.items()}


@pytest.mark.parametrize("seed", range(400))
def test_lazy_loads_decide_as_eager_loads(seed):
    eager = configuration(seed)
    lazy, source = lazy_configuration(seed)
    assert allocate(**lazy) == allocate(**eager)
    assert rotation_state(lazy["queues"]) == rotation_state(eager["queues"])
    # Asked once per user at most, and then his loads are the eager ones.
    assert len(source.asked) == len(set(source.asked))
    eager_loads = {(queue_id, m.user_id): m.load
                   for queue_id, queue in eager["queues"].items() for m in queue.members}
    for queue_id, queue in lazy["queues"].items():
        for member in queue.members:
            if member.user_id in source.asked:
                assert member.load == eager_loads[(queue_id, member.user_id)]


def _queue(queue_id, strategy, users, cap=0):
    return Queue(queue_id, strategy, [Member(user, max_open=cap) for user in users])


def _leads(count):
    return [Lead(lead_id) for lead_id in range(1, count + 1)]


def test_a_queue_without_caps_that_ignores_loads_never_asks():
    source = LoadSource({1: 500, 2: 3})
    queues = {1: _queue(1, "sequential", [1, 2]), 2: _queue(2, "weighted", [1, 2])}
    rules = [Rule(1, 1, "queue", queue_id=1, country_ids=[7]),
             Rule(2, 2, "queue", queue_id=2)]
    decisions = allocate(_leads(10), rules, queues, load_of=source)
    assert [d.user_id for d in decisions] == [1, 2] * 5
    assert source.asked == []


def test_only_the_queue_picked_from_is_counted_and_once_per_run():
    source = LoadSource({1: 5, 2: 0, 3: 9, 4: 1})
    queues = {1: _queue(1, "least_loaded", [1, 2]),
              2: _queue(2, "least_loaded", [3, 4])}
    rules = [Rule(1, 1, "queue", queue_id=1), Rule(2, 2, "queue", queue_id=2)]
    decisions = allocate(_leads(8), rules, queues, load_of=source)
    # User 2 catches up from 0 to 5, then they alternate.
    assert [d.user_id for d in decisions] == [2, 2, 2, 2, 2, 1, 2, 1]
    assert sorted(source.asked) == [1, 2]


def test_a_cap_counts_the_open_leads_read_late_plus_this_runs_leads():
    # Both may hold 5: user 1 holds 3 open leads, so two more; user 2 takes five.
    source = LoadSource({1: 3})
    queues = {1: _queue(1, "sequential", [1, 2], cap=5)}
    rules = [Rule(1, 1, "queue", queue_id=1)]
    decisions = allocate(_leads(8), rules, queues, load_of=source)
    assert [d.user_id for d in decisions] == [1, 2, 1, 2, 2, 2, 2, None]
    assert sorted(source.asked) == [1, 2]


def test_loads_given_before_the_cap_is_read_are_not_lost():
    # User 1 gets leads directly (user rule) before his capped queue is consulted:
    # those count on top of his open leads when the queue reads them.
    source = LoadSource({1: 2})
    queues = {1: _queue(1, "sequential", [1, 2], cap=4)}
    rules = [Rule(1, 1, "user", user_id=1, country_ids=[7]),
             Rule(2, 2, "queue", queue_id=1)]
    leads = [Lead(1, country_id=7), Lead(2, country_id=7), Lead(3), Lead(4), Lead(5)]
    decisions = allocate(leads, rules, queues, load_of=source)
    assert [d.user_id for d in decisions] == [1, 1, 2, 2, 2]
