# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The clocks of the public lead pool: reclaim deadlines, the claim day, cooldowns.

All datetimes are naive and in UTC, as Odoo stores them; ``now`` is always passed in.

Reclaim timers.  A pool lead with an owner can be taken back for two reasons:

``'idle'``  the owner has not worked it for ``idle_days`` days: the clock starts at the
            owner's last activity on it (``owner_activity_date``), or at the moment he
            got it when that is later or there is no activity;
``'hold'``  he has held it for ``max_hold_days`` days without reaching the pool's goal
            (converted or won): the clock starts when he got it (``assigned_date``).
            The adapter passes ``max_hold_days=0`` once the goal is reached.

A timer set to 0 is off.  The deadline is the earlier of the two; on a tie the hold
timer is named, since working the lead would not postpone it.  The owner is warned
``warn_days`` before the deadline, but never before the timer started.

``reclaim_timers`` depends on the stored dates and the pool settings only (never on
``now``), so the adapter can store its result and find due leads with an index;
``reclaim_status`` adds ``now`` to say where a lead stands and why.

Working days.  Every function counting days takes an optional ``calendar``, an
``engine.worktime.Calendar`` (its attendances, public holidays, make-up days and time
zone).  ``None``: calendar days, ``N days after t`` is ``t + N * 24 hours``.  With a
calendar the idle, holding, warning and cooldown days are working days, and

    "N working days after t": the clock starts at s, the first working moment at or
    after t (t itself during working time, else the next start of work).  The result
    is the same local time of day as s (in the calendar's zone) on the N-th working
    day strictly after s's local date, moved into that day's working time if that
    day's hours differ: to its next start of work (the time falls before its hours or
    in a break) or to the end of its work (the time is past its hours).

