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
"""
from collections import namedtuple
from datetime import datetime, time, timedelta

import pytz

from .rotation import Rotation

__all__ = [
    "IDLE", "HOLD", "Timers", "Status", "reclaim_timers", "reclaim_status",
    "claim_day", "cooldown_end", "pick_excluding",
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


def _idle_start(owner_activity_date, assigned_date):
    if owner_activity_date is None:
        return assigned_date
    if assigned_date is None:
        return owner_activity_date
    return max(owner_activity_date, assigned_date)


def reclaim_timers(owner_activity_date, assigned_date, idle_days=0, max_hold_days=0,
                   warn_days=0):
    """``Timers(deadline, warn_from, timer)`` for one owned pool lead.

    All three are ``None`` when no timer runs (both off, or no start date).
    """
    candidates = []
    if max_hold_days and max_hold_days > 0 and assigned_date is not None:
        candidates.append((assigned_date + timedelta(days=max_hold_days), 0, HOLD,
                           assigned_date))
    idle_start = _idle_start(owner_activity_date, assigned_date)
    if idle_days and idle_days > 0 and idle_start is not None:
        candidates.append((idle_start + timedelta(days=idle_days), 1, IDLE, idle_start))
    if not candidates:
        return NO_TIMERS
    deadline, _rank, timer, started = min(candidates)
    warn_from = None
    if warn_days and warn_days > 0:
        warn_from = max(deadline - timedelta(days=warn_days), started)
    return Timers(deadline, warn_from, timer)


def _whole_days(start, now):
    if start is None:
        return None
    return int((now - start).total_seconds() // _DAY.total_seconds())


def reclaim_status(owner_activity_date, assigned_date, idle_days=0, max_hold_days=0,
                   warn_days=0, now=None):
    """Where an owned pool lead stands at ``now`` (required), and why.

    ``state``: ``'none'`` (no timer), ``'ok'``, ``'warn'`` (inside the warning window)
    or ``'due'`` (the deadline has come).  ``idle_days``/``held_days`` are whole days
    since the idle clock and the hold clock started; ``limit_days`` is the limit of the
    timer that fires, for messages such as "idle 4 days, limit 3".
    """
    if now is None:
        raise ValueError("reclaim_status needs now")
    deadline, warn_from, timer = reclaim_timers(
        owner_activity_date, assigned_date, idle_days, max_hold_days, warn_days)
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
                  _whole_days(_idle_start(owner_activity_date, assigned_date), now),
                  _whole_days(assigned_date, now), limit)


def claim_day(now, tz_name=None):
    """``(start, end)`` in UTC of the day ``now`` falls in, in time zone ``tz_name``.

    Daily claim limits count from ``start`` and reset at ``end`` (the user's next
    midnight).  An empty or unknown time zone counts as UTC.
    """
    try:
        zone = pytz.timezone(tz_name or "UTC")
    except pytz.UnknownTimeZoneError:
        zone = pytz.utc
    local_day = pytz.utc.localize(now).astimezone(zone).date()

    def midnight(day):
        local = zone.localize(datetime.combine(day, time()))
        return local.astimezone(pytz.utc).replace(tzinfo=None)

    return midnight(local_day), midnight(local_day + _DAY)


def cooldown_end(given_back_at, cooldown_days):
    """When a rep who gave a lead back (released, or had it reclaimed) at
    ``given_back_at`` may claim it again; ``None`` when there is no cooldown."""
    if given_back_at is None or not cooldown_days or cooldown_days <= 0:
        return None
    return given_back_at + timedelta(days=cooldown_days)


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
    try:
        rotation = Rotation({queue.id: queue}, user_active)
        member, skipped = rotation.pick(queue.id)
        rotation.flush()
    finally:
        for saved_member, available in saved:
            saved_member.available = available
    skipped = tuple((user_id, COOLDOWN if user_id in excluded else why)
                    for user_id, why in skipped)
    return member, skipped
