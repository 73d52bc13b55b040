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
``Member.load`` (+1 for the chosen user), for weighted queues
``Member.current_weight`` (written back by ``Rotation.flush()``; ``allocate`` and
``pick`` call it) and, for queues that catch up, ``Queue.turn_weight``,
``Member.missed``, ``Member.credit`` and ``Member.payback_weight`` (set at once).

Catch-up after absence (``Queue.catch_up``, weighted and least-loaded queues only;
sequential queues ignore it: a member away simply loses his turns).  Without it
(the default) nothing below happens: an away member is skipped, a weighted member's
``current_weight`` does not move while he is away, and least loaded compares open
leads only.  With it, a member away keeps a count of the leads he missed
(``Member.missed``) and gets them back gradually when he returns:

Away means skipped as ``'unavailable'`` (unless ``Member.excluded``: a caller that
keeps a rep out of one pick, a reclaim cooldown or a rep leaving a territory),
``'on_leave'`` or ``'off_shift'``.  Archived members and members at a cap (``'cap'``,
``'new_cap'``) are not away: they count nothing.  Only leads the queue itself gives
count (not a lead given to a user directly, nor one the queue could not place).
Missed leads are counted per queue, in the queue's own rotation state.

Counting, weighted.  ``T`` is the total weight of the members at work (eligible) and
away.  For every lead the queue gives, each away member adds his weight to
``Member.credit``; each time it reaches ``T`` it gives back ``T`` and ``missed``
grows by one.  So of ``n`` leads given while he is away (``T`` unchanged) he missed
exactly ``floor(n * weight / T)``; the remainder is kept for his next absence.

Counting, least loaded.  A member's effective load is ``load + missed``.  After
every lead the queue gives, an away member whose effective load is below the lowest
effective load of the members at work is raised to it (``missed`` grows by the
difference).  So ``missed`` is how far he fell behind the least loaded member at
work, and he comes back level with him.  At work, least loaded compares effective
loads too: what he is still owed counts as taken, so he is not given every lead at
once when he returns (what least loaded does without catch-up: ``missed`` is 0).

Giving back.  While members at work are owed leads (``missed > 0``), each has a
payback seat of his own weight beside the queue's turn seat, whose weight is the
total weight of the members at work.  For every lead a smooth weighted round-robin
between these seats (current weights: ``Queue.turn_weight`` and
``Member.payback_weight``; ties: the turn seat, then the members' order) decides: the
turn seat lets the strategy choose as without catch-up; a payback seat gives the
lead to its member and ``missed`` drops by one.  A payback seat never wins the lead
right after one its member got (``last_user_id``): the turn seat or another seat
takes it, and his seat, still growing, wins a later one.  So he gets back at most
his weight's worth of missed leads per ``S`` leads (``S``: the turn seat's weight
plus the weights being paid back; exactly that unless his seat is held back), on top
of his normal turns, and a lead given back never comes straight after a lead of his
(one of his normal turns may follow it), until ``missed`` is 0.  With 3:1,
the 1 away for 8 leads misses 2; back, he gets leads 2, 4, 7, 9 and 12 after his
return (2 paid back, the rest his turns) instead of 2, 6 and 10.  A seat closes (its
weight to 0) when it is paid; with no seat open the turn seat's weight is 0; nothing
is paid back while only one member is at work.  Owed members away again keep their
seat's weight frozen.

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
                 "current_weight", "absence", "new_left", "missed", "credit",
                 "payback_weight", "excluded")

    def __init__(self, user_id, weight=1, max_open=0, available=True, active=True,
                 load=0, current_weight=0, absence=None, new_left=None, missed=0,
                 credit=0, payback_weight=0, excluded=False):
        self.user_id = user_id
        # Catch-up state (see "Catch-up after absence"): leads missed while away and
        # not given back yet, the weighted count's remainder, the payback seat's
        # current weight.  Read and moved only in queues that catch up.
        self.missed = missed
        self.credit = credit
        self.payback_weight = payback_weight
        # Kept out by the caller for this pick only (with ``available`` False):
        # skipped as unavailable but not away, so he counts no missed lead.
        self.excluded = excluded
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

    __slots__ = ("id", "strategy", "members", "last_user_id", "name", "hold",
                 "catch_up", "turn_weight")

    def __init__(self, id, strategy, members, last_user_id=None, name="", hold=False,
                 catch_up=False, turn_weight=0):
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
        # Count what members away miss and give it back (weighted, least loaded).
        self.catch_up = catch_up
        # The turn seat's current weight while members are paid back.
        self.turn_weight = turn_weight

    def __repr__(self):
        return "Queue(id=%r, strategy=%r)" % (self.id, self.strategy)