A working day is a local date with working time left after the holidays (make-up
days count).  E.g. over office hours 09:00-12:00, 13:00-18:00 from Monday to Friday:
Monday 10:00 + 1 = Tuesday 10:00; Friday 10:00 + 1 = Monday 10:00; Saturday 10:00 + 1
= Tuesday 09:00 (the clock starts Monday 09:00); Monday 20:00 + 1 = Wednesday 09:00;
Monday 12:30 + 1 = Tuesday 13:00.  Across a DST change the wall clock is kept (Friday
10:00 CET + 1 = Monday 10:00 CEST, 71 hours).  So a deadline, warning or cooldown end
with a calendar falls on working time (or on the end of a day's work), and a later
start never gives an earlier deadline.  "N working days before t" (the warning) is
the mirror: counted back from the last working moment at or before t
(``worktime.subtract_working_days``).  ``protect_days`` stays in calendar days.
"""
from collections import namedtuple
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from .rotation import Rotation
from .worktime import add_working_days, is_working_day, next_start, subtract_working_days

__all__ = [
    "IDLE", "HOLD", "Timers", "Status", "reclaim_timers", "reclaim_status",
    "claim_day", "cooldown_end", "pick_excluding", "ExcludingPicker", "add_days",
    "subtract_days", "whole_days",
]

IDLE = "idle"
HOLD = "hold"
COOLDOWN = "cooldown"

# Status states, in the order a lead goes through them.
NONE, OK, WARN, DUE = "none", "ok", "warn", "due"

Timers = namedtuple("Timers", "deadline warn_from timer")
Status = namedtuple(
    "Status", "state deadline warn_from timer idle_days held_days limit_days")

NO_TIMERS = Timers(None, None, None)
_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)


def _idle_start(owner_activity_date, assigned_date):
    if owner_activity_date is None:
        return assigned_date
    if assigned_date is None:
        return owner_activity_date
    return max(owner_activity_date, assigned_date)


def add_days(start, days, calendar=None):
    """``days`` (an int >= 0) days after ``start`` (naive UTC): calendar days without
    ``calendar``, else working days of ``calendar`` as the module docstring defines
    them (from the first working moment at or after ``start``,
    ``worktime.add_working_days``).  0 days: ``start`` itself.  ``ValueError``
    (from the calendar) when it has no attendances or no working day within its
    horizon."""
    if not days:
        return start
    if calendar is None:
        return start + timedelta(days=days)
    return add_working_days(calendar, _clock_start(start, calendar), days)


def _clock_start(start, calendar):
    """The first working moment at or after ``start``; ``start`` itself when there is
    none within the horizon (``add_working_days`` then raises the calendar's error)."""
    first = next_start(calendar, start)
    return start if first is None else first


def subtract_days(end, days, calendar=None):
    """``days`` (an int >= 0) days before ``end``: the mirror of ``add_days``
    (``worktime.subtract_working_days`` with a calendar)."""
    if not days:
        return end
    if calendar is None:
        return end - timedelta(days=days)
    return subtract_working_days(calendar, end, days)


def whole_days(start, now, calendar=None):
    """Whole days from ``start`` to ``now``: the largest ``n`` with
    ``add_days(start, n, calendar) <= now``; ``None`` without ``start``.

    Without a calendar, floored 24-hour days (negative when ``now`` is before
    ``start``).  With one, working days (0 when ``now`` is before ``start``): Friday
    10:00 to Monday 09:59 is 0 working days, to Monday 10:00 one.
    """
    if start is None:
        return None
    if calendar is None:
        return int((now - start).total_seconds() // _DAY.total_seconds())
    start = _clock_start(start, calendar)
    if now <= start:
        return 0
    to_local = calendar.zone.to_local
    first, last = to_local(start).toordinal(), to_local(now).toordinal()
    # The working days after the clock start's local date up to now's: the n-th of
    # them is where add_days(start, n) ends, so n or n - 1 whole days have passed.
    count = sum(1 for ordinal in range(first + 1, last + 1)
                if is_working_day(calendar, date.fromordinal(ordinal)))
    if count and add_working_days(calendar, start, count) > now:
        count -= 1
    return count


_whole_days = whole_days


def reclaim_timers(owner_activity_date, assigned_date, idle_days=0, max_hold_days=0,
                   warn_days=0, protect_days=0, calendar=None):
    """``Timers(deadline, warn_from, timer)`` for one owned pool lead.

    All three are ``None`` when no timer runs (both off, or no start date).
    ``protect_days``: a lead claimed or assigned (``assigned_date``) is not taken back
    before this many days have passed, whatever its timers say: the deadline is
    pushed to the end of the protection.  ``calendar``: count ``idle_days``,
    ``max_hold_days`` and ``warn_days`` in its working days (module docstring);
    ``protect_days`` stays in calendar days.
    """
    candidates = []
    if max_hold_days and max_hold_days > 0 and assigned_date is not None:
        candidates.append((add_days(assigned_date, max_hold_days, calendar), 0, HOLD,
                           assigned_date))
    idle_start = _idle_start(owner_activity_date, assigned_date)
    if idle_days and idle_days > 0 and idle_start is not None:
        candidates.append((add_days(idle_start, idle_days, calendar), 1, IDLE,
                           idle_start))
    if not candidates:
        return NO_TIMERS
    deadline, _rank, timer, started = min(candidates)
    if protect_days and protect_days > 0 and assigned_date is not None:
        deadline = max(deadline, assigned_date + timedelta(days=protect_days))
    warn_from = None
    if warn_days and warn_days > 0:
        warn_from = max(subtract_days(deadline, warn_days, calendar), started)
    return Timers(deadline, warn_from, timer)


def reclaim_status(owner_activity_date, assigned_date, idle_days=0, max_hold_days=0,
                   warn_days=0, now=None, protect_days=0, calendar=None):
    """Where an owned pool lead stands at ``now`` (required), and why.

    ``state``: ``'none'`` (no timer), ``'ok'``, ``'warn'`` (inside the warning window)
    or ``'due'`` (the deadline has come).  ``idle_days``/``held_days`` are whole days
    (``whole_days``: working days with a ``calendar``) since the idle clock and the
    hold clock started; ``limit_days`` is the limit of the timer that fires, for
    messages such as "idle 4 days, limit 3".
    """
    if now is None:
        raise ValueError("reclaim_status needs now")
    deadline, warn_from, timer = reclaim_timers(
        owner_activity_date, assigned_date, idle_days, max_hold_days, warn_days,
        protect_days, calendar)
    if deadline is None:
        state = NONE
    elif now >= deadline:
        state = DUE
    elif warn_from is not None and now >= warn_from:
        state = WARN
    else:
        state = OK
    limit = {IDLE: idle_days, HOLD: max_hold_days}.get(timer)
    return Status(state, deadline, warn_from, timer,
                  whole_days(_idle_start(owner_activity_date, assigned_date), now,
                             calendar),
                  whole_days(assigned_date, now, calendar), limit)


def claim_day(now, zone=None):
    """``(start, end)`` in UTC of the day ``now`` falls in, in time zone ``zone``.

    ``zone`` is a ``tzinfo`` (``None``: UTC), e.g. ``pytz.timezone(user.tz)``: the
    adapter resolves the user's time zone name, falling back to UTC for an empty or
    unknown one, so the engine needs no time zone database.  Daily claim limits count
    from ``start`` and reset at ``end`` (the user's next midnight).
    """
    if zone is None:
        zone = timezone.utc
    elif not isinstance(zone, tzinfo):
        raise TypeError(
            "claim_day needs a tzinfo (resolve the time zone name in the adapter, "
            "e.g. pytz.timezone(name)), not %r" % (zone,))
    local_day = _to_local(now, zone).date()
    start = _day_start(local_day, zone)
    if now < start:
        # The clocks read ``local_day`` but will be set back across its midnight:
        # until they pass it again, this is still the day before.
        return _day_start(local_day - _DAY, zone), start
    return start, _day_start(local_day + _DAY, zone)


def _to_local(utc, zone):
    """Naive UTC -> naive wall-clock time in ``zone`` (pytz zones included: converting
    from UTC is the direction every tzinfo gets right)."""
    return utc.replace(tzinfo=timezone.utc).astimezone(zone).replace(tzinfo=None)


def _day_start(day, zone):
    """The instant (naive UTC) from which the clocks of ``zone`` read ``day`` or later
    for good: its midnight; the second one when the clocks are set back across
    midnight (as ``pytz`` localizes with ``is_dst=False``); the moment they jump past
    it when they are set forward across it."""
    midnight = datetime.combine(day, time())
    # The UTC offsets in force a day either side of that midnight: an offset stays
    # within a day, so these bracket any change of offset around it.
    starts = sorted({midnight - (_to_local(probe, zone) - probe)
                     for probe in (midnight - _DAY, midnight + _DAY)})
    readings = [start for start in starts if _to_local(start, zone) == midnight]
    if readings:
        return readings[-1]
    # No instant reads midnight: the clocks jump from before it (at ``before``) to
    # after it (at ``after``); find the jump.
    before, after = starts[0], starts[-1]
    if _to_local(before, zone) >= midnight or _to_local(after, zone) < midnight:
        return after  # offsets changing twice within two days: no tzdb zone does this
    while after - before > _TICK:
        middle = before + (after - before) / 2
        if _to_local(middle, zone) >= midnight:
            after = middle
        else:
            before = middle
    return after


def cooldown_end(given_back_at, cooldown_days, calendar=None):
    """When a rep who gave a lead back (released, or had it reclaimed) at
    ``given_back_at`` may claim it again; ``None`` when there is no cooldown.
    ``calendar``: ``cooldown_days`` are working days of it (in the rep's zone)."""
    if given_back_at is None or not cooldown_days or cooldown_days <= 0:
        return None
    return add_days(given_back_at, cooldown_days, calendar)


def pick_excluding(queue, excluded=(), user_active=None):
    """Pick the member of ``queue`` who takes a reclaimed lead, never one of
    ``excluded`` (the owner it was taken from, reps in cooldown on it).

    The excluded members are skipped as if unavailable, for this pick only, so the
    rotation keeps its cyclic order; the queue's state (``last_user_id``, loads,
    weighted state) is updated as ``rotation.pick`` does.  Returns
    ``(member or None, skipped)`` where an excluded member is skipped as
    ``'cooldown'``.
    """
    excluded = frozenset(excluded)
    saved = [(member, member.available) for member in queue.members
             if member.user_id in excluded]
    for member, _available in saved:
        member.available = False
        member.excluded = True  # kept out, not away: no catch-up owed for it
    try:
        rotation = Rotation({queue.id: queue}, user_active)
        member, skipped = rotation.pick(queue.id)
        rotation.flush()
    finally:
        for saved_member, available in saved:
            saved_member.available = available
            saved_member.excluded = False
    skipped = tuple((user_id, COOLDOWN if user_id in excluded else why)
                    for user_id, why in skipped)
    return member, skipped


class ExcludingPicker(object):
    """``pick_excluding`` lead after lead in one queue (a run's batch): each
    ``pick(excluded)`` gives the same member and ``skipped`` and leaves the queue in
    the same state as ``pick_excluding(queue, excluded, user_active)`` would, without
    building a rotation for every lead.

    A sequential queue keeps ONE ``Rotation`` without exclusions: with them, the
    member picked is the first eligible member after ``last_user_id`` in cyclic order
    that is not excluded (the members' order and the other members' eligibility do not
    depend on who is excluded), so the pick walks on from the rotation's own choice
    past the excluded ones.  The other strategies' choice depends on who else is
    eligible (weights, catch-up): each pick builds its rotation, as
    ``pick_excluding`` does.  The queue and its members must not change between picks
    except through this picker.
    """

    __slots__ = ("queue", "user_active", "_rotation", "_position")

    def __init__(self, queue, user_active=None):
        self.queue = queue
        self.user_active = user_active
        self._rotation = None
        if queue.strategy == "sequential":
            self._rotation = Rotation({queue.id: queue}, user_active)
            self._position = {member.user_id: index
                              for index, member in enumerate(queue.members)}

    def pick(self, excluded=()):
        """``(member or None, skipped)``, as ``pick_excluding``."""
        if self._rotation is None:
            return pick_excluding(self.queue, excluded, self.user_active)
        position = self._position
        excluded = frozenset(user_id for user_id in excluded if user_id in position)
        # pylint: disable=protected-access
        state = self._rotation._states[self.queue.id]
        if state.stale:
            state.refresh()
        eligible = state.eligible
        member = None
        if eligible:
            start = state.start_after.get(self.queue.last_user_id, 0)
            count = len(eligible)
            for offset in range(count):
                candidate = eligible[(start + offset) % count]
                if candidate.user_id not in excluded:
                    member = candidate
                    break
        if member is not None:
            # What _QueueState.pick does with its choice (a single queue: one seat).
            self.queue.last_user_id = member.user_id
            self._rotation.charge(member.user_id)
        skipped = state.skipped
        if excluded:
            # An excluded member is skipped as unavailable (or archived) in his
            # rotation, which pick_excluding names 'cooldown'; in member order.
            skipped = tuple(sorted(
                [(user_id, why) for user_id, why in skipped if user_id not in excluded]
                + [(user_id, COOLDOWN) for user_id in excluded],
                key=lambda pair: position[pair[0]]))
        return member, skipped
