# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Round-robin queues: who in a queue takes the next lead.

A ``Queue`` lists its ``Member`` objects in the admin's order.  ``pick(queue)`` chooses
one member with the queue's strategy and returns ``(member, skipped)``, where
``skipped`` is a tuple of ``(user_id, why)`` for every member that cannot take a lead
right now, checked in this order:

``'archived'``     the user is archived (``Member.active`` False),
``'unavailable'``  the member is marked unavailable,
``'on_leave'``,    the adapter says the member is away now (``Member.absence``, an
``'off_shift'``    ``Absence`` or any object with ``code`` one of these two: on
                   leave or a public holiday, or outside his working hours),
``'cap'``          ``load >= max_open > 0``,
``'new_cap'``      his daily or weekly cap of new leads is reached (``new_left`` 0).

Strategies (ties are always broken in cyclic member order starting right AFTER
``queue.last_user_id``, so tied members take turns; never by creation order or id):

``'sequential'``    the next eligible member after ``last_user_id``;
``'weighted'``      smooth weighted round-robin (the nginx algorithm) over the eligible
                    members: each adds its weight to ``current_weight``, the highest
                    wins and gives back the total eligible weight.  From zero
                    weights, 1:2:3 gives exactly 1, 2 and 3 leads in every 6,
                    interleaved;
``'least_loaded'``  the eligible member with the lowest ``load``.

Picking mutates the state the adapter persists: ``queue.last_user_id``,
``Member.load`` (+1 for the chosen user) and, for weighted queues,
``Member.current_weight`` (written back by ``Rotation.flush()``; ``allocate`` and
``pick`` call it).