class _QueueState(object):
    """The cached view of one queue inside a ``Rotation``; one subclass per strategy.

    ``eligible`` is rebuilt by ``refresh`` only when it can have changed.  ``choose``
    gets ``start``, the index in ``eligible`` of the first member after
    ``last_user_id`` in cyclic order, and returns the chosen member's index.
    """

    __slots__ = ("queue", "by_user", "archived", "seats", "eligible", "start_after",
                 "skipped", "stale", "fetch", "catching_up", "away", "rota_weight",
                 "turn_total")
    # Whether the strategy reads every member's load (not only capped members').
    all_loads = False
    # Whether ``Queue.catch_up`` means anything for the strategy.
    catches_up = False

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
        # Catch-up: the members away (``away``), the total weight of the eligible
        # members (``turn_total``) and of those and the away ones (``rota_weight``).
        self.catching_up = bool(queue.catch_up) and self.catches_up
        self.away = []
        self.rota_weight = self.turn_total = 0
        self.reset()
        self.stale = True

    def refresh(self):
        self.flush()
        if self.fetch is not None:
            self.fetch([member.user_id for member in self.queue.members
                        if self.all_loads or member.max_open > 0])
        eligible, skipped, away = [], [], []
        # user_id -> index in ``eligible`` of the first eligible member after him,
        # for every member (a user who just became ineligible can still be last).
        start_after = {}
        for member in self.queue.members:
            if member.user_id in self.archived:
                skipped.append((member.user_id, ARCHIVED))
            elif not member.available:
                skipped.append((member.user_id, UNAVAILABLE))
                if not member.excluded:
                    away.append(member)
            elif member.absence is not None:
                skipped.append((member.user_id, member.absence.code))
                away.append(member)
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
        if self.catching_up:
            self.away = away
            self.turn_total = sum(member.weight for member in eligible)
            self.rota_weight = self.turn_total + sum(member.weight for member in away)
        self.stale = False
        self.reset()

    def catch_up(self):
        """The member who takes the next lead in a queue that catches up: a payback
        seat's member, else the strategy's choice (see "Catch-up after absence")."""
        member = self.payback()
        if member is None:
            member = self.eligible[self.choose(
                self.start_after.get(self.queue.last_user_id, 0))]
        return member

    def count_missed(self):
        """Weighted: count each away member's share of the lead just given."""
        rota_weight = self.rota_weight
        for member in self.away:
            member.credit += member.weight
            while member.credit >= rota_weight:
                member.credit -= rota_weight
                member.missed += 1

    def payback(self):
        """The owed member whose payback seat wins this lead, or None (the turn
        seat's: the strategy chooses)."""
        queue = self.queue
        owed = [member for member in self.eligible if member.missed > 0]
        # Alone at work he gets every lead anyway: nothing to give back yet.
        if not owed or len(self.eligible) < 2:
            queue.turn_weight = 0
            return None
        total = self.turn_total
        queue.turn_weight += self.turn_total
        best, best_weight = None, queue.turn_weight
        for member in owed:
            total += member.weight
            member.payback_weight += member.weight
            # Never a payback right after a lead he got: it waits for the next one.
            if member.payback_weight > best_weight and \
                    member.user_id != queue.last_user_id:
                best, best_weight = member, member.payback_weight
        if best is None:
            queue.turn_weight -= total
            return None
        best.missed -= 1
        best.payback_weight = best.payback_weight - total if best.missed else 0
        return best

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
        if self.catching_up:
            member = self.catch_up()
        else:
            # No last user, or one no longer in the queue: start at the first member.
            member = self.eligible[self.choose(
                self.start_after.get(queue.last_user_id, 0))]
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
        if self.catching_up and self.away:
            self.count_missed()
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
    catches_up = True

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
    catches_up = True

    def reset(self):
        self.level = []

    def count_missed(self):
        """Least loaded: raise the away members' effective loads to the lowest one
        at work, now that the lead is given."""
        level = min(member.load + member.missed for member in self.eligible)
        for member in self.away:
            behind = level - member.load - member.missed
            if behind > 0:
                member.missed += behind

    def choose(self, start):
        if self.catching_up:
            # What an owed member is still owed counts as taken: no rush of leads
            # to him on his return (his payback seat gives them back).
            eligible = self.eligible
            count = len(eligible)
            best, best_load = None, None
            for offset in range(count):
                index = (start + offset) % count
                member = eligible[index]
                load = member.load + member.missed
                if best_load is None or load < best_load:
                    best, best_load = index, load
            return best
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
