# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Working-time arithmetic: is a rep working now, and when is "30 working minutes" due.

This mirrors Odoo's ``resource.calendar`` without importing Odoo (or pytz).  All the
datetimes passed in and returned are naive and in UTC, as Odoo stores them; the
schedule itself is read in the rep's own time zone.

A ``Calendar`` is built from:

``attendances``  the weekly schedule: ``Attendance(weekday, hour_from, hour_to,
                 date_from=None, date_to=None)`` or plain tuples of 3 or 5 items.
                 ``weekday`` 0 is Monday .. 6 Sunday; hours are floats in local time
                 (9.5 is 09:30, rounded to the minute), ``0 <= hour_from < hour_to <=
                 24``; ``date_from``/``date_to`` (local dates, inclusive, ``None`` for
                 open) limit when the line applies.  Two lines of one day (09-12 and
                 13-18) give a lunch break.  A night shift cannot be one line: split
                 it at midnight (Mon 22-24 and Tue 0-6); the two halves then join into
                 one working interval.
``holidays``     public holidays (Odoo's global leaves), and
``leaves``       the rep's own leaves.  Each item is a UTC interval ``(start, end)`` of
                 naive datetimes (end excluded), a local ``date`` (that whole day), or
                 a pair of local dates ``(first_day, last_day)`` (whole days,
                 inclusive).  Holidays and leaves remove working time everywhere,
                 make-up days included.
``extra_days``   make-up working days (调休) and other one-off days: the schedule of
                 that local date is replaced.  An item is ``(date, hours)`` with hours
                 a sequence of ``(hour_from, hour_to)`` (empty: a day off),
                 ``(date, weekday)`` (work the attendances of that weekday), or a bare
                 ``date`` (work the hours of the first weekday, Monday first, that has
                 attendances on that date).
``tz``           the rep's time zone (``None``: UTC), one of:
                 - an object with ``to_local(utc_naive) -> local_naive`` and
                   ``to_utc(local_naive) -> utc_naive``;
                 - a pair of functions ``(to_local, to_utc)`` with those contracts;
                 - a ``tzinfo``: wrapped in ``Zone``, which uses ``localize`` when
                   the zone has it (pytz, duck-typed: pytz is never imported).
                 ``to_local`` must be exact (UTC -> wall clock has one answer).
                 ``to_utc`` chooses for the wall-clock times that occur twice or never
                 when the clocks change: ``Zone`` does as Odoo (pytz's
                 ``is_dst=False``); any choice works, the engine only needs the local
                 midnights in increasing order.  A local interval is converted end by
                 end, so it lasts its real time across a change (00:00-06:00 is 5 hours
                 on the spring Sunday in Paris, 7 in autumn), and the part of a day's
                 interval that falls outside that day's UTC window is cut off.
``horizon_days`` (366) how far the engine looks for working time after a gap before it
                 gives up (see below).

Working time is the attendances of each local date (or its extra day) minus holidays and
leaves, as half-open UTC intervals ``[start, end)``: one works at 09:00, not at 18:00.

Functions (the calendar is always the first argument):

``is_working(cal, t)``                  working at ``t``?
``available_until(cal, t)``             end of the working interval around ``t`` (joined
                                        across midnight), ``None`` when not working;
                                        an interval still running after
                                        ``horizon_days`` (round the clock) is cut there.
``next_start(cal, t)``                  the first working moment at or after ``t`` (``t``
                                        itself when working), ``None`` if none within
                                        ``horizon_days``.
``add_working_minutes(cal, t, minutes)`` the deadline ``minutes`` (> 0) of working time
                                        after ``t``; outside working time the clock
                                        starts at the next interval.  A deadline that
                                        ends an interval exactly is that end (12:00,
                                        not 13:00 after lunch).
``add_working_days(cal, t, days)``      see its docstring.
``subtract_working_days(cal, t, days)`` ``days`` working days before ``t``'s last
                                        working moment: see its docstring.
``working_minutes_between(cal, a, b)``  working minutes in ``[a, b)`` (negative when
                                        ``b < a``); the inverse of the above:
                                        ``working_minutes_between(cal, t,
                                        add_working_minutes(cal, t, m)) == m``.
``working_intervals(cal, a, b)``        the working intervals within ``[a, b)``.
``is_working_day(cal, local_date)``     any working time left on that local date?
``why_unavailable(cal, t)``             ``None`` or a ``Reason(code, detail, back_at)``.

Bounds.  Every walk is bounded: a search for working time gives up after
``horizon_days`` consecutive days without any (``next_start`` returns ``None``, the
deadline functions raise ``ValueError``), and no deadline is searched more than
``MAX_DAYS`` (about 100 years) ahead.  A calendar with no attendances and no extra days
raises ``ValueError`` as soon as a deadline is asked.

Speed.  Each local day is turned into its UTC intervals (leaves removed) once and kept
in a per-calendar cache (bounded); the day holding a moment is found from those UTC
windows, so the zone is not asked per call.  A deadline costs a dict look-up and a few
comparisons (days with less working time than what remains are skipped whole):
100,000 deadlines of 30 minutes take about 0.4 s of CPU.
"""
import math
import numbers
from bisect import bisect_right
from collections import namedtuple
from datetime import date, datetime, timedelta, timezone, tzinfo

__all__ = [
    "Attendance", "Calendar", "FixedZone", "HOLIDAY", "HORIZON_DAYS", "LEAVE",
    "MAX_DAYS", "OFF_SHIFT", "Reason", "UTC", "Zone", "add_working_days",
    "subtract_working_days",
    "add_working_minutes", "available_until", "is_working", "is_working_day",
    "next_start", "why_unavailable", "working_intervals", "working_minutes_between",
]

HORIZON_DAYS = 366
MAX_DAYS = 366 * 100
# Days kept per calendar; a run touches a few weeks, a year is 365 entries.
_CACHE_DAYS = 4096

# Reason codes, in the order they are checked.
LEAVE = "leave"          # detail: end (UTC) of the rep's leave covering the moment
HOLIDAY = "holiday"      # detail: end (UTC) of the public holiday covering it
OFF_SHIFT = "off_shift"  # detail: ((hour_from, hour_to), ...) local working hours

Reason = namedtuple("Reason", "code detail back_at")
Reason.__doc__ = """Why a rep is not working at a moment.

``code`` is ``LEAVE``, ``HOLIDAY`` or ``OFF_SHIFT``.  ``detail`` is the UTC end of the
leave or holiday for the first two; for ``OFF_SHIFT`` the merged local hours of that
day, or of the day work resumes when that day has none (``()`` when neither has any),
e.g. ``((9.0, 12.0), (13.0, 18.0))``.  ``back_at`` is ``next_start`` (UTC, or
``None`` when no work within the horizon)."""


class Attendance(namedtuple("Attendance", "weekday hour_from hour_to date_from date_to")):
    """One line of the weekly schedule (see the module docstring)."""
    __slots__ = ()

    def __new__(cls, weekday, hour_from, hour_to, date_from=None, date_to=None):
        return super().__new__(cls, weekday, hour_from, hour_to, date_from, date_to)


# ------------------------------------------------------------------------ time zones

class FixedZone:
    """A zone at a fixed offset from UTC (``hours`` may be fractional: 5.5)."""
    __slots__ = ("offset", "name")

    def __init__(self, hours=0, name=None):
        self.offset = timedelta(minutes=round(hours * 60))
        self.name = name or "UTC%+g" % hours

    def to_local(self, utc):
        return utc + self.offset

    def to_utc(self, local):
        return local - self.offset

    def __repr__(self):
        return "FixedZone(%s)" % self.name


UTC = FixedZone(0, "UTC")


class Zone:
    """The ``to_local``/``to_utc`` pair for a ``tzinfo``.

    pytz zones (anything with ``localize``) are localized with ``is_dst=False``, as
    Odoo does: a wall-clock time that occurs twice is taken in standard time, one that
    never occurs is read with the offset before the change.  Other tzinfos use
    ``utcoffset`` of the naive time (fold 0).
    """
    __slots__ = ("tz", "_localize")

    def __init__(self, tz):
        if not isinstance(tz, tzinfo):
            raise TypeError("Zone needs a tzinfo, not %r" % (tz,))
        self.tz = tz
        self._localize = getattr(tz, "localize", None)

    def to_local(self, utc):
        return utc.replace(tzinfo=timezone.utc).astimezone(self.tz).replace(tzinfo=None)

    def to_utc(self, local):
        if self._localize is not None:
            aware = self._localize(local, is_dst=False)
            return aware.astimezone(timezone.utc).replace(tzinfo=None)
        return local - self.tz.utcoffset(local)

    def __repr__(self):
        return "Zone(%r)" % (self.tz,)


class _PairZone:
    __slots__ = ("to_local", "to_utc")

    def __init__(self, to_local, to_utc):
        self.to_local = to_local
        self.to_utc = to_utc


def _as_zone(tz):
    if tz is None:
        return UTC
    if hasattr(tz, "to_local") and hasattr(tz, "to_utc"):
        return tz
    if isinstance(tz, tzinfo):
        return Zone(tz)
    if isinstance(tz, (tuple, list)) and len(tz) == 2 and all(map(callable, tz)):
        return _PairZone(*tz)
    raise TypeError(
        "tz must be None, a tzinfo, an object with to_local/to_utc or a pair of "
        "functions (to_local, to_utc), not %r" % (tz,))


# ------------------------------------------------------------------------ parsing

_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)
_INF = float("inf")


def _minutes(hour, what):
    if isinstance(hour, bool) or not isinstance(hour, numbers.Real) \
            or not math.isfinite(hour):
        raise ValueError("%s must be a number of hours, not %r" % (what, hour))
    return int(round(hour * 60))


def _hours_range(hour_from, hour_to, what):
    start, end = _minutes(hour_from, what), _minutes(hour_to, what)
    if not 0 <= start < end <= 24 * 60:
        raise ValueError(
            "%s: need 0 <= hour_from < hour_to <= 24, got %r-%r (a night shift must be "
            "split at midnight: 22-24 and 0-6 of the next day)" % (what, hour_from, hour_to))
    return start, end


def _merge_minutes(ranges):
    merged = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1][1] = end
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


def _merge(intervals):
    """Sorted, non-overlapping, non-touching union of ``(start, end)`` intervals."""
    merged = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _is_date(value):
    return isinstance(value, date) and not isinstance(value, datetime)


def _parse_attendance(item):
    try:
        att = Attendance(*item)
    except TypeError:
        raise ValueError("an attendance is (weekday, hour_from, hour_to[, date_from, "
                         "date_to]), not %r" % (item,))
    if isinstance(att.weekday, bool) or att.weekday not in range(7):
        raise ValueError("attendance %r: weekday must be 0 (Monday) .. 6 (Sunday)"
                         % (item,))
    minutes = _hours_range(att.hour_from, att.hour_to, "attendance %r" % (item,))
    for value in (att.date_from, att.date_to):
        if value is not None and not _is_date(value):
            raise ValueError("attendance %r: date_from/date_to must be dates" % (item,))
    if att.date_from and att.date_to and att.date_from > att.date_to:
        raise ValueError("attendance %r: date_from is after date_to" % (item,))
    return att.weekday, minutes, att.date_from, att.date_to


def _parse_leaves(items, zone, what):
    intervals = []
    for item in items:
        if _is_date(item):
            first = last = item
        else:
            try:
                first, last = item
            except (TypeError, ValueError):
                raise ValueError("%s %r: expected (start, end) datetimes, a date or "
                                 "(first_day, last_day)" % (what, item))
        if isinstance(first, datetime) and isinstance(last, datetime):
            if first.tzinfo is not None or last.tzinfo is not None:
                raise ValueError("%s %r: datetimes must be naive UTC" % (what, item))
            if last <= first:
                raise ValueError("%s %r: ends before it starts" % (what, item))
            intervals.append((first, last))
        elif _is_date(first) and _is_date(last):
            if last < first:
                raise ValueError("%s %r: last day before first day" % (what, item))
            intervals.append((zone.to_utc(datetime(first.year, first.month, first.day)),
                              zone.to_utc(datetime(last.year, last.month, last.day)
                                          + _ONE_DAY)))
        else:
            raise ValueError("%s %r: expected (start, end) datetimes, a date or "
                             "(first_day, last_day)" % (what, item))
    return _merge(intervals)


# ------------------------------------------------------------------------ calendar

class Calendar:
    """A rep's working time: see the module docstring for the arguments."""
    __slots__ = ("zone", "horizon_days", "_weekly", "_extra", "_extra_weekday",
                 "_leaves", "_holidays", "_cuts", "_cut_ends", "_days", "_has_schedule", "_offset")

    def __init__(self, attendances, leaves=(), extra_days=(), tz=None, holidays=(),
                 horizon_days=HORIZON_DAYS):
        if isinstance(horizon_days, bool) or not isinstance(horizon_days, int) \
                or horizon_days < 1:
            raise ValueError("horizon_days must be a positive int, not %r" % (horizon_days,))
        self.zone = _as_zone(tz)
        self.horizon_days = horizon_days
        self._weekly = [[] for _day in range(7)]
        for item in attendances:
            weekday, minutes, date_from, date_to = _parse_attendance(item)
            self._weekly[weekday].append((minutes, date_from, date_to))
        self._extra = {}
        self._extra_weekday = {}
        for item in extra_days:
            self._add_extra(item)
        self._leaves = _parse_leaves(leaves, self.zone, "leave")
        self._holidays = _parse_leaves(holidays, self.zone, "holiday")
        self._cuts = _merge(self._leaves + self._holidays)
        self._cut_ends = [end for _start, end in self._cuts]
        self._days = {}
        self._offset = None
        self._has_schedule = any(self._weekly) or bool(self._extra) or bool(
            self._extra_weekday)

    def _add_extra(self, item):
        if _is_date(item):
            day, spec = item, None
        else:
            try:
                day, spec = item
            except (TypeError, ValueError):
                raise ValueError("extra day %r: expected a date, (date, weekday) or "
                                 "(date, ((hour_from, hour_to), ...))" % (item,))
            if not _is_date(day):
                raise ValueError("extra day %r: the first item must be a date" % (item,))
        if day in self._extra or day in self._extra_weekday:
            raise ValueError("extra day %s given twice" % day)
        if spec is None or (isinstance(spec, int) and not isinstance(spec, bool)):
            if spec is not None and spec not in range(7):
                raise ValueError("extra day %r: weekday must be 0..6" % (item,))
            self._extra_weekday[day] = spec
            return
        ranges = []
        for pair in spec:
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError("extra day %r: hours must be ((hour_from, hour_to), ...)"
                                 % (item,))
            ranges.append(_hours_range(pair[0], pair[1], "extra day %r" % (item,)))
        self._extra[day] = _merge_minutes(ranges)

    # -- one local day

    def _weekday_minutes(self, day, weekday):
        return _merge_minutes(
            minutes for minutes, date_from, date_to in self._weekly[weekday]
            if (date_from is None or date_from <= day) and (date_to is None or day <= date_to))

    def _local_minutes(self, day):
        """Merged local ``(minute_from, minute_to)`` of a local date, before leaves."""
        if day in self._extra:
            return self._extra[day]
        if day in self._extra_weekday:
            weekday = self._extra_weekday[day]
            if weekday is not None:
                return self._weekday_minutes(day, weekday)
            for weekday in range(7):
                minutes = self._weekday_minutes(day, weekday)
                if minutes:
                    return minutes
            return ()
        return self._weekday_minutes(day, day.weekday())

    def _day(self, ordinal):
        """``(window_start, window_end, intervals, local_minutes, total)`` of a
        local date.

        The window is the day in UTC (its midnight to the next one); ``intervals`` are
        its working intervals in UTC, leaves removed, inside the window; ``total``
        their length (a timedelta).
        """
        entry = self._days.get(ordinal)
        if entry is not None:
            return entry
        day = date.fromordinal(ordinal)
        midnight = datetime(day.year, day.month, day.day)
        to_utc = self.zone.to_utc
        window_start, window_end = to_utc(midnight), to_utc(midnight + _ONE_DAY)
        local = self._local_minutes(day)
        intervals = []
        for start, end in local:
            start = max(to_utc(midnight + timedelta(minutes=start)), window_start)
            end = min(to_utc(midnight + timedelta(minutes=end)), window_end)
            if start < end:
                intervals.append((start, end))
        intervals = tuple(self._subtract(_merge(intervals)))
        total = sum((end - start for start, end in intervals), _ZERO)
        entry = (window_start, window_end, intervals, local, total)
        if len(self._days) >= _CACHE_DAYS:
            self._days.clear()
        self._days[ordinal] = entry
        return entry

    def _subtract(self, intervals):
        cuts, cut_ends = self._cuts, self._cut_ends
        for start, end in intervals:
            index = bisect_right(cut_ends, start)
            while index < len(cuts) and cuts[index][0] < end:
                cut_start, cut_end = cuts[index]
                if cut_start > start:
                    yield start, cut_start
                start = max(start, cut_end)
                index += 1
            if start < end:
                yield start, end

    def _day_of(self, utc):
        """The local date (ordinal) whose UTC window holds ``utc``, and its entry.

        The windows are the cached days themselves, so the zone is asked once per
        calendar (an offset good to a day, then corrected by the windows), not per
        call: ``to_local`` of pytz zones costs more than the rest of a deadline.
        """
        offset = self._offset
        if offset is None:
            offset = self._offset = self.zone.to_local(utc) - utc
        ordinal = (utc + offset).toordinal()
        entry = self._day(ordinal)
        steps = 0
        while utc < entry[0] or utc >= entry[1]:
            steps += 1
            if steps > 400:
                raise ValueError("time zone %r: to_local and to_utc disagree (no local "
                                 "day holds %s); local midnights must convert to UTC "
                                 "in increasing order" % (self.zone, utc))
            ordinal += -1 if utc < entry[0] else 1
            entry = self._day(ordinal)
        return ordinal, entry

    def _walk(self, utc, stop=None):
        """Yield the working intervals from ``utc`` on, the first one clipped to start
        at ``utc``; per local day (an interval crossing midnight comes in two).

        With ``stop``: until the day windows reach it.  Without: until
        ``horizon_days`` days in a row have no working time; ``ValueError`` past
        ``MAX_DAYS``.
        """
        ordinal, entry = self._day_of(utc)
        return self._walk_from(ordinal, entry, utc, stop)

    def _walk_from(self, ordinal, entry, utc, stop=None):
        idle = 0
        last = ordinal + MAX_DAYS
        while True:
            window_start, intervals = entry[0], entry[2]
            if stop is not None and window_start >= stop:
                return
            if intervals and intervals[-1][1] > utc:
                idle = 0
                for start, end in intervals:
                    if end > utc:
                        yield (start if start > utc else utc), end
            elif stop is None:
                idle += 1
                if idle > self.horizon_days:
                    return
            ordinal += 1
            if ordinal > last and stop is None:
                raise ValueError("no deadline within %d days after %s" % (MAX_DAYS, utc))
            entry = self._day(ordinal)

    def _require_schedule(self, what):
        if not self._has_schedule:
            raise ValueError("%s: the calendar has no attendances (no working time at "
                             "all), so no deadline can be computed" % what)

    def _no_work(self, what, utc):
        return ValueError("%s: no working time within %d days after %s (UTC)"
                          % (what, self.horizon_days, utc))


def _check_utc(value, what="datetime"):
    if not isinstance(value, datetime):
        raise TypeError("%s must be a naive UTC datetime, not %r" % (what, value))
    if value.tzinfo is not None:
        raise ValueError("%s must be naive (UTC), not aware: %r" % (what, value))


# ------------------------------------------------------------------------ public API

def is_working(calendar, utc_dt):
    """Whether the rep works at ``utc_dt`` (intervals include their start only)."""
    _check_utc(utc_dt)
    for start, end in calendar._day_of(utc_dt)[1][2]:
        if start <= utc_dt < end:
            return True
    return False


def available_until(calendar, utc_dt):
    """End (UTC) of the working interval holding ``utc_dt``, joined across midnight;
    ``None`` when not working then.  An interval still running ``horizon_days`` after
    ``utc_dt`` (a round-the-clock calendar) is cut there: the value is then a lower
    bound."""
    _check_utc(utc_dt)
    if not is_working(calendar, utc_dt):
        return None
    limit = utc_dt + timedelta(days=calendar.horizon_days)
    until = None
    for start, end in calendar._walk(utc_dt):
        if until is not None and start != until:
            break
        until = end
        if until >= limit:
            return limit
    return until


def next_start(calendar, utc_dt):
    """The first moment at or after ``utc_dt`` (UTC) when the rep works: ``utc_dt``
    itself when working, else the start of the next working interval; ``None`` when
    there is none within ``horizon_days``."""
    _check_utc(utc_dt)
    for start, _end in calendar._walk(utc_dt):
        return start
    return None


def _check_minutes(minutes):
    kind = type(minutes)
    if (kind is int or kind is float) and 0 < minutes < _INF:
        return
    if isinstance(minutes, bool) or not isinstance(minutes, numbers.Real):
        raise TypeError("minutes must be a number, not %r" % (minutes,))
    if not minutes > 0 or math.isinf(minutes):
        raise ValueError("minutes must be a finite number > 0, not %r" % (minutes,))


def add_working_minutes(calendar, utc_start, minutes):
    """The UTC moment ``minutes`` (> 0) of working time after ``utc_start``.

    Outside working time the count starts at the next working interval.  A deadline
    that fills an interval exactly is that interval's end.  ``ValueError`` for
    ``minutes <= 0``, a calendar without attendances, or no working time within
    ``horizon_days`` of a gap.
    """
    _check_utc(utc_start, "utc_start")
    _check_minutes(minutes)
    calendar._require_schedule("add_working_minutes")
    remaining = timedelta(minutes=minutes)
    ordinal, entry = calendar._day_of(utc_start)
    # The first day inline (most deadlines end on it), then the walk.
    for start, end in entry[2]:
        if end > utc_start:
            if start < utc_start:
                start = utc_start
            deadline = start + remaining
            if deadline <= end:
                return deadline
            remaining -= end - start
    # Then whole days: a day with less working time than what remains is skipped in
    # one step.
    day, horizon, idle = calendar._day, calendar.horizon_days, 0
    for ordinal in range(ordinal + 1, ordinal + 1 + MAX_DAYS):
        entry = day(ordinal)
        total = entry[4]
        if not total:
            idle += 1
            if idle > horizon:
                raise calendar._no_work("add_working_minutes", utc_start)
            continue
        idle = 0
        if remaining > total:
            remaining -= total
            continue
        for start, end in entry[2]:
            deadline = start + remaining
            if deadline <= end:
                return deadline
            remaining -= end - start
    raise ValueError("add_working_minutes: no deadline within %d days after %s"
                     % (MAX_DAYS, utc_start))


def add_working_days(calendar, utc_start, days):
    """The same local time of day, ``days`` (an int > 0) working days later.

    A working day is a local date with working time left after holidays and leaves.
    Let ``D`` be the ``days``-th working day strictly after the local date of
    ``utc_start`` (that date never counts, working or not) and ``h`` the local time of
    day of ``utc_start``.  The result is ``D`` at ``h`` clamped into D's working time:
    ``D`` at ``h`` when working then; otherwise the next start of work on ``D`` (``h``
    before D's first interval or in a break); otherwise, ``h`` being after hours, the
    end of D's last interval.  Returned in UTC.  ``ValueError`` for ``days < 1``, a
    calendar without attendances, or no working day within ``horizon_days`` of a gap.
    """
    _check_utc(utc_start, "utc_start")
    if isinstance(days, bool) or not isinstance(days, numbers.Integral):
        raise TypeError("days must be an int, not %r" % (days,))
    if days < 1:
        raise ValueError("days must be >= 1, not %r" % (days,))
    calendar._require_schedule("add_working_days")
    local = calendar.zone.to_local(utc_start)
    ordinal = local.toordinal()
    time_of_day = local - datetime(local.year, local.month, local.day)
    return _nth_working_day(
        calendar, ordinal, days, 1, time_of_day,
        lambda: calendar._no_work("add_working_days", utc_start),
        "add_working_days: no deadline within %d days after %s" % (MAX_DAYS, utc_start))


def subtract_working_days(calendar, utc_end, days):
    """The same local time of day, ``days`` (an int > 0) working days before the last
    working moment at or before ``utc_end``.

    That moment ``e`` is ``utc_end`` itself during working time, else the end of the
    last working interval before it (Saturday 20:00 counts back from Friday 18:00).
    Let ``D`` be the ``days``-th working day strictly before the local date of ``e``'s
    interval and ``h`` the local time of day of ``e`` on that date.  The result is
    ``D`` at ``h`` clamped into D's working time as ``add_working_days`` clamps (``h``
    when working then; else the next start of work on ``D``; else the end of D's last
    interval).  Returned in UTC; it grows with ``utc_end``.  ``ValueError`` for
    ``days < 1``, a calendar without attendances, or no working day within
    ``horizon_days`` of a gap.
    """
    _check_utc(utc_end, "utc_end")
    if isinstance(days, bool) or not isinstance(days, numbers.Integral):
        raise TypeError("days must be an int, not %r" % (days,))
    if days < 1:
        raise ValueError("days must be >= 1, not %r" % (days,))
    calendar._require_schedule("subtract_working_days")
    ordinal, entry = calendar._day_of(utc_end)
    anchor, idle = None, 0
    while anchor is None:
        for start, end in entry[2]:
            if start <= utc_end < end:
                anchor = utc_end
                break
            if end <= utc_end:
                anchor = end
        if anchor is None:
            idle += 1
            if idle > calendar.horizon_days:
                raise _no_work_before(calendar, utc_end)
            ordinal -= 1
            entry = calendar._day(ordinal)
    day = date.fromordinal(ordinal)
    # Measured from the interval's own date: an interval ending at 24:00 reads 24:00.
    time_of_day = calendar.zone.to_local(anchor) - datetime(day.year, day.month, day.day)
    return _nth_working_day(
        calendar, ordinal, days, -1, time_of_day,
        lambda: _no_work_before(calendar, utc_end),
        "subtract_working_days: no deadline within %d days before %s" % (MAX_DAYS, utc_end))


def _nth_working_day(calendar, ordinal, days, step, time_of_day, no_work, too_far):
    """The ``days``-th working day from day ``ordinal`` (excluded) going ``step`` (+1
    forwards, -1 backwards), at local ``time_of_day`` clamped into its working time
    (the time itself when working then; else the next start of work that day; else
    the end of its last interval), in UTC. ``no_work()``: the error raised after
    ``horizon_days`` days in a row without work; ``too_far``: the message past
    ``MAX_DAYS``."""
    idle, left = 0, days
    for _step in range(MAX_DAYS):
        ordinal += step
        intervals = calendar._day(ordinal)[2]
        if not intervals:
            idle += 1
            if idle > calendar.horizon_days:
                raise no_work()
            continue
        idle = 0
        left -= 1
        if left:
            continue
        day = date.fromordinal(ordinal)
        target = calendar.zone.to_utc(datetime(day.year, day.month, day.day) + time_of_day)
        for start, end in intervals:
            if target < end:
                return max(start, target)
        return intervals[-1][1]
    raise ValueError(too_far)


def _no_work_before(calendar, utc):
    return ValueError("subtract_working_days: no working time within %d days before %s "
                      "(UTC)" % (calendar.horizon_days, utc))


def working_minutes_between(calendar, utc_a, utc_b):
    """Minutes of working time in ``[utc_a, utc_b)`` (a float); ``-(b..a)`` when
    ``utc_b < utc_a``."""
    _check_utc(utc_a, "utc_a")
    _check_utc(utc_b, "utc_b")
    if utc_b < utc_a:
        return -working_minutes_between(calendar, utc_b, utc_a)
    total = _ZERO
    for start, end in calendar._walk(utc_a, stop=utc_b):
        if start >= utc_b:
            break
        total += (end if end < utc_b else utc_b) - start
    return total.total_seconds() / 60


def working_intervals(calendar, utc_a, utc_b):
    """The working intervals within ``[utc_a, utc_b)``, clipped to it, as a list of
    ``(start, end)`` UTC pairs joined across midnight."""
    _check_utc(utc_a, "utc_a")
    _check_utc(utc_b, "utc_b")
    result = []
    if utc_b <= utc_a:
        return result
    for start, end in calendar._walk(utc_a, stop=utc_b):
        if start >= utc_b:
            break
        end = min(end, utc_b)
        if result and result[-1][1] == start:
            result[-1] = (result[-1][0], end)
        else:
            result.append((start, end))
    return result


def is_working_day(calendar, local_date):
    """Whether the local date has working time left after holidays and leaves."""
    if not _is_date(local_date):
        raise TypeError("local_date must be a date, not %r" % (local_date,))
    return bool(calendar._day(local_date.toordinal())[2])


def _covering(intervals, utc):
    ends = [end for _start, end in intervals]
    index = bisect_right(ends, utc)
    if index < len(intervals) and intervals[index][0] <= utc:
        return intervals[index][1]
    return None


def _float_hours(minutes):
    return tuple((start / 60, end / 60) for start, end in minutes)


def why_unavailable(calendar, utc_dt):
    """``None`` when the rep works at ``utc_dt``, else a ``Reason``: ``LEAVE`` if one of
    his leaves covers the moment (even after hours), else ``HOLIDAY`` if a public
    holiday does, else ``OFF_SHIFT``."""
    if is_working(calendar, utc_dt):
        return None
    back_at = next_start(calendar, utc_dt)
    until = _covering(calendar._leaves, utc_dt)
    if until is not None:
        return Reason(LEAVE, until, back_at)
    until = _covering(calendar._holidays, utc_dt)
    if until is not None:
        return Reason(HOLIDAY, until, back_at)
    hours = calendar._day_of(utc_dt)[1][3]
    if not hours and back_at is not None:
        hours = calendar._day_of(back_at)[1][3]
    return Reason(OFF_SHIFT, _float_hours(hours), back_at)