Shared loads.  A ``Rotation`` covers all the queues of one allocation run.  It keeps
every ``Member`` object of a user at the same ``load`` (the highest one given, since
``load`` counts the user's open leads in all teams), and each new lead of a user is
written to all of them at once (``Rotation.charge``).  So a lead given through queue A
is seen by queue B, and so is a lead given to the user directly (user rule, owner
continuity).  A user archived in one queue (``Member.active`` False) or in
``user_active`` is archived everywhere.

Lazy loads.  Counting a user's open leads costs a database query that grows with the
leads he holds, and most queues never look at loads: only a capped member's load and
the loads of a least-loaded queue decide anything.  With ``Rotation(...,
load_of=...)`` the ``Member.load`` values given count from zero (the leads of this run)
and ``load_of(user_ids) -> {user_id: open leads}`` is asked, once per user, the first
time a queue needs them: when the queue builds its eligible list, for its capped
members, and for every member of a least-loaded queue.  A queue that is never picked
from costs nothing; decisions are the same as with every load given up front.

Speed.  Archived and unavailable members cannot change during a run and loads only
grow, so each queue caches its eligible members and its ``skipped`` tuple and rebuilds
them only when one of its members reaches his cap.  Between rebuilds ``pick`` returns
the very same ``skipped`` tuple, which lets callers share what they derive from it.
Weighted queues replay memoized steps and least-loaded queues keep the members at the
lowest load, so no strategy walks the members in Python on every pick.
"""
from bisect import bisect_left
from collections import namedtuple
from operator import add

__all__ = ["Absence", "Member", "Queue", "Rotation", "pick", "STRATEGIES"]

# Memoized weighted steps kept per queue.  From zero weights the steps cycle within
# members x total weight (20 members of weight 1-3: a few hundred); the bound only
# guards against persisted weights that would keep producing new states.
_MAX_STEPS = 4096

ARCHIVED = "archived"
UNAVAILABLE = "unavailable"
CAP = "cap"
# The member's daily or weekly cap of new leads is reached (``Member.new_left``).
NEW_CAP = "new_cap"
ON_LEAVE = "on_leave"
OFF_SHIFT = "off_shift"
# Why a member is away: the ones a queue may hold a lead for.
AWAY = frozenset((ON_LEAVE, OFF_SHIFT))

Absence = namedtuple("Absence", "code until hours tz")
Absence.__doc__ = """Why a member cannot take a lead at the moment of a run.

``code`` is ``'on_leave'`` (his own leave or a public holiday) or ``'off_shift'``;
the engine reads nothing else.  ``until`` (UTC, the end of the leave), ``hours`` (the
local working hours of that day, ``((9.0, 18.0),)``) and ``tz`` (a zone name) are for
the adapter's reason text."""


class Member(object):
    """One user in one queue.  ``max_open`` 0 means no cap; ``load`` counts the
    user's open leads in all teams; ``current_weight`` is the weighted state."""

    __slots__ = ("user_id", "weight", "max_open", "available", "active", "load",
                 "current_weight", "absence", "new_left")

    def __init__(self, user_id, weight=1, max_open=0, available=True, active=True,
                 load=0, current_weight=0, absence=None, new_left=None):
        self.user_id = user_id
        # How many more new leads he may get in this run under his daily and weekly
        # caps (the adapter counts what he got today and this week); None: no cap.
        # Every lead given to him counts, as for ``load``; at 0 he is skipped.
        self.new_left = new_left
        # None (present), or why he cannot take a lead now (see ``Absence``): fixed
        # for a run, decided by the adapter from his working time at the run's moment.
        self.absence = absence
        self.weight = weight
        self.max_open = max_open
        self.available = available
        self.active = active
        self.load = load
        self.current_weight = current_weight

    def __repr__(self):
        return "Member(user_id=%r, load=%r)" % (self.user_id, self.load)


class Queue(object):
    """A rotation queue.  A user appears at most once in ``members``."""

    __slots__ = ("id", "strategy", "members", "last_user_id", "name", "hold")

    def __init__(self, id, strategy, members, last_user_id=None, name="", hold=False):
        if strategy not in STRATEGIES:
            raise ValueError("unknown strategy %r" % (strategy,))
        self.id = id
        self.strategy = strategy
        self.members = list(members)
        self.last_user_id = last_user_id
        self.name = name
        # When nobody can take a lead because the members are away (on leave, off
        # shift): hold the lead for the next shift instead of trying the next rule.
        self.hold = hold

    def __repr__(self):
        return "Queue(id=%r, strategy=%r)" % (self.id, self.strategy)


class _QueueState(object):
    """The cached view of one queue inside a ``Rotation``; one subclass per strategy.

    ``eligible`` is rebuilt by ``refresh`` only when it can have changed.  ``choose``
    gets ``start``, the index in ``eligible`` of the first member after
    ``last_user_id`` in cyclic order, and returns the chosen member's index.
    """

    __slots__ = ("queue", "by_user", "archived", "seats", "eligible", "start_after",
                 "skipped", "stale", "fetch")
    # Whether the strategy reads every member's load (not only capped members').
    all_loads = False

    def __init__(self, queue, archived, seats, fetch=None):
        self.queue = queue
        self.by_user = {}
        for member in queue.members:
            self.by_user.setdefault(member.user_id, member)
        self.archived = archived
        self.seats = seats
        # Rotation.fetch_loads with lazy loads, else None.
        self.fetch = fetch
        self.eligible = []
        self.reset()
        self.stale = True

    def refresh(self):
        self.flush()
        if self.fetch is not None:
            self.fetch([member.user_id for member in self.queue.members
                        if self.all_loads or member.max_open > 0])
        eligible, skipped = [], []
        # user_id -> index in ``eligible`` of the first eligible member after him,
        # for every member (a user who just became ineligible can still be last).
        start_after = {}
        for member in self.queue.members:
            if member.user_id in self.archived:
                skipped.append((member.user_id, ARCHIVED))
            elif not member.available:
                skipped.append((member.user_id, UNAVAILABLE))
            elif member.absence is not None:
                skipped.append((member.user_id, member.absence.code))
            elif 0 < member.max_open <= member.load:
                skipped.append((member.user_id, CAP))
            elif member.new_left is not None and member.new_left <= 0:
                skipped.append((member.user_id, NEW_CAP))
            else:
                eligible.append(member)
            start_after.setdefault(member.user_id, len(eligible))
        count = len(eligible)
        self.start_after = {
            user_id: start % count for user_id, start in start_after.items()
        } if count else {}
        self.eligible = eligible
        self.skipped = tuple(skipped)
        self.stale = False
        self.reset()

    def reset(self):
        """Rebuild the strategy's own cache after ``eligible`` changed."""

    def flush(self):
        """Write the strategy's cached state back to the ``Member`` objects."""

    def pick(self):
        if self.stale:
            self.refresh()
        if not self.eligible:
            return None, self.skipped
        queue = self.queue
        # No last user, or one no longer in the queue: start at the first member.
        member = self.eligible[self.choose(self.start_after.get(queue.last_user_id, 0))]
        user_id = member.user_id
        queue.last_user_id = user_id
        # Rotation.charge(user_id), inlined: this runs once per lead.
        load = member.load + 1
        for seat, state in self.seats[user_id]:
            seat.load = load
            if load == seat.max_open:
                state.stale = True
            if seat.new_left is not None:
                seat.new_left -= 1
                if seat.new_left <= 0:
                    state.stale = True
        return member, self.skipped


class _Sequential(_QueueState):
    __slots__ = ()

    def choose(self, start):
        return start


class _Weighted(_QueueState):
    """Smooth weighted round-robin, memoized.

    A pick depends only on the current weights and on where the cyclic order starts,
    never on loads; from zero weights the sequence repeats after every total-weight
    picks.  So each (current weights, start) step is computed once (with ``map`` and
    ``max`` running in C) and replayed from ``steps`` afterwards.  The current weights
    live in the tuple ``weights_now`` during a run; ``flush`` copies them to
    ``Member.current_weight``.
    """

    __slots__ = ("weights", "weights_now", "total_weight", "orders", "steps")

    def reset(self):
        eligible = self.eligible
        self.weights = [member.weight for member in eligible]
        self.weights_now = tuple(member.current_weight for member in eligible)
        self.total_weight = sum(self.weights)
        indexes = list(range(len(eligible)))
        # orders[start]: the indexes in cyclic order from start; max() keeps the
        # first of equal values, which is the cyclic tie-break.
        self.orders = [indexes[start:] + indexes[:start] for start in indexes]
        # (weights_now, start) -> (chosen index, next weights_now)
        self.steps = {}

    def flush(self):
        for member, weight in zip(self.eligible, self.weights_now):
            member.current_weight = weight

    def choose(self, start):
        key = (self.weights_now, start)
        step = self.steps.get(key)
        if step is None:
            now = list(map(add, self.weights_now, self.weights))
            index = max(self.orders[start], key=now.__getitem__)
            now[index] -= self.total_weight
            step = (index, tuple(now))
            # Persisted weights far from a cycle could keep the steps new: bound them.
            if len(self.steps) < _MAX_STEPS:
                self.steps[key] = step
        index, self.weights_now = step
        return index


class _LeastLoaded(_QueueState):
    """Least loaded, without scanning every member on every pick.

    ``level`` holds, in member order, the indexes of the eligible members whose load
    was ``lowest`` when it was built.  Loads only grow during a run, so nobody
    eligible is ever below ``lowest``, and an entry whose load has grown (given a
    lead here or through another queue) is simply dropped when met.  The level is
    rebuilt when it runs dry.
    """

    __slots__ = ("lowest", "level")
    all_loads = True

    def reset(self):
        self.level = []

    def choose(self, start):
        eligible, level = self.eligible, self.level
        while True:
            if not level:
                self.lowest = min(member.load for member in eligible)
                level[:] = [index for index, member in enumerate(eligible)
                            if member.load == self.lowest]
            position = bisect_left(level, start)
            if position == len(level):
                position = 0
            index = level.pop(position)
            if eligible[index].load == self.lowest:
                return index


STRATEGIES = {
    "sequential": _Sequential,
    "weighted": _Weighted,
    "least_loaded": _LeastLoaded,
}


def _nobody():
    return None, ()


class Rotation(object):
    """Rotation state of several queues during one allocation run.

    ``queues`` maps queue id to ``Queue``; ``user_active`` optionally maps user id to
    ``False`` for archived users (in addition to ``Member.active``).  ``load_of``:
    see "Lazy loads" above; without it the members' loads are complete.
    """

    __slots__ = ("archived", "_states", "_seats", "_load_of", "_unread")

    def __init__(self, queues, user_active=None, load_of=None):
        self.archived = set(
            user_id for user_id, active in (user_active or {}).items() if not active)
        # user_id -> [(member, queue state)]: every membership a new lead updates.
        self._seats = {}
        self._states = {}
        self._load_of = load_of
        fetch = self.fetch_loads if load_of is not None else None
        loads = {}
        for queue_id, queue in queues.items():
            state = self._states[queue_id] = STRATEGIES[queue.strategy](
                queue, self.archived, self._seats, fetch)
            for member in queue.members:
                self._seats.setdefault(member.user_id, []).append((member, state))
                loads[member.user_id] = max(loads.get(member.user_id, 0), member.load)
                if not member.active:
                    self.archived.add(member.user_id)
        for user_id, seats in self._seats.items():
            for member, _state in seats:
                member.load = loads[user_id]
        # Lazy loads: the users whose open leads are not counted in ``load`` yet.
        self._unread = set(self._seats) if load_of is not None else set()

    def fetch_loads(self, user_ids):
        """Add the open leads of those of ``user_ids`` not read yet to their loads.

        Until then a seat's ``load`` counted only this run's leads; every queue that
        reads it (capped members at refresh, least-loaded queues) asks first, so no
        decision ever sees a partial load.
        """
        unread = [user_id for user_id in user_ids if user_id in self._unread]
        if not unread:
            return
        self._unread.difference_update(unread)
        counts = self._load_of(unread)
        for user_id in unread:
            base = counts.get(user_id, 0)
            if base:
                for member, _state in self._seats[user_id]:
                    member.load += base

    def picker(self, queue_id):
        """A function ``() -> (member, skipped)`` picking in queue ``queue_id``.

        ``member`` is ``None`` when nobody is eligible.  An unknown queue id behaves
        like an empty queue: a rule pointing to a queue the adapter did not load can
        then only fall through, not crash the batch.
        """
        state = self._states.get(queue_id)
        return _nobody if state is None else state.pick

    def pick(self, queue_id):
        """Choose the member of queue ``queue_id`` who takes the next lead."""
        return self.picker(queue_id)()

    def charge(self, user_id):
        """Count one more open lead for ``user_id`` in every queue he belongs to."""
        seats = self._seats.get(user_id)
        if seats is None:
            return
        load = seats[0][0].load + 1
        for member, state in seats:
            member.load = load
            # Loads grow by one, so "== max_open" is the moment the cap is reached.
            if load == member.max_open:
                state.stale = True
            if member.new_left is not None:
                member.new_left -= 1
                if member.new_left <= 0:
                    state.stale = True

    def flush(self):
        """Write back the state kept off the ``Member`` objects during the run
        (weighted current weights); call it once the picks are done."""
        for state in self._states.values():
            state.flush()

    def member(self, queue_id, user_id):
        """The ``Member`` of ``user_id`` in queue ``queue_id``, or ``None``."""
        state = self._states.get(queue_id)
        return None if state is None else state.by_user.get(user_id)


def pick(queue):
    """Choose who in ``queue`` takes the next lead: ``(member or None, skipped)``.

    For a single queue on its own; ``allocate`` uses one ``Rotation`` for all queues
    so that loads are shared between them.
    """
    rotation = Rotation({queue.id: queue})
    chosen = rotation.pick(queue.id)
    rotation.flush()
    return chosen
