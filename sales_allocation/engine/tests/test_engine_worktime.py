# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Working-time arithmetic: schedules, holidays, leaves, make-up days, DST, deadlines.

Times are written in the rep's local time and converted with the zone under test, so
the expected values read like a calendar; a few DST cases also pin the UTC value.
``ParisRules`` restates the EU rule by hand so that no time zone database is needed;
the same cases run against pytz when it is installed.
"""
import ast
import importlib.util
import logging
import math
import os
import random
import sys
import sysconfig
import time
from datetime import date, datetime, timedelta, timezone

import pytest

import engine
from engine.worktime import (
    HOLIDAY, HORIZON_DAYS, LEAVE, OFF_SHIFT, UTC, Attendance, Calendar, FixedZone, Reason,
    Zone, add_working_days, add_working_minutes, available_until, is_working,
    is_working_day, next_start, why_unavailable, working_intervals,
    working_minutes_between)

_logger = logging.getLogger(__name__)

US = timedelta(microseconds=1)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

SHANGHAI = FixedZone(8, "Asia/Shanghai")
# Monday to Friday, 09:00-12:00 and 13:00-18:00: 8 hours a day with a lunch break.
OFFICE = [(weekday, 9, 12) for weekday in range(5)] + [
    (weekday, 13, 18) for weekday in range(5)]
OFFICE_HOURS = ((9.0, 12.0), (13.0, 18.0))


def last_sunday(year, month):
    day = date(year, month + 1, 1) - DAY
    return day - timedelta(days=(day.weekday() + 1) % 7)


class ParisRules(object):
    """Europe/Paris without a database: UTC+1, UTC+2 from the last Sunday of March
    01:00 UTC to the last Sunday of October 01:00 UTC.  ``to_utc`` chooses like pytz's
    ``localize(is_dst=False)``: standard time for a repeated hour, the standard offset
    for a skipped one."""

    name = "Europe/Paris (rules)"

    def offset(self, utc):
        start = datetime.combine(last_sunday(utc.year, 3), datetime.min.time()) + HOUR
        end = datetime.combine(last_sunday(utc.year, 10), datetime.min.time()) + HOUR
        return 2 * HOUR if start <= utc < end else HOUR

    def to_local(self, utc):
        return utc + self.offset(utc)

    def to_utc(self, local):
        for offset in (HOUR, 2 * HOUR):
            if self.to_local(local - offset) == local:
                return local - offset
        return local - HOUR


def pytz_paris():
    pytz = pytest.importorskip("pytz")
    return Zone(pytz.timezone("Europe/Paris"))


@pytest.fixture(params=["rules", "pytz"])
def paris(request):
    return ParisRules() if request.param == "rules" else pytz_paris()


def at(zone, *args):
    """Naive UTC of a local wall-clock time in ``zone``."""
    return zone.to_utc(datetime(*args))


def local(zone, utc):
    return zone.to_local(utc)


def sh(*args):
    return at(SHANGHAI, *args)


def office(**kwargs):
    kwargs.setdefault("tz", SHANGHAI)
    return Calendar(OFFICE, **kwargs)


# 2026-03-02 is a Monday.
MON, TUE, WED, THU, FRI, SAT, SUN = [(2026, 3, 2 + i) for i in range(7)]


# ---------------------------------------------------------------- the package rule

def test_imports_only_the_standard_library_and_relative_modules():
    filename = os.path.join(os.path.dirname(engine.__file__), "worktime.py")
    with open(filename) as source:
        tree = ast.parse(source.read(), filename)
    stdlib = sysconfig.get_paths()["stdlib"]
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            assert top not in ("odoo", "pytz"), name
            if top in sys.builtin_module_names:
                continue
            origin = importlib.util.find_spec(top).origin
            assert origin in ("built-in", "frozen") or origin.startswith(stdlib), name


# ---------------------------------------------------------------- time zones

def test_fixed_zone_round_trips():
    india = FixedZone(5.5, "Asia/Kolkata")
    moment = datetime(2026, 3, 2, 3, 45)
    assert india.to_local(moment) == datetime(2026, 3, 2, 9, 15)
    assert india.to_utc(india.to_local(moment)) == moment
    assert UTC.to_local(moment) == moment == UTC.to_utc(moment)
    assert "Kolkata" in repr(india)


def test_paris_rules_change_at_one_utc():
    rules = ParisRules()
    spring, autumn = datetime(2026, 3, 29, 1), datetime(2026, 10, 25, 1)
    assert rules.to_local(spring - US) == datetime(2026, 3, 29, 1, 59, 59, 999999)
    assert rules.to_local(spring) == datetime(2026, 3, 29, 3)
    assert rules.to_local(autumn - US) == datetime(2026, 10, 25, 2, 59, 59, 999999)
    assert rules.to_local(autumn) == datetime(2026, 10, 25, 2)
    assert rules.to_utc(datetime(2026, 3, 29, 2, 30)) == datetime(2026, 3, 29, 1, 30)
    assert rules.to_utc(datetime(2026, 10, 25, 2, 30)) == datetime(2026, 10, 25, 1, 30)
    assert rules.to_utc(datetime(2026, 7, 1, 12)) == datetime(2026, 7, 1, 10)


def test_pytz_zone_agrees_with_the_hand_written_rules():
    zone, rules = pytz_paris(), ParisRules()
    moment = datetime(2026, 1, 1)
    while moment < datetime(2027, 1, 1):
        assert zone.to_local(moment) == rules.to_local(moment), moment
        assert zone.to_utc(moment) == rules.to_utc(moment), moment
        moment += timedelta(minutes=30 if moment.month in (3, 10) else 397)


def test_zone_wraps_a_standard_tzinfo():
    zone = Zone(timezone(timedelta(hours=8)))
    moment = datetime(2026, 3, 2, 1)
    assert zone.to_local(moment) == datetime(2026, 3, 2, 9)
    assert zone.to_utc(datetime(2026, 3, 2, 9)) == moment
    with pytest.raises(TypeError):
        Zone("Asia/Shanghai")


@pytest.mark.parametrize("tz", [
    SHANGHAI,
    timezone(timedelta(hours=8)),
    (SHANGHAI.to_local, SHANGHAI.to_utc),
])
def test_every_zone_form_gives_the_same_calendar(tz):
    calendar = Calendar(OFFICE, tz=tz)
    assert is_working(calendar, sh(*MON, 9))
    assert not is_working(calendar, sh(*MON, 9) - US)
    assert add_working_minutes(calendar, sh(*MON, 17, 45), 30) == sh(*TUE, 9, 15)


def test_default_zone_is_utc():
    calendar = Calendar(OFFICE)
    assert calendar.zone is UTC
    assert is_working(calendar, datetime(*MON, 9))


@pytest.mark.parametrize("tz", ["Asia/Shanghai", 8, (len,), object()])
def test_unusable_zone_is_refused(tz):
    with pytest.raises(TypeError, match="tz must be"):
        Calendar(OFFICE, tz=tz)


def test_pytz_zone_is_accepted_directly():
    pytz = pytest.importorskip("pytz")
    calendar = Calendar(OFFICE, tz=pytz.timezone("Asia/Shanghai"))
    assert add_working_minutes(calendar, sh(*MON, 17, 45), 30) == sh(*TUE, 9, 15)


# ---------------------------------------------------------------- validation

@pytest.mark.parametrize("attendance, message", [
    ((7, 9, 18), "weekday"),
    ((-1, 9, 18), "weekday"),
    ((True, 9, 18), "weekday"),
    ((0, 18, 9), "split at midnight"),
    ((0, 22, 6), "split at midnight"),
    ((0, 9, 9), "hour_from < hour_to"),
    ((0, -1, 9), "hour_from < hour_to"),
    ((0, 9, 25), "hour_from < hour_to"),
    ((0, float("nan"), 9), "number of hours"),
    ((0, 9, float("inf")), "number of hours"),
    ((0, "9", 18), "number of hours"),
    ((0, 9, 18, date(2026, 3, 1), date(2026, 2, 1)), "date_from is after date_to"),
    ((0, 9, 18, datetime(2026, 3, 1), None), "must be dates"),
    ((0, 9), "an attendance is"),
    ((0, 9, 18, None, None, None), "an attendance is"),
])
def test_bad_attendance_is_refused(attendance, message):
    with pytest.raises(ValueError, match=message):
        Calendar([attendance])


@pytest.mark.parametrize("leave, message", [
    ((datetime(2026, 3, 2, 10), datetime(2026, 3, 2, 10)), "ends before it starts"),
    ((datetime(2026, 3, 2, 10), datetime(2026, 3, 2, 9)), "ends before it starts"),
    ((datetime(2026, 3, 2, tzinfo=timezone.utc), datetime(2026, 3, 3)), "naive UTC"),
    ((date(2026, 3, 3), date(2026, 3, 2)), "last day before first day"),
    ((date(2026, 3, 2), datetime(2026, 3, 3)), "expected"),
    ("2026-03-02", "expected"),
    (42, "expected"),
])
@pytest.mark.parametrize("kind", ["leaves", "holidays"])
def test_bad_leave_is_refused(kind, leave, message):
    with pytest.raises(ValueError, match=message):
        Calendar(OFFICE, **{kind: [leave]})


@pytest.mark.parametrize("extra, message", [
    ((date(2026, 2, 14), 7), "weekday must be 0..6"),
    ((date(2026, 2, 14), ((18, 9),)), "split at midnight"),
    ((date(2026, 2, 14), (9, 18)), "hours must be"),
    ((datetime(2026, 2, 14), ((9, 18),)), "must be a date"),
    (datetime(2026, 2, 14), "expected a date"),
    (42, "expected a date"),
])
def test_bad_extra_day_is_refused(extra, message):
    with pytest.raises(ValueError, match=message):
        Calendar(OFFICE, extra_days=[extra])


def test_extra_day_given_twice_is_refused():
    with pytest.raises(ValueError, match="given twice"):
        Calendar(OFFICE, extra_days=[date(2026, 2, 14), (date(2026, 2, 14), 0)])


@pytest.mark.parametrize("horizon", [0, -1, 1.5, True])
def test_bad_horizon_is_refused(horizon):
    with pytest.raises(ValueError, match="horizon_days"):
        Calendar(OFFICE, horizon_days=horizon)


@pytest.mark.parametrize("minutes", [0, -1, -0.5, 0.0, float("nan"), float("inf")])
def test_minutes_must_be_positive(minutes):
    with pytest.raises(ValueError, match="minutes must be a finite number > 0"):
        add_working_minutes(office(), sh(*MON, 10), minutes)


@pytest.mark.parametrize("minutes", ["30", None, True, timedelta(minutes=30)])
def test_minutes_must_be_a_number(minutes):
    with pytest.raises(TypeError, match="minutes must be a number"):
        add_working_minutes(office(), sh(*MON, 10), minutes)


@pytest.mark.parametrize("days", [0, -1, -30])
def test_days_must_be_positive(days):
    with pytest.raises(ValueError, match="days must be >= 1"):
        add_working_days(office(), sh(*MON, 10), days)


@pytest.mark.parametrize("days", [1.0, 1.5, "1", None, True])
def test_days_must_be_an_int(days):
    with pytest.raises(TypeError, match="days must be an int"):
        add_working_days(office(), sh(*MON, 10), days)


@pytest.mark.parametrize("function", [
    is_working, available_until, next_start, why_unavailable,
    lambda calendar, moment: add_working_minutes(calendar, moment, 30),
    lambda calendar, moment: add_working_days(calendar, moment, 1),
    lambda calendar, moment: working_minutes_between(calendar, moment, moment),
    lambda calendar, moment: working_intervals(calendar, moment, moment),
])
def test_datetimes_must_be_naive_utc(function):
    with pytest.raises(ValueError, match="naive"):
        function(office(), datetime(2026, 3, 2, 2, tzinfo=timezone.utc))
    with pytest.raises(TypeError, match="naive UTC datetime"):
        function(office(), date(2026, 3, 2))


def test_is_working_day_needs_a_date():
    with pytest.raises(TypeError):
        is_working_day(office(), datetime(*MON))


# ---------------------------------------------------------------- no working time at all

@pytest.mark.parametrize("calendar", [
    Calendar([]),
    Calendar([], tz=SHANGHAI, leaves=[date(2026, 3, 2)], holidays=[date(2026, 3, 3)]),
], ids=["empty", "only leaves"])
def test_a_calendar_without_attendances_never_loops(calendar):
    moment = sh(*MON, 10)
    with pytest.raises(ValueError, match="no attendances"):
        add_working_minutes(calendar, moment, 30)
    with pytest.raises(ValueError, match="no attendances"):
        add_working_days(calendar, moment, 1)
    assert not is_working(calendar, moment)
    assert available_until(calendar, moment) is None
    assert next_start(calendar, moment) is None
    assert working_minutes_between(calendar, moment, moment + 1000 * DAY) == 0
    assert working_intervals(calendar, moment, moment + 30 * DAY) == []
    assert not is_working_day(calendar, date(*MON))
    assert why_unavailable(calendar, moment) in (
        Reason(OFF_SHIFT, (), None), Reason(LEAVE, sh(*TUE), None))


def test_expired_attendances_end_within_the_horizon():
    calendar = Calendar([(0, 9, 18, None, date(2026, 1, 31))], tz=SHANGHAI)
    moment = sh(2026, 3, 2, 10)
    assert next_start(calendar, moment) is None
    with pytest.raises(ValueError, match="no working time within 366 days"):
        add_working_minutes(calendar, moment, 30)
    with pytest.raises(ValueError, match="no working time within 366 days"):
        add_working_days(calendar, moment, 1)
    # Before the end the same calendar works, and runs out in the middle of a count.
    assert add_working_minutes(calendar, sh(2026, 1, 26, 9), 540) == sh(2026, 1, 26, 18)
    with pytest.raises(ValueError, match="no working time"):
        add_working_minutes(calendar, sh(2026, 1, 26, 9), 541)
    with pytest.raises(ValueError, match="no working time"):
        add_working_days(calendar, sh(2026, 1, 19, 9), 2)


def test_horizon_is_the_longest_gap_searched():
    start, end = sh(2026, 3, 2), sh(2026, 3, 23)  # three weeks of leave
    short = office(leaves=[(start, end)], horizon_days=10)
    longer = office(leaves=[(start, end)], horizon_days=30)
    assert next_start(short, sh(*MON, 10)) is None
    assert next_start(longer, sh(*MON, 10)) == sh(2026, 3, 23, 9)
    with pytest.raises(ValueError, match="within 10 days"):
        add_working_minutes(short, sh(*MON, 10), 1)
    assert add_working_minutes(longer, sh(*MON, 10), 1) == sh(2026, 3, 23, 9, 1)
    # Long counts are fine: the horizon bounds gaps, not the span of a deadline.
    assert add_working_minutes(short, sh(2026, 3, 23, 9), 480 * 200) == sh(2026, 12, 25, 18)
    assert HORIZON_DAYS == 366


def test_no_deadline_is_searched_past_max_days(monkeypatch):
    monkeypatch.setattr("engine.worktime.MAX_DAYS", 30)
    calendar = office()
    assert add_working_minutes(calendar, sh(*MON, 9), 480 * 20) == sh(2026, 3, 27, 18)
    with pytest.raises(ValueError, match="no deadline within 30 days"):
        add_working_minutes(calendar, sh(*MON, 9), 480 * 25)
    with pytest.raises(ValueError, match="no deadline within 30 days"):
        add_working_days(calendar, sh(*MON, 9), 25)
    with pytest.raises(ValueError, match="no deadline within 30 days"):
        available_until(Calendar([(day, 0, 24) for day in range(7)]), sh(*MON, 9))


def test_an_inconsistent_zone_is_reported_not_looped_on():
    class Broken(object):
        def to_local(self, utc):
            return utc + 1000 * DAY

        def to_utc(self, local):
            return local

    with pytest.raises(ValueError, match="to_local and to_utc disagree"):
        is_working(Calendar(OFFICE, tz=Broken()), sh(*MON, 10))


def test_a_year_long_leave_hides_everything():
    calendar = office(leaves=[(sh(2026, 1, 1), sh(2028, 1, 1))])
    assert next_start(calendar, sh(*MON, 10)) is None
    assert why_unavailable(calendar, sh(*MON, 10)) == Reason(LEAVE, sh(2028, 1, 1), None)
    with pytest.raises(ValueError, match="no working time"):
        add_working_minutes(calendar, sh(*MON, 10), 30)


# ---------------------------------------------------------------- one office day

@pytest.mark.parametrize("hour, minute, second, working", [
    (8, 59, 59.999999, False),
    (9, 0, 0, True),
    (11, 59, 59.999999, True),
    (12, 0, 0, False),
    (12, 59, 59.999999, False),
    (13, 0, 0, True),
    (17, 59, 59.999999, True),
    (18, 0, 0, False),
    (0, 0, 0, False),
    (23, 59, 59.999999, False),
])
def test_is_working_at_the_boundaries(hour, minute, second, working):
    moment = sh(*MON, hour, minute) + timedelta(seconds=second)
    assert is_working(office(), moment) is working


def test_weekends_are_off():
    calendar = office()
    for day in (SAT, SUN):
        assert not is_working(calendar, sh(*day, 10))
        assert not is_working_day(calendar, date(*day))
    assert all(is_working_day(calendar, date(*day)) for day in (MON, TUE, WED, THU, FRI))


@pytest.mark.parametrize("start, until", [
    ((9, 0), (12, 0)),
    ((10, 0), (12, 0)),
    ((13, 0), (18, 0)),
    ((17, 59), (18, 0)),
    ((12, 0), None),
    ((12, 30), None),
    ((18, 0), None),
    ((8, 0), None),
])
def test_available_until(start, until):
    expected = until and sh(*MON, *until)
    assert available_until(office(), sh(*MON, *start)) == expected


@pytest.mark.parametrize("start, expected", [
    ((MON, 10, 0), (MON, 10, 0)),
    ((MON, 9, 0), (MON, 9, 0)),
    ((MON, 8, 0), (MON, 9, 0)),
    ((MON, 12, 0), (MON, 13, 0)),
    ((MON, 12, 30), (MON, 13, 0)),
    ((MON, 18, 0), (TUE, 9, 0)),
    ((FRI, 18, 0), ((2026, 3, 9), 9, 0)),
    ((SAT, 10, 0), ((2026, 3, 9), 9, 0)),
    ((SUN, 23, 59), ((2026, 3, 9), 9, 0)),
])
def test_next_start(start, expected):
    (day, hour, minute), (day2, hour2, minute2) = start, expected
    assert next_start(office(), sh(*day, hour, minute)) == sh(*day2, hour2, minute2)


NEXT_MON = (2026, 3, 9)


@pytest.mark.parametrize("start, minutes, expected", [
    ((MON, 9, 0), 30, (MON, 9, 30)),          # at the start of an interval
    ((MON, 8, 0), 30, (MON, 9, 30)),          # before work: starts at 09:00
    ((MON, 0, 0), 30, (MON, 9, 30)),
    ((MON, 10, 0), 30, (MON, 10, 30)),        # inside
    ((MON, 11, 30), 30, (MON, 12, 0)),        # fills the morning exactly: 12:00
    ((MON, 11, 45), 30, (MON, 13, 15)),       # across lunch
    ((MON, 12, 0), 30, (MON, 13, 30)),        # at the end of an interval
    ((MON, 12, 30), 30, (MON, 13, 30)),       # in the break
    ((MON, 17, 45), 30, (TUE, 9, 15)),        # across the night
    ((MON, 18, 0), 30, (TUE, 9, 30)),         # at the end of the day
    ((MON, 18, 0), 480, (TUE, 18, 0)),        # exactly the next day's working time
    ((MON, 18, 0), 481, (WED, 9, 1)),
    ((FRI, 18, 0), 480, (NEXT_MON, 18, 0)),
    ((MON, 23, 0), 30, (TUE, 9, 30)),
    ((FRI, 17, 30), 60, (NEXT_MON, 9, 30)),   # across the weekend
    ((SAT, 10, 0), 30, (NEXT_MON, 9, 30)),    # from the weekend
    ((MON, 9, 0), 480, (MON, 18, 0)),         # one full day ends at 18:00
    ((MON, 9, 0), 481, (TUE, 9, 1)),
    ((MON, 9, 0), 5 * 480, (FRI, 18, 0)),     # a full week
    ((MON, 9, 0), 5 * 480 + 1, (NEXT_MON, 9, 1)),
    ((MON, 13, 0), 300, (MON, 18, 0)),
])
def test_add_working_minutes(start, minutes, expected):
    (day, hour, minute), (day2, hour2, minute2) = start, expected
    deadline = add_working_minutes(office(), sh(*day, hour, minute), minutes)
    assert deadline == sh(*day2, hour2, minute2)


def test_fractional_minutes_and_microseconds():
    calendar = office()
    assert add_working_minutes(calendar, sh(*MON, 9), 0.5) == sh(*MON, 9, 0, 30)
    assert add_working_minutes(calendar, sh(*MON, 11, 59, 59, 999999), 1e-6 / 60) \
        == sh(*MON, 12)
    assert add_working_minutes(calendar, sh(*MON, 12) - US, 1) == sh(*MON, 13) + MIN - US


def test_working_minutes_between_on_a_week():
    calendar = office()
    assert working_minutes_between(calendar, sh(*MON), sh(*NEXT_MON)) == 5 * 480
    assert working_minutes_between(calendar, sh(*MON, 10), sh(*MON, 14)) == 180
    assert working_minutes_between(calendar, sh(*MON, 12), sh(*MON, 13)) == 0
    assert working_minutes_between(calendar, sh(*SAT), sh(*NEXT_MON)) == 0
    assert working_minutes_between(calendar, sh(*MON, 10), sh(*MON, 10)) == 0
    assert working_minutes_between(calendar, sh(*MON, 14), sh(*MON, 10)) == -180
    assert working_minutes_between(calendar, sh(*MON, 9), sh(*MON, 9) + US) \
        == pytest.approx(1e-6 / 60)


def test_working_minutes_between_far_apart_is_bounded():
    calendar = office()
    started = time.perf_counter()
    minutes = working_minutes_between(calendar, sh(2026, 1, 1), sh(2036, 1, 1))
    assert time.perf_counter() - started < 1
    assert minutes == 480 * 2608  # weekdays from 2026-01-01 to 2035-12-31


def test_working_intervals():
    calendar = office()
    assert working_intervals(calendar, sh(*MON, 10), sh(*TUE, 10)) == [
        (sh(*MON, 10), sh(*MON, 12)), (sh(*MON, 13), sh(*MON, 18)),
        (sh(*TUE, 9), sh(*TUE, 10))]
    assert working_intervals(calendar, sh(*SAT), sh(*NEXT_MON)) == []
    assert working_intervals(calendar, sh(*MON, 10), sh(*MON, 9)) == []


# ---------------------------------------------------------------- add_working_days

@pytest.mark.parametrize("start, days, expected", [
    ((MON, 10, 0), 1, (TUE, 10, 0)),          # the same time, next working day
    ((MON, 10, 0), 4, (FRI, 10, 0)),
    ((MON, 10, 0), 5, (NEXT_MON, 10, 0)),     # weekend skipped
    ((FRI, 10, 0), 1, (NEXT_MON, 10, 0)),
    ((SAT, 10, 0), 1, (NEXT_MON, 10, 0)),     # the start day never counts
    ((SUN, 10, 0), 1, (NEXT_MON, 10, 0)),
    ((MON, 20, 0), 1, (TUE, 18, 0)),          # after hours: the end of D's work
    ((MON, 18, 0), 1, (TUE, 18, 0)),
    ((MON, 7, 0), 1, (TUE, 9, 0)),            # before hours: D's start of work
    ((MON, 12, 30), 1, (TUE, 13, 0)),         # in a break: D's next start
    ((MON, 9, 0), 1, (TUE, 9, 0)),
    ((MON, 17, 59), 1, (TUE, 17, 59)),
    ((MON, 0, 0), 1, (TUE, 9, 0)),
    ((MON, 10, 0), 260, ((2027, 3, 1), 10, 0)),
])
def test_add_working_days(start, days, expected):
    (day, hour, minute), (day2, hour2, minute2) = start, expected
    assert add_working_days(office(), sh(*day, hour, minute), days) == sh(
        *day2, hour2, minute2)


def test_add_working_days_keeps_seconds():
    moment = sh(*MON, 10, 15, 42, 123456)
    assert add_working_days(office(), moment, 1) == moment + DAY


# ---------------------------------------------------------------- a leave over a weekend

# Off from Friday 13:00 to Tuesday 12:00 (an Odoo leave: UTC datetimes).
WEEKEND_LEAVE = (sh(*FRI, 13), sh(2026, 3, 10, 12))
NEXT_TUE = (2026, 3, 10)


def leave_calendar():
    return office(leaves=[WEEKEND_LEAVE])


def test_a_leave_over_a_weekend_removes_its_working_time():
    calendar = leave_calendar()
    assert add_working_minutes(calendar, sh(*FRI, 10), 240) == sh(*NEXT_TUE, 15)
    assert add_working_minutes(calendar, sh(*FRI, 12), 1) == sh(*NEXT_TUE, 13, 1)
    assert working_minutes_between(calendar, sh(*FRI), sh(2026, 3, 11)) == 480
    assert next_start(calendar, sh(*SAT, 12)) == sh(*NEXT_TUE, 13)
    assert is_working_day(calendar, date(*FRI))
    assert not is_working_day(calendar, date(*NEXT_MON))
    assert is_working_day(calendar, date(*NEXT_TUE))
    assert not is_working(calendar, sh(*FRI, 13))
    assert is_working(calendar, sh(*FRI, 12) - US)


@pytest.mark.parametrize("start, days, expected", [
    ((THU, 15, 0), 1, (FRI, 12, 0)),       # 15:00 Friday is on leave: Friday's end of work
    ((THU, 10, 0), 1, (FRI, 10, 0)),
    ((THU, 15, 0), 2, (NEXT_TUE, 15, 0)),  # Monday is no working day
    ((THU, 10, 0), 2, (NEXT_TUE, 13, 0)),  # 10:00 Tuesday on leave, then lunch
    ((FRI, 10, 0), 1, (NEXT_TUE, 13, 0)),
])
def test_add_working_days_around_a_leave(start, days, expected):
    (day, hour, minute), (day2, hour2, minute2) = start, expected
    assert add_working_days(leave_calendar(), sh(*day, hour, minute), days) == sh(
        *day2, hour2, minute2)


def test_a_leave_in_local_dates_is_whole_days():
    calendar = office(leaves=[(date(*NEXT_MON), date(*NEXT_TUE)), date(*WED)])
    assert not is_working_day(calendar, date(*WED))
    assert not is_working_day(calendar, date(*NEXT_MON))
    assert not is_working_day(calendar, date(*NEXT_TUE))
    assert is_working_day(calendar, date(2026, 3, 11))
    assert add_working_minutes(calendar, sh(*FRI, 17), 120) == sh(2026, 3, 11, 10)
    assert why_unavailable(calendar, sh(*NEXT_MON, 10)) == Reason(
        LEAVE, sh(2026, 3, 11), sh(2026, 3, 11, 9))


def test_overlapping_and_touching_leaves_join():
    calendar = office(leaves=[
        (sh(*MON, 10), sh(*MON, 15)), (sh(*MON, 14), sh(*TUE, 11)),
        (sh(*TUE, 11), sh(*TUE, 16))])
    assert why_unavailable(calendar, sh(*MON, 11)).detail == sh(*TUE, 16)
    assert working_minutes_between(calendar, sh(*MON), sh(*WED)) == 60 + 120


# ---------------------------------------------------------------- reasons

def test_no_reason_while_working():
    assert why_unavailable(office(), sh(*MON, 10)) is None


def test_off_shift_after_hours_and_at_lunch():
    calendar = office()
    assert why_unavailable(calendar, sh(*MON, 20)) == Reason(
        OFF_SHIFT, OFFICE_HOURS, sh(*TUE, 9))
    assert why_unavailable(calendar, sh(*MON, 12, 30)) == Reason(
        OFF_SHIFT, OFFICE_HOURS, sh(*MON, 13))
    assert why_unavailable(calendar, sh(*MON, 18)).code == OFF_SHIFT


def test_off_shift_on_a_day_without_hours_shows_the_next_working_day():
    calendar = Calendar([(0, 9, 18), (1, 10, 16.5)], tz=SHANGHAI)
    reason = why_unavailable(calendar, sh(*SUN, 10))
    assert reason == Reason(OFF_SHIFT, ((9.0, 18.0),), sh(*NEXT_MON, 9))
    assert why_unavailable(calendar, sh(*MON, 20)) == Reason(
        OFF_SHIFT, ((9.0, 18.0),), sh(*TUE, 10))
    assert why_unavailable(calendar, sh(*TUE, 17)).detail == ((10.0, 16.5),)


def test_reason_unpacks_for_the_adapter():
    code, until, back_at = why_unavailable(leave_calendar(), sh(*SAT, 12))
    assert (code, until, back_at) == (LEAVE, sh(*NEXT_TUE, 12), sh(*NEXT_TUE, 13))
    # Even after hours, a leave says more than "off shift".
    assert why_unavailable(leave_calendar(), sh(*NEXT_MON, 20)).code == LEAVE


def test_leave_is_named_before_a_holiday():
    calendar = office(leaves=[(sh(*MON), sh(*WED))], holidays=[date(*MON)])
    assert why_unavailable(calendar, sh(*MON, 10)) == Reason(LEAVE, sh(*WED), sh(*WED, 9))
    calendar = office(leaves=[date(*TUE)], holidays=[date(*MON)])
    assert why_unavailable(calendar, sh(*MON, 10)) == Reason(HOLIDAY, sh(*TUE), sh(*WED, 9))


# ---------------------------------------------------------------- Spring Festival 2026

FESTIVAL = [(date(2026, 2, 15), date(2026, 2, 23))]
MAKE_UP = [date(2026, 2, 14), date(2026, 2, 28)]  # Saturdays, worked like a Monday


@pytest.fixture(params=["local dates", "utc intervals"])
def festival(request):
    holidays = FESTIVAL if request.param == "local dates" else [
        (sh(2026, 2, 15), sh(2026, 2, 24))]
    return office(holidays=holidays, extra_days=MAKE_UP)


def test_festival_working_days(festival):
    working = {day for day in (date(2026, 2, 9) + i * DAY for i in range(28))
               if is_working_day(festival, day)}
    expected = {date(2026, 2, day) for day in (9, 10, 11, 12, 13, 14, 24, 25, 26, 27, 28)}
    expected |= {date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 5),
                 date(2026, 3, 6)}
    assert working == expected


@pytest.mark.parametrize("days, expected", [
    (1, (2026, 2, 14)),   # the make-up Saturday
    (2, (2026, 2, 24)),   # the whole holiday skipped
    (5, (2026, 2, 27)),
    (6, (2026, 2, 28)),   # the second make-up Saturday
    (7, (2026, 3, 2)),
])
def test_festival_working_days_count(festival, days, expected):
    assert add_working_days(festival, sh(2026, 2, 13, 10), days) == sh(*expected, 10)


def test_festival_minutes(festival):
    assert add_working_minutes(festival, sh(2026, 2, 13, 17), 120) == sh(2026, 2, 14, 10)
    assert add_working_minutes(festival, sh(2026, 2, 14, 17), 120) == sh(2026, 2, 24, 10)
    assert working_minutes_between(festival, sh(2026, 2, 14), sh(2026, 2, 24)) == 480
    assert working_minutes_between(festival, sh(2026, 2, 9), sh(2026, 3, 2)) == 11 * 480
    assert not is_working(festival, sh(2026, 2, 18, 10))
    assert is_working(festival, sh(2026, 2, 14, 10))
    assert next_start(festival, sh(2026, 2, 14, 18)) == sh(2026, 2, 24, 9)


def test_festival_reason(festival):
    assert why_unavailable(festival, sh(2026, 2, 18, 10)) == Reason(
        HOLIDAY, sh(2026, 2, 24), sh(2026, 2, 24, 9))
    # The Sunday before the holiday is a holiday too; the Sunday after is just off.
    assert why_unavailable(festival, sh(2026, 3, 1, 10)) == Reason(
        OFF_SHIFT, OFFICE_HOURS, sh(2026, 3, 2, 9))


def test_a_leave_on_a_make_up_day_still_counts():
    calendar = office(holidays=FESTIVAL, extra_days=MAKE_UP,
                      leaves=[date(2026, 2, 14)])
    assert not is_working_day(calendar, date(2026, 2, 14))
    assert add_working_days(calendar, sh(2026, 2, 13, 10), 1) == sh(2026, 2, 24, 10)


# ---------------------------------------------------------------- extra days

SAT_DAY = date(*SAT)


@pytest.mark.parametrize("extra, hours", [
    (SAT_DAY, OFFICE_HOURS),                              # like the first weekday
    ((SAT_DAY, 2), OFFICE_HOURS),                         # like a Wednesday
    ((SAT_DAY, ((10, 12), (13, 15.5))), ((10.0, 12.0), (13.0, 15.5))),
    ((SAT_DAY, [(13, 15), (9, 12), (11, 13)]), ((9.0, 15.0),)),  # merged
    ((SAT_DAY, 6), ()),                                   # like a Sunday: off
    ((SAT_DAY, ()), ()),
])
def test_extra_day_forms(extra, hours):
    calendar = office(extra_days=[extra])
    minutes = sum(60 * (end - start) for start, end in hours)
    assert working_minutes_between(calendar, sh(*SAT), sh(*SUN)) == minutes
    assert is_working_day(calendar, SAT_DAY) is bool(hours)
    if hours:
        assert next_start(calendar, sh(*SAT)) == sh(*SAT) + timedelta(hours=hours[0][0])


def test_bare_extra_day_uses_the_first_weekday_with_attendances():
    calendar = Calendar([(2, 10, 11), (4, 14, 16)], tz=SHANGHAI, extra_days=[SAT_DAY])
    assert working_intervals(calendar, sh(*SAT), sh(*SUN)) == [(sh(*SAT, 10), sh(*SAT, 11))]


def test_an_extra_day_can_be_a_day_off_or_other_hours():
    calendar = office(extra_days=[(date(*MON), ()), (date(*TUE), ((9, 12),))])
    assert not is_working_day(calendar, date(*MON))
    assert working_minutes_between(calendar, sh(*MON), sh(*WED)) == 180
    assert why_unavailable(calendar, sh(*MON, 10)) == Reason(
        OFF_SHIFT, ((9.0, 12.0),), sh(*TUE, 9))


def test_extra_days_alone_make_a_calendar():
    calendar = Calendar([], tz=SHANGHAI, extra_days=[(SAT_DAY, ((9, 10),))])
    assert add_working_minutes(calendar, sh(*MON), 30) == sh(*SAT, 9, 30)
    with pytest.raises(ValueError, match="no working time within"):
        add_working_minutes(calendar, sh(*MON), 61)


# ---------------------------------------------------------------- dated attendances

def test_attendances_apply_between_their_dates():
    summer = (date(2026, 7, 1), date(2026, 8, 31))
    calendar = Calendar(
        [Attendance(day, 9, 18, None, date(2026, 6, 30)) for day in range(5)]
        + [Attendance(day, 8, 16, *summer) for day in range(5)]
        + [Attendance(day, 9, 18, date(2026, 9, 1)) for day in range(5)], tz=SHANGHAI)
    assert next_start(calendar, sh(2026, 6, 30, 0)) == sh(2026, 6, 30, 9)
    assert next_start(calendar, sh(2026, 7, 1, 0)) == sh(2026, 7, 1, 8)
    assert available_until(calendar, sh(2026, 8, 31, 10)) == sh(2026, 8, 31, 16)
    assert available_until(calendar, sh(2026, 9, 1, 10)) == sh(2026, 9, 1, 18)
    assert add_working_minutes(calendar, sh(2026, 6, 30, 17), 120) == sh(2026, 7, 1, 9)


def test_overlapping_attendances_merge():
    calendar = Calendar([(0, 9, 12), (0, 11, 14), (0, 14, 15)], tz=SHANGHAI)
    assert available_until(calendar, sh(*MON, 9)) == sh(*MON, 15)
    assert working_minutes_between(calendar, sh(*MON), sh(*TUE)) == 360
    assert why_unavailable(calendar, sh(*MON, 20)).detail == ((9.0, 15.0),)


def test_hours_are_rounded_to_the_minute():
    calendar = Calendar([(0, 8 + 1 / 3, 17.999999)], tz=SHANGHAI)
    assert working_intervals(calendar, sh(*MON), sh(*TUE)) == [
        (sh(*MON, 8, 20), sh(*MON, 18))]


# ---------------------------------------------------------------- night shifts

NIGHTS = [(day, 22, 24) for day in range(5)] + [((day + 1) % 7, 0, 6) for day in range(5)]


def test_a_night_shift_split_at_midnight_is_one_interval():
    calendar = Calendar(NIGHTS, tz=SHANGHAI)
    assert available_until(calendar, sh(*MON, 23)) == sh(*TUE, 6)
    assert is_working(calendar, sh(*TUE))
    assert add_working_minutes(calendar, sh(*MON, 23, 30), 60) == sh(*TUE, 0, 30)
    assert add_working_minutes(calendar, sh(*MON, 23), 60) == sh(*TUE)
    assert working_intervals(calendar, sh(*MON), sh(*WED)) == [
        (sh(*MON, 22), sh(*TUE, 6)), (sh(*TUE, 22), sh(*WED))]
    assert working_minutes_between(calendar, sh(*MON), sh(*NEXT_MON)) == 5 * 480
    assert next_start(calendar, sh(*TUE, 6)) == sh(*TUE, 22)
    # Friday night runs into Saturday; Saturday night is off.
    assert available_until(calendar, sh(*FRI, 22)) == sh(*SAT, 6)
    assert next_start(calendar, sh(*SAT, 6)) == sh(*NEXT_MON, 22)


def test_round_the_clock_is_cut_at_the_horizon():
    calendar = Calendar([(day, 0, 24) for day in range(7)], tz=SHANGHAI)
    moment = sh(*MON, 10)
    assert available_until(calendar, moment) == moment + HORIZON_DAYS * DAY
    assert add_working_minutes(calendar, moment, 3 * 24 * 60) == moment + 3 * DAY
    assert working_minutes_between(calendar, moment, moment + 10 * DAY) == 14400
    assert next_start(calendar, moment) == moment
    assert add_working_days(calendar, moment, 2) == moment + 2 * DAY


# ---------------------------------------------------------------- daylight saving time

PARIS_OFFICE = [(day, 9, 17) for day in range(5)]


def test_a_week_across_the_spring_change(paris):
    calendar = Calendar(PARIS_OFFICE, tz=paris)
    # Friday 16:00 CET is 15:00 UTC; Monday 10:00 CEST is 08:00 UTC.
    start = at(paris, 2026, 3, 27, 16)
    assert start == datetime(2026, 3, 27, 15)
    deadline = add_working_minutes(calendar, start, 120)
    assert deadline == datetime(2026, 3, 30, 8)
    assert local(paris, deadline) == datetime(2026, 3, 30, 10)
    assert working_minutes_between(calendar, start, deadline) == 120
    assert add_working_days(calendar, at(paris, 2026, 3, 27, 10), 1) == datetime(
        2026, 3, 30, 8)
    assert next_start(calendar, datetime(2026, 3, 28)) == datetime(2026, 3, 30, 7)


def test_a_week_across_the_autumn_change(paris):
    calendar = Calendar(PARIS_OFFICE, tz=paris)
    start = at(paris, 2026, 10, 23, 16)
    assert start == datetime(2026, 10, 23, 14)
    deadline = add_working_minutes(calendar, start, 120)
    assert deadline == datetime(2026, 10, 26, 9)
    assert local(paris, deadline) == datetime(2026, 10, 26, 10)
    assert add_working_days(calendar, at(paris, 2026, 10, 23, 16, 30), 1) == datetime(
        2026, 10, 26, 15, 30)


@pytest.mark.parametrize("day, utc_interval, minutes", [
    ((2026, 3, 29), (datetime(2026, 3, 28, 23), datetime(2026, 3, 29, 4)), 300),
    ((2026, 10, 25), (datetime(2026, 10, 24, 22), datetime(2026, 10, 25, 5)), 420),
    ((2026, 3, 22), (datetime(2026, 3, 21, 23), datetime(2026, 3, 22, 5)), 360),
])
def test_a_shift_spanning_the_change_lasts_its_real_time(paris, day, utc_interval, minutes):
    calendar = Calendar([(6, 0, 6)], tz=paris)
    midnight = at(paris, *day)
    assert working_intervals(calendar, midnight - DAY, midnight + 2 * DAY) == [utc_interval]
    assert working_minutes_between(calendar, midnight - DAY, midnight + DAY) == minutes
    assert available_until(calendar, utc_interval[0]) == utc_interval[1]
    assert add_working_minutes(calendar, utc_interval[0], minutes) == utc_interval[1]


def test_add_working_minutes_inside_a_shift_across_the_change(paris):
    calendar = Calendar([(6, 0, 6)], tz=paris)
    # 01:30 CET + 60 working minutes = 03:30 CEST (the clocks jump 02:00 -> 03:00).
    start = at(paris, 2026, 3, 29, 1, 30)
    deadline = add_working_minutes(calendar, start, 60)
    assert deadline - start == HOUR
    assert local(paris, deadline) == datetime(2026, 3, 29, 3, 30)
    # 02:30 CEST + 60 = 02:30 CET (the clocks go back 03:00 -> 02:00).
    start = datetime(2026, 10, 25, 0, 30)
    assert local(paris, start) == datetime(2026, 10, 25, 2, 30)
    deadline = add_working_minutes(calendar, start, 60)
    assert local(paris, deadline) == datetime(2026, 10, 25, 2, 30)
    assert deadline == datetime(2026, 10, 25, 1, 30)


@pytest.mark.parametrize("day, minutes", [
    ((2026, 3, 29), 23 * 60), ((2026, 10, 25), 25 * 60), ((2026, 6, 7), 24 * 60)])
def test_round_the_clock_days_have_23_24_or_25_hours(paris, day, minutes):
    calendar = Calendar([(weekday, 0, 24) for weekday in range(7)], tz=paris)
    midnight = at(paris, *day)
    next_midnight = at(paris, *(date(*day) + DAY).timetuple()[:3])
    assert working_minutes_between(calendar, midnight, next_midnight) == minutes
    assert add_working_days(calendar, at(paris, *day, 12), 1) == at(
        paris, *(date(*day) + DAY).timetuple()[:3], 12)


def test_skipped_and_repeated_hours(paris):
    # 02:00-03:00 does not exist on the spring Sunday: no working time.
    calendar = Calendar([(6, 2, 3)], tz=paris)
    assert not is_working_day(calendar, date(2026, 3, 29))
    assert is_working_day(calendar, date(2026, 3, 22))
    assert next_start(calendar, datetime(2026, 3, 28)) == datetime(2026, 4, 5, 0)
    # 02:00-04:00: only 03:00-04:00 CEST happens.
    calendar = Calendar([(6, 2, 4)], tz=paris)
    assert working_intervals(calendar, datetime(2026, 3, 28), datetime(2026, 3, 30)) == [
        (datetime(2026, 3, 29, 1), datetime(2026, 3, 29, 2))]
    # In autumn 02:00 is read as standard time (is_dst=False, as Odoo does).
    assert working_intervals(calendar, datetime(2026, 10, 24), datetime(2026, 10, 26)) == [
        (datetime(2026, 10, 25, 1), datetime(2026, 10, 25, 3))]


def test_local_date_leaves_follow_the_zone(paris):
    calendar = Calendar([(6, 0, 24)], tz=paris, holidays=[date(2026, 3, 29)])
    assert why_unavailable(calendar, datetime(2026, 3, 29, 12)) == Reason(
        HOLIDAY, datetime(2026, 3, 29, 22), datetime(2026, 4, 4, 22))


# ---------------------------------------------------------------- properties

def rich_calendar(zone):
    """Office hours with a holiday week, make-up Saturdays, a leave over a weekend, a
    half-day leave and summer hours: most of the features at once."""
    def at_(*args):
        return at(zone, *args)
    attendances = [Attendance(day, 9, 12) for day in range(5)] + [
        Attendance(day, 13, 18, None, date(2026, 6, 30)) for day in range(5)] + [
        Attendance(day, 13, 16, date(2026, 7, 1)) for day in range(5)]
    return Calendar(
        attendances, tz=zone, holidays=FESTIVAL + [date(2026, 5, 1), date(2026, 10, 1)],
        extra_days=MAKE_UP + [(date(2026, 9, 26), ((9, 12),))],
        leaves=[(at_(2026, 3, 6, 13), at_(2026, 3, 10, 12)),
                (at_(2026, 4, 15, 14, 30), at_(2026, 4, 15, 18))])


def random_moments(rng, zone, count, year=2026):
    start = at(zone, year, 1, 1)
    span = int((at(zone, year + 1, 1, 1) - start).total_seconds())
    for _index in range(count):
        seconds = rng.randrange(span)
        # A third exactly on a quarter hour, to hit the boundaries often.
        if rng.random() < 0.33:
            seconds -= seconds % 900
        yield start + timedelta(seconds=seconds)


ZONES = [pytest.param(SHANGHAI, id="shanghai"), pytest.param(ParisRules(), id="paris")]


@pytest.mark.parametrize("zone", ZONES)
def test_deadlines_invert_working_minutes(zone):
    rng = random.Random(1311)
    calendar = rich_calendar(zone)
    for start in random_moments(rng, zone, 1500):
        minutes = rng.choice([1, 15, 30, 60, 180, 479, 480, 481, 2400, 10000])
        deadline = add_working_minutes(calendar, start, minutes)
        assert deadline > start
        assert working_minutes_between(calendar, start, deadline) == minutes
        assert working_minutes_between(calendar, start, deadline - US) < minutes
        assert is_working(calendar, deadline - US)
        assert working_minutes_between(calendar, deadline, start) == -minutes
        more = rng.randrange(1, 600)
        assert add_working_minutes(calendar, deadline, more) == add_working_minutes(
            calendar, start, minutes + more)


@pytest.mark.parametrize("zone", ZONES)
def test_working_minutes_add_up(zone):
    rng = random.Random(7)
    calendar = rich_calendar(zone)
    moments = list(random_moments(rng, zone, 900))
    for first, second, third in zip(moments[::3], moments[1::3], moments[2::3]):
        a, b, c = sorted((first, second, third))
        ab = working_minutes_between(calendar, a, b)
        bc = working_minutes_between(calendar, b, c)
        assert ab >= 0 and bc >= 0
        assert working_minutes_between(calendar, a, c) == pytest.approx(ab + bc, abs=1e-6)
        intervals = working_intervals(calendar, a, c)
        assert sum((end - start).total_seconds() for start, end in intervals) / 60 \
            == pytest.approx(ab + bc, abs=1e-6)
        assert all(end < later for (_s, end), (later, _e) in zip(intervals, intervals[1:]))


@pytest.mark.parametrize("zone", ZONES)
def test_next_start_and_available_until_frame_the_intervals(zone):
    rng = random.Random(99)
    calendar = rich_calendar(zone)
    for moment in random_moments(rng, zone, 2000):
        start = next_start(calendar, moment)
        until = available_until(calendar, moment)
        reason = why_unavailable(calendar, moment)
        if is_working(calendar, moment):
            assert start == moment and reason is None
            assert moment < until and is_working(calendar, until - US)
            assert not is_working(calendar, until)
            assert working_minutes_between(calendar, moment, until) == (
                until - moment).total_seconds() / 60
        else:
            assert until is None
            assert start > moment and is_working(calendar, start)
            assert working_minutes_between(calendar, moment, start) == 0
            assert reason.back_at == start
            assert reason.code in (LEAVE, HOLIDAY, OFF_SHIFT)
            if reason.code != OFF_SHIFT:
                assert reason.detail > moment


@pytest.mark.parametrize("zone", ZONES)
def test_working_days_count_working_days(zone):
    rng = random.Random(2026)
    calendar = rich_calendar(zone)
    for start in random_moments(rng, zone, 600):
        days = rng.randrange(1, 15)
        result = add_working_days(calendar, start, days)
        start_day = local(zone, start).date()
        result_local = local(zone, result)
        result_day = result_local.date()
        if result_local.time() == datetime.min.time() and not is_working(calendar, result):
            result_day -= DAY  # the end of work at midnight belongs to the day before
        assert is_working_day(calendar, result_day)
        between = [start_day + i * DAY for i in range(1, (result_day - start_day).days)]
        assert sum(is_working_day(calendar, day) for day in between) == days - 1
        same_time = at(zone, *result_day.timetuple()[:3]) + (
            local(zone, start) - datetime.combine(start_day, datetime.min.time()))
        if is_working(calendar, same_time):
            assert result == same_time
        else:
            assert is_working(calendar, result) or is_working(calendar, result - US)


RICH_HOLIDAYS = {date(2026, 5, 1), date(2026, 10, 1)} | {
    date(2026, 2, 15) + i * DAY for i in range(9)}


def reference_is_working(moment):
    """``rich_calendar(SHANGHAI)`` restated by hand, one moment at a time."""
    wall = moment + 8 * HOUR
    day, hour = wall.date(), wall.hour + wall.minute / 60 + wall.second / 3600
    if day in RICH_HOLIDAYS:
        return False
    if sh(2026, 3, 6, 13) <= moment < sh(2026, 3, 10, 12):
        return False
    if sh(2026, 4, 15, 14, 30) <= moment < sh(2026, 4, 15, 18):
        return False
    if day == date(2026, 9, 26):
        return 9 <= hour < 12
    weekday = 0 if day in MAKE_UP else day.weekday()
    if weekday > 4:
        return False
    afternoon_end = 18 if day <= date(2026, 6, 30) else 16
    return 9 <= hour < 12 or 13 <= hour < afternoon_end


def test_is_working_agrees_with_a_plain_reference():
    rng = random.Random(42)
    calendar = rich_calendar(SHANGHAI)
    for moment in random_moments(rng, SHANGHAI, 20000):
        assert is_working(calendar, moment) is reference_is_working(moment), moment


def test_working_minutes_agree_with_counting_minutes():
    rng = random.Random(5)
    calendar = rich_calendar(SHANGHAI)
    for start in random_moments(rng, SHANGHAI, 30):
        start -= timedelta(seconds=start.second)
        end = start + timedelta(minutes=rng.randrange(1, 3000))
        counted = sum(reference_is_working(start + i * MIN)
                      for i in range(int((end - start) / MIN)))
        assert working_minutes_between(calendar, start, end) == counted


@pytest.mark.parametrize("zone", ZONES)
def test_days_are_found_from_their_utc_windows(zone):
    calendar = rich_calendar(zone)
    for moment in random_moments(random.Random(3), zone, 3000):
        assert calendar._day_of(moment)[0] == zone.to_local(moment).toordinal()


def test_cache_is_bounded_and_results_do_not_depend_on_it():
    calendar = rich_calendar(SHANGHAI)
    first = add_working_minutes(calendar, sh(2026, 2, 13, 17), 600)
    working_minutes_between(calendar, sh(2000, 1, 1), sh(2030, 1, 1))
    assert len(calendar._days) <= 4096
    assert add_working_minutes(calendar, sh(2026, 2, 13, 17), 600) == first


# ---------------------------------------------------------------- speed

def deadlines_seconds(zone, count=100000):
    """CPU seconds (not wall-clock: other jobs share the machine) for ``count``
    deadlines of 30 working minutes from random moments of a year."""
    rng = random.Random(13)
    calendar = rich_calendar(zone)
    starts = list(random_moments(rng, zone, count))
    started = time.process_time()
    deadlines = [add_working_minutes(calendar, start, 30) for start in starts]
    seconds = time.process_time() - started
    assert all(deadline > start for start, deadline in zip(starts, deadlines))
    return seconds


@pytest.mark.parametrize("zone", [
    pytest.param(SHANGHAI, id="fixed zone"),
    pytest.param(ParisRules(), id="paris rules"),
    pytest.param("pytz", id="pytz paris"),
])
def test_100k_deadlines_are_fast(zone, record_property):
    zone = pytz_paris() if zone == "pytz" else zone
    seconds = deadlines_seconds(zone)
    _logger.info("100,000 deadlines of 30 working minutes (%r): %.3f s CPU", zone, seconds)
    record_property("cpu_seconds", seconds)
    assert seconds < 2, "100,000 deadlines took %.3f s CPU" % seconds


def test_math_is_not_needed_by_callers():
    # The documented contract: minutes are plain numbers, results plain datetimes.
    deadline = add_working_minutes(office(), sh(*MON, 10), math.pi)
    assert isinstance(deadline, datetime) and deadline.tzinfo is None
