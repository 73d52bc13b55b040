# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Pool timers in working days (``engine.reclaim`` over ``engine.worktime``).

"N working days after t": from s, the first working moment at or after t, the same
local time of day on the N-th working day strictly after s's local date, moved into
that day's working time when its hours differ (its next start of work, or its end of
work when past its hours).  Times are written in local
time and converted with the zone under test; the DST cases also pin the UTC value.
"""
import random
from datetime import date, datetime, timedelta

import pytest

from engine import reclaim
from engine.reclaim import (
    DUE, HOLD, IDLE, NO_TIMERS, OK, WARN, Timers, add_days, cooldown_end,
    reclaim_status, reclaim_timers, subtract_days, whole_days)
from engine.worktime import (
    Calendar, FixedZone, Zone, add_working_days, is_working_day, subtract_working_days)

US = timedelta(microseconds=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

SHANGHAI = FixedZone(8, "Asia/Shanghai")
KOLKATA = FixedZone(5.5, "Asia/Kolkata")
OFFICE = [(weekday, 9, 12) for weekday in range(5)] + [
    (weekday, 13, 18) for weekday in range(5)]

# The demo calendar "中国大陆工作日" (demo/sales_allocation_worktime_demo.xml), as the
# adapter reads it: make-up working days as attendance lines valid on one date,
# public holidays as global leaves in UTC (whole days in Asia/Shanghai).
CN_MAKEUP_DAYS = [date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28),
                  date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10)]
CN_HOLIDAYS = [  # (first day, last day), inclusive
    (date(2026, 1, 1), date(2026, 1, 3)),     # 元旦
    (date(2026, 2, 15), date(2026, 2, 23)),   # 春节
    (date(2026, 4, 4), date(2026, 4, 6)),     # 清明
    (date(2026, 5, 1), date(2026, 5, 5)),     # 劳动节
    (date(2026, 6, 19), date(2026, 6, 21)),   # 端午
    (date(2026, 9, 25), date(2026, 9, 27)),   # 中秋
    (date(2026, 10, 1), date(2026, 10, 7)),   # 国庆
]


def sh(*args):
    """A Shanghai wall-clock time as naive UTC."""
    return SHANGHAI.to_utc(datetime(*args))


def cn_calendar(zone=SHANGHAI):
    attendances = list(OFFICE)
    for day in CN_MAKEUP_DAYS:
        attendances += [(day.weekday(), 9, 12, day, day), (day.weekday(), 13, 18, day, day)]
    holidays = [(sh(first.year, first.month, first.day),
                 sh(last.year, last.month, last.day) + DAY) for first, last in CN_HOLIDAYS]
    return Calendar(attendances, holidays=holidays, tz=zone)


def office(zone=SHANGHAI, **kwargs):
    return Calendar(OFFICE, tz=zone, **kwargs)


# ---------------------------------------------------------------- without a calendar

def test_without_calendar_days_are_24_hours():
    start = datetime(2026, 2, 13, 2, 30)
    assert add_days(start, 3) == start + 3 * DAY
    assert subtract_days(start, 3) == start - 3 * DAY
    assert add_days(start, 0) == start == subtract_days(start, 0)
    assert whole_days(start, start + 3 * DAY - US) == 2
    assert whole_days(start, start + 3 * DAY) == 3
    assert whole_days(start, start - US) == -1
    assert whole_days(None, start) is None
    assert cooldown_end(start, 2) == start + 2 * DAY
    assert reclaim_timers(start, start, 3, 10, 1) == Timers(
        start + 3 * DAY, start + 2 * DAY, IDLE)


def test_a_calendar_with_no_day_off_gives_the_calendar_day_results():
    """Round the clock every day, in UTC: a working day is a 24-hour day."""
    calendar = Calendar([(weekday, 0, 24) for weekday in range(7)])
    start = datetime(2026, 2, 13, 2, 30)
    for days in (1, 3, 10):
        assert add_days(start, days, calendar) == add_days(start, days)
        assert subtract_days(start, days, calendar) == subtract_days(start, days)
    assert reclaim_timers(start, start, 3, 10, 1, calendar=calendar) == reclaim_timers(
        start, start, 3, 10, 1)
    assert whole_days(start, start + 3 * DAY - US, calendar) == 2
    assert whole_days(start, start + 3 * DAY, calendar) == 3


# ---------------------------------------------------------------- DST-free zones: China

@pytest.mark.parametrize("start, days, expected", [
    # 春节: the make-up Saturday before it counts, the holiday week does not.
    ((2026, 2, 13, 10), 1, (2026, 2, 14, 10)),    # Fri -> make-up Sat 14 Feb
    ((2026, 2, 13, 10), 2, (2026, 2, 24, 10)),    # -> Tue after the holiday week
    ((2026, 2, 13, 10), 3, (2026, 2, 25, 10)),
    ((2026, 2, 14, 10), 1, (2026, 2, 24, 10)),    # from the make-up Saturday
    ((2026, 2, 15, 10), 1, (2026, 2, 25, 9)),     # inside the holiday: from Tue 09:00
    ((2026, 2, 21, 23), 1, (2026, 2, 25, 9)),
    ((2026, 2, 27, 10), 1, (2026, 2, 28, 10)),    # Fri -> make-up Sat 28 Feb
    ((2026, 2, 27, 10), 2, (2026, 3, 2, 10)),
    # 元旦: Wed 31 Dec 2025 -> make-up Sun 4 Jan.
    ((2025, 12, 31, 10), 1, (2026, 1, 4, 10)),
    ((2025, 12, 31, 10), 2, (2026, 1, 5, 10)),
    # 清明, 劳动节 (make-up Sat 9 May), 端午, 中秋, 国庆 (make-up Sun 20 Sep, Sat 10 Oct).
    ((2026, 4, 3, 10), 1, (2026, 4, 7, 10)),
    ((2026, 4, 30, 10), 1, (2026, 5, 6, 10)),
    ((2026, 5, 8, 10), 1, (2026, 5, 9, 10)),
    ((2026, 6, 18, 10), 1, (2026, 6, 22, 10)),
    ((2026, 9, 18, 10), 1, (2026, 9, 20, 10)),
    ((2026, 9, 24, 10), 1, (2026, 9, 28, 10)),
    ((2026, 9, 30, 10), 1, (2026, 10, 8, 10)),
    ((2026, 9, 30, 10), 2, (2026, 10, 9, 10)),
    ((2026, 9, 30, 10), 3, (2026, 10, 10, 10)),
    # Outside working time the clock starts at the next start of work.
    ((2026, 3, 2, 7), 1, (2026, 3, 3, 9)),         # before hours: from Mon 09:00
    ((2026, 3, 2, 12, 30), 1, (2026, 3, 3, 13)),   # in the lunch break: from 13:00
    ((2026, 3, 2, 18), 1, (2026, 3, 4, 9)),        # at 18:00: from Tue 09:00
    ((2026, 3, 2, 17, 59), 1, (2026, 3, 3, 17, 59)),
    ((2026, 3, 2, 0), 1, (2026, 3, 3, 9)),
    ((2026, 2, 13, 20), 1, (2026, 2, 24, 9)),      # Fri evening: from make-up Sat 09:00
])
def test_add_working_days_over_the_2026_chinese_calendar(start, days, expected):
    assert add_days(sh(*start), days, cn_calendar()) == sh(*expected)


@pytest.mark.parametrize("end, days, expected", [
    ((2026, 2, 24, 10), 1, (2026, 2, 14, 10)),    # back over the holiday week
    ((2026, 2, 25, 10), 2, (2026, 2, 14, 10)),
    ((2026, 2, 25, 10), 3, (2026, 2, 13, 10)),
    ((2026, 1, 5, 10), 1, (2026, 1, 4, 10)),      # make-up Sunday
    ((2026, 1, 4, 10), 1, (2025, 12, 31, 10)),
    # Outside working time: from the last end of work before (Wed 30 Sep 18:00).
    ((2026, 10, 8, 7), 1, (2026, 9, 29, 18)),
    ((2026, 10, 12, 20), 1, (2026, 10, 10, 18)),  # make-up Sat 10 Oct
    ((2026, 10, 11, 10), 1, (2026, 10, 9, 18)),   # Sunday: from Sat 10 Oct 18:00
])
def test_subtract_working_days_mirrors(end, days, expected):
    assert subtract_days(sh(*end), days, cn_calendar()) == sh(*expected)


def test_working_days_of_the_chinese_calendar():
    calendar = cn_calendar()
    assert is_working_day(calendar, date(2026, 2, 14))      # make-up Saturday
    assert not is_working_day(calendar, date(2026, 2, 21))  # Saturday in 春节
    assert not is_working_day(calendar, date(2026, 2, 16))  # Monday in 春节
    assert not is_working_day(calendar, date(2026, 2, 7))   # plain Saturday
    assert is_working_day(calendar, date(2026, 2, 24))
    working_2026 = [day for day in (date(2026, 1, 1) + n * DAY for n in range(365))
                    if is_working_day(calendar, day)]
    # 261 weekdays in 2026, less 19 holiday weekdays, plus 6 make-up days.
    assert len(working_2026) == 261 - 19 + 6


def test_in_a_half_hour_zone_the_day_is_local():
    """Asia/Kolkata (UTC+05:30, no DST): days are Kolkata dates, in UTC the deadline
    is 24 hours (or a weekend) later at the same minute."""
    calendar = office(KOLKATA)
    monday_2330 = KOLKATA.to_utc(datetime(2026, 3, 2, 23, 30))  # 18:00 UTC Monday
    # 23:30 is after hours: the clock starts Tuesday 09:00.
    assert add_days(monday_2330, 1, calendar) == KOLKATA.to_utc(datetime(2026, 3, 4, 9))
    assert add_days(monday_2330, 1, calendar) == datetime(2026, 3, 4, 3, 30)
    friday = KOLKATA.to_utc(datetime(2026, 3, 6, 10, 15))
    assert add_days(friday, 1, calendar) == friday + 3 * DAY
    assert whole_days(friday, friday + 3 * DAY - US, calendar) == 0
    assert whole_days(friday, friday + 3 * DAY, calendar) == 1


# ---------------------------------------------------------------- the pool timers

def test_reclaim_timers_in_working_days_the_day_before_spring_festival():
    calendar = cn_calendar()
    assigned = sh(2026, 2, 13, 10)
    # Idle 3 working days, warned 1 before: Sat 14 Feb, Tue 24, Wed 25.
    assert reclaim_timers(assigned, assigned, idle_days=3, warn_days=1,
                          calendar=calendar) == Timers(
        sh(2026, 2, 25, 10), sh(2026, 2, 24, 10), IDLE)
    # The hold timer is in working days too and wins a tie.
    assert reclaim_timers(assigned, assigned, idle_days=3, max_hold_days=3, warn_days=2,
                          calendar=calendar) == Timers(
        sh(2026, 2, 25, 10), sh(2026, 2, 14, 10), HOLD)
    # Worked on the make-up Saturday afternoon: the idle clock restarts there.
    worked = sh(2026, 2, 14, 16, 20)
    assert reclaim_timers(worked, assigned, idle_days=1, max_hold_days=5,
                          calendar=calendar) == Timers(sh(2026, 2, 24, 16, 20), None, IDLE)
    # The warning is never before the clock started.
    assert reclaim_timers(assigned, assigned, idle_days=1, warn_days=5,
                          calendar=calendar).warn_from == assigned


def test_protection_stays_in_calendar_days():
    calendar = cn_calendar()
    assigned = sh(2026, 2, 13, 10)
    timers = reclaim_timers(assigned, assigned, idle_days=1, warn_days=1,
                            protect_days=5, calendar=calendar)
    assert timers.deadline == assigned + 5 * DAY          # Wed 18 Feb, in the holiday
    # One working day before Wed 18 Feb 10:00 (holiday), counted back from the last
    # end of work (make-up Saturday 18:00): Friday 18:00.
    assert timers.warn_from == sh(2026, 2, 13, 18)


def test_reclaim_status_in_working_days():
    calendar = cn_calendar()
    assigned = sh(2026, 2, 13, 10)

    def status(now):
        return reclaim_status(assigned, assigned, idle_days=3, max_hold_days=10,
                              warn_days=1, now=now, calendar=calendar)

    assert status(sh(2026, 2, 23, 23)).state == OK        # last holiday night
    assert status(sh(2026, 2, 24, 10) - US).state == OK
    assert status(sh(2026, 2, 24, 10)).state == WARN
    before = status(sh(2026, 2, 25, 10) - US)
    assert (before.state, before.idle_days, before.limit_days) == (WARN, 2, 3)
    due = status(sh(2026, 2, 25, 10))
    assert due == reclaim.Status(
        DUE, sh(2026, 2, 25, 10), sh(2026, 2, 24, 10), IDLE, 3, 3, 3)
    # Twelve calendar days, three working days.
    assert (sh(2026, 2, 25, 10) - assigned).days == 12


def test_whole_working_days():
    calendar = cn_calendar()
    start = sh(2026, 2, 13, 10)
    assert whole_days(start, start, calendar) == 0
    assert whole_days(start, start - DAY, calendar) == 0
    assert whole_days(start, sh(2026, 2, 14, 10) - US, calendar) == 0
    assert whole_days(start, sh(2026, 2, 14, 10), calendar) == 1
    assert whole_days(start, sh(2026, 2, 23, 23, 59), calendar) == 1
    assert whole_days(start, sh(2026, 2, 24, 9, 59), calendar) == 1
    assert whole_days(start, sh(2026, 2, 24, 10), calendar) == 2
    # After hours: the clock starts the next morning.
    late = sh(2026, 3, 2, 20)
    assert whole_days(late, sh(2026, 3, 4, 9) - US, calendar) == 0
    assert whole_days(late, sh(2026, 3, 4, 9), calendar) == 1


def test_cooldown_in_working_days():
    calendar = cn_calendar()
    released = sh(2026, 9, 30, 15)
    assert cooldown_end(released, 2, calendar) == sh(2026, 10, 9, 15)
    assert cooldown_end(released, 3, calendar) == sh(2026, 10, 10, 15)  # make-up Sat
    assert cooldown_end(released, 0, calendar) is None
    assert cooldown_end(None, 2, calendar) is None
    assert cooldown_end(released, 2) == released + 2 * DAY


# ---------------------------------------------------------------- Europe across DST

@pytest.fixture
def paris():
    pytz = pytest.importorskip("pytz")
    return Zone(pytz.timezone("Europe/Paris"))


def test_spring_forward_keeps_the_wall_clock(paris):
    """Clocks go forward on Sunday 29 March 2026: Friday 10:00 CET + 1 working day is
    Monday 10:00 CEST, 71 hours later."""
    calendar = office(paris)
    friday = datetime(2026, 3, 27, 9)      # 10:00 CET
    monday = datetime(2026, 3, 30, 8)      # 10:00 CEST
    assert add_days(friday, 1, calendar) == monday
    assert monday - friday == 71 * HOUR
    assert subtract_days(monday, 1, calendar) == friday
    assert whole_days(friday, monday - US, calendar) == 0
    assert whole_days(friday, monday, calendar) == 1
    # In calendar days the same idle limit ends on the Sunday.
    assert add_days(friday, 1) == datetime(2026, 3, 28, 9)
    assert reclaim_timers(friday, friday, idle_days=2, warn_days=1,
                          calendar=calendar) == Timers(
        datetime(2026, 3, 31, 8), monday, IDLE)


def test_fall_back_keeps_the_wall_clock(paris):
    """Clocks go back on Sunday 25 October 2026: Friday 10:00 CEST + 1 working day is
    Monday 10:00 CET, 73 hours later; from after hours, Tuesday 09:00 CET."""
    calendar = office(paris)
    friday = datetime(2026, 10, 23, 8)     # 10:00 CEST
    monday = datetime(2026, 10, 26, 9)     # 10:00 CET
    assert add_days(friday, 1, calendar) == monday
    assert monday - friday == 73 * HOUR
    assert subtract_days(monday, 1, calendar) == friday
    # Friday 22:00 CEST: the clock starts Monday 09:00 CET.
    assert add_days(datetime(2026, 10, 23, 20), 1, calendar) == datetime(2026, 10, 27, 8)
    # Given back on the Sunday of the change (01:30 CEST, 25 hours long, no working
    # day): the clock starts Monday 09:00 CET.
    assert cooldown_end(datetime(2026, 10, 24, 23, 30), 1, calendar) == datetime(
        2026, 10, 27, 8)
    # Back from Monday 08:00 CET (before hours): from Friday 18:00 CEST.
    assert subtract_days(datetime(2026, 10, 26, 7), 1, calendar) == datetime(
        2026, 10, 22, 16)


def test_a_working_sunday_of_the_change(paris):
    """A make-up Sunday on the day the clocks go forward: 09:00-12:00 CEST."""
    sunday = date(2026, 3, 29)
    calendar = Calendar(OFFICE + [(6, 9, 12, sunday, sunday)], tz=paris)
    friday = datetime(2026, 3, 27, 9, 30)  # 10:30 CET
    assert add_days(friday, 1, calendar) == datetime(2026, 3, 29, 8, 30)  # 10:30 CEST
    assert add_days(friday, 2, calendar) == datetime(2026, 3, 30, 8, 30)
    # From Saturday the clock starts on the Sunday at 09:00 CEST (07:00 UTC).
    assert add_days(datetime(2026, 3, 28, 9, 30), 1, calendar) == datetime(2026, 3, 30, 7)
    # Sunday 11:00 CEST - 1 working day: Friday 11:00 CET.
    assert subtract_days(datetime(2026, 3, 29, 9), 1, calendar) == datetime(
        2026, 3, 27, 10)


# ---------------------------------------------------------------- leaves

# Off from Friday 6 March 13:00 to Tuesday 10 March 12:00 (Shanghai).
WEEKEND_LEAVE = (sh(2026, 3, 6, 13), sh(2026, 3, 10, 12))


@pytest.mark.parametrize("start, days, expected", [
    ((2026, 3, 5, 10), 1, (2026, 3, 6, 10)),
    ((2026, 3, 5, 15), 1, (2026, 3, 6, 12)),     # Friday 15:00 on leave: its end of work
    ((2026, 3, 5, 15), 2, (2026, 3, 10, 15)),    # Monday is no working day
    ((2026, 3, 5, 10), 2, (2026, 3, 10, 13)),    # Tuesday 10:00 on leave, then lunch
    ((2026, 3, 6, 16), 1, (2026, 3, 11, 13)),    # inside the leave: from Tue 13:00
    ((2026, 3, 7, 10), 1, (2026, 3, 11, 13)),
    ((2026, 3, 6, 11), 1, (2026, 3, 10, 13)),    # Fri 11:00 -> Tue 11:00 on leave
])
def test_a_leave_spanning_a_weekend(start, days, expected):
    calendar = office(holidays=[WEEKEND_LEAVE])
    assert add_days(sh(*start), days, calendar) == sh(*expected)


def test_a_leave_spanning_a_weekend_in_the_timers():
    calendar = office(holidays=[WEEKEND_LEAVE])
    worked = sh(2026, 3, 5, 16)
    # Idle 2 working days: Friday (morning left), Tuesday (afternoon left).
    assert reclaim_timers(worked, worked, idle_days=2, warn_days=1,
                          calendar=calendar) == Timers(
        sh(2026, 3, 10, 16), sh(2026, 3, 6, 12), IDLE)
    # Friday 16:00 is on leave: the warning moves to Friday's end of work, 12:00.
    assert whole_days(worked, sh(2026, 3, 10, 16) - US, calendar) == 1


def test_a_whole_week_off_as_local_dates():
    calendar = office(leaves=[(date(2026, 3, 6), date(2026, 3, 13))])
    thursday = sh(2026, 3, 5, 11)
    assert add_days(thursday, 1, calendar) == sh(2026, 3, 16, 11)
    assert subtract_days(sh(2026, 3, 16, 11), 1, calendar) == thursday


# ---------------------------------------------------------------- bad input

def test_a_calendar_without_attendances_is_refused():
    empty = Calendar([], holidays=[WEEKEND_LEAVE], tz=SHANGHAI)
    start = sh(2026, 3, 2, 10)
    for call in (lambda: add_days(start, 1, empty),
                 lambda: subtract_days(start, 1, empty),
                 lambda: cooldown_end(start, 1, empty),
                 lambda: reclaim_timers(start, start, idle_days=1, calendar=empty)):
        with pytest.raises(ValueError, match="no attendances"):
            call()
    # Nothing to count: no error.
    assert reclaim_timers(start, start, calendar=empty) == NO_TIMERS
    assert add_days(start, 0, empty) == start


def test_a_calendar_whose_working_days_ended_is_refused():
    """Attendances valid until 2026-03-06 only: no working day within the horizon."""
    until = date(2026, 3, 6)
    calendar = Calendar([(weekday, 9, 18, None, until) for weekday in range(5)],
                        tz=SHANGHAI)
    assert add_days(sh(2026, 3, 5, 10), 1, calendar) == sh(2026, 3, 6, 10)
    with pytest.raises(ValueError, match="no working time within 366 days"):
        add_days(sh(2026, 3, 5, 10), 2, calendar)


@pytest.mark.parametrize("days", [-1, 1.5, True, "2"])
def test_days_must_be_a_whole_number(days):
    with pytest.raises((TypeError, ValueError)):
        add_working_days(cn_calendar(), sh(2026, 3, 2, 10), days)
    with pytest.raises((TypeError, ValueError)):
        subtract_working_days(cn_calendar(), sh(2026, 3, 2, 10), days)


# ---------------------------------------------------------------- properties

def test_random_starts_round_trip():
    """For any start, ``whole_days(start, add_days(start, n)) == n``, one microsecond
    before it is ``n - 1``; deadlines grow with ``n`` and with the start; a start in
    working time comes back from ``subtract_days``."""
    calendar = cn_calendar()
    rng = random.Random(2026)
    base = sh(2025, 12, 20)
    for _ in range(400):
        start = base + timedelta(minutes=rng.randrange(0, 300 * 24 * 60))
        n = rng.randrange(1, 15)
        deadline = add_days(start, n, calendar)
        assert deadline > start
        assert whole_days(start, deadline, calendar) == n
        assert whole_days(start, deadline - US, calendar) == n - 1
        assert add_days(start, n + 1, calendar) > deadline
        later = start + timedelta(minutes=rng.randrange(1, 3000))
        assert add_days(later, n, calendar) >= deadline
        assert subtract_days(later, n, calendar) >= subtract_days(start, n, calendar)
        local = SHANGHAI.to_local(start)
        in_hours = (9 <= local.hour < 12 or 13 <= local.hour < 18) and is_working_day(
            calendar, local.date())
        if in_hours:
            assert subtract_days(deadline, n, calendar) == start
