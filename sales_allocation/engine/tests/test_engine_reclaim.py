# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The pool's clocks: reclaim deadlines, warnings, claim days, cooldowns, re-allocation."""
import itertools
import random
from datetime import datetime, time, timedelta, timezone

import pytest

from engine import Absence, Member, Queue
from engine.reclaim import (
    DUE, HOLD, IDLE, NONE, OK, WARN, ExcludingPicker, Timers, claim_day, cooldown_end,
    pick_excluding, reclaim_status, reclaim_timers)

T0 = datetime(2026, 3, 2, 9, 30)  # the owner got the lead
DAY = timedelta(days=1)


# ---------------------------------------------------------------- reclaim_timers

def test_no_timer_when_both_are_off():
    assert reclaim_timers(T0, T0, 0, 0, 2) == Timers(None, None, None)


def test_no_timer_without_any_date():
    assert reclaim_timers(None, None, 3, 30, 1) == Timers(None, None, None)


def test_idle_timer_counts_from_the_last_activity():
    worked = T0 + 2 * DAY
    assert reclaim_timers(worked, T0, idle_days=3) == Timers(worked + 3 * DAY, None, IDLE)


def test_idle_timer_counts_from_assignment_without_activity():
    assert reclaim_timers(None, T0, idle_days=3) == Timers(T0 + 3 * DAY, None, IDLE)


def test_idle_timer_never_starts_before_the_owner_got_the_lead():
    # An activity date left from before the assignment does not shorten the clock.
    assert reclaim_timers(T0 - 10 * DAY, T0, idle_days=3).deadline == T0 + 3 * DAY


def test_idle_timer_without_assignment_date_uses_activity():
    assert reclaim_timers(T0, None, idle_days=3).deadline == T0 + 3 * DAY


def test_hold_timer_counts_from_assignment_only():
    worked = T0 + 20 * DAY
    assert reclaim_timers(worked, T0, max_hold_days=30) == Timers(T0 + 30 * DAY, None, HOLD)


def test_hold_timer_needs_an_assignment_date():
    assert reclaim_timers(T0, None, max_hold_days=30) == Timers(None, None, None)


def test_earlier_timer_wins():
    # Idle 3 days after the last activity (day 2) = day 5; hold 30 days = day 30.
    assert reclaim_timers(T0 + 2 * DAY, T0, 3, 30).timer == IDLE
    # Worked on day 28: idle ends day 31, hold day 30.
    assert reclaim_timers(T0 + 28 * DAY, T0, 3, 30) == Timers(T0 + 30 * DAY, None, HOLD)


def test_tie_names_the_hold_timer():
    assert reclaim_timers(T0, T0, 5, 5) == Timers(T0 + 5 * DAY, None, HOLD)


def test_warning_starts_warn_days_before_the_deadline():
    timers = reclaim_timers(T0, T0, idle_days=5, warn_days=2)
    assert timers.warn_from == T0 + 3 * DAY
    assert timers.deadline == T0 + 5 * DAY


def test_warning_follows_the_timer_that_fires():
    timers = reclaim_timers(T0 + 28 * DAY, T0, 3, 30, warn_days=1)
    assert timers.warn_from == T0 + 29 * DAY


def test_warning_never_starts_before_the_timer():
    timers = reclaim_timers(T0, T0, idle_days=2, warn_days=5)
    assert timers.warn_from == T0


@pytest.mark.parametrize("negative", [-1, -30])
def test_negative_settings_count_as_off(negative):
    assert reclaim_timers(T0, T0, negative, negative, negative) == Timers(None, None, None)
    assert reclaim_timers(T0, T0, 3, 0, negative).warn_from is None


ACTIVITY = [None, T0 - DAY, T0, T0 + DAY, T0 + 4 * DAY]
ASSIGNED = [None, T0]
DAYS = [0, 1, 3, 5]


@pytest.mark.parametrize("activity,assigned,idle,hold,warn", list(itertools.product(
    ACTIVITY, ASSIGNED, DAYS, DAYS, DAYS)))
def test_timers_invariants(activity, assigned, idle, hold, warn):
    """Every combination: the deadline is the earliest running timer; the warning
    comes at most warn_days before it, never before the clock started."""
    deadline, warn_from, timer = reclaim_timers(activity, assigned, idle, hold, warn)
    idle_start = max(d for d in (activity, assigned) if d) if (activity or assigned) else None
    expected = {}
    if hold and assigned:
        expected[HOLD] = assigned + hold * DAY
    if idle and idle_start:
        expected[IDLE] = idle_start + idle * DAY
    if not expected:
        assert (deadline, warn_from, timer) == (None, None, None)
        return
    assert deadline == min(expected.values())
    assert expected[timer] == deadline
    if len(expected) == 2 and expected[HOLD] == expected[IDLE]:
        assert timer == HOLD
    if not warn:
        assert warn_from is None
    else:
        started = assigned if timer == HOLD else idle_start
        assert started <= warn_from <= deadline
        assert warn_from == max(deadline - warn * DAY, started)


# ---------------------------------------------------------------- reclaim_status

def status_at(now, activity=T0, assigned=T0, idle=3, hold=0, warn=1):
    return reclaim_status(activity, assigned, idle, hold, warn, now=now)


def test_status_walks_ok_warn_due():
    assert status_at(T0).state == OK
    assert status_at(T0 + 2 * DAY - timedelta(seconds=1)).state == OK
    assert status_at(T0 + 2 * DAY).state == WARN
    assert status_at(T0 + 3 * DAY - timedelta(seconds=1)).state == WARN
    assert status_at(T0 + 3 * DAY).state == DUE
    assert status_at(T0 + 40 * DAY).state == DUE


def test_status_without_warning_goes_from_ok_to_due():
    assert status_at(T0 + 3 * DAY - timedelta(seconds=1), warn=0).state == OK
    assert status_at(T0 + 3 * DAY, warn=0).state == DUE


def test_status_without_timer():
    status = status_at(T0 + 99 * DAY, idle=0)
    assert status.state == NONE
    assert status.deadline is None and status.timer is None and status.limit_days is None


def test_status_reports_days_and_limit_for_the_reason():
    status = status_at(T0 + 4 * DAY + timedelta(hours=5), activity=T0, idle=3)
    assert (status.timer, status.idle_days, status.limit_days) == (IDLE, 4, 3)
    status = status_at(T0 + 31 * DAY, activity=T0 + 29 * DAY, idle=3, hold=30)
    assert (status.timer, status.held_days, status.idle_days, status.limit_days) == (
        HOLD, 31, 2, 30)


def test_status_needs_now():
    with pytest.raises(ValueError):
        reclaim_status(T0, T0, 3, 0, 1)


def test_working_the_lead_moves_the_idle_deadline_out_of_the_window():
    assert status_at(T0 + 2 * DAY + DAY / 2).state == WARN
    assert status_at(T0 + 2 * DAY + DAY / 2, activity=T0 + 2 * DAY).state == OK


# ---------------------------------------------------------------- claim_day

def tz(name):
    """The tzinfo the adapter passes (``pytz.timezone``); the engine itself needs no
    time zone database."""
    return pytest.importorskip("pytz").timezone(name)


def test_claim_day_in_utc():
    assert claim_day(datetime(2026, 3, 2, 15, 0), timezone.utc) == (
        datetime(2026, 3, 2), datetime(2026, 3, 3))


@pytest.mark.parametrize("zone", [None, timezone.utc])
def test_claim_day_without_a_zone_is_utc(zone):
    assert claim_day(datetime(2026, 3, 2, 23, 59), zone) == (
        datetime(2026, 3, 2), datetime(2026, 3, 3))


@pytest.mark.parametrize("name", ["", "UTC", "Asia/Shanghai"])
def test_claim_day_refuses_a_time_zone_name(name):
    with pytest.raises(TypeError, match="tzinfo"):
        claim_day(datetime(2026, 3, 2, 23, 59), name)


@pytest.mark.parametrize("zone", [
    "Asia/Shanghai", timezone(timedelta(hours=8)), timezone(timedelta(hours=8), "CST")])
def test_claim_day_in_shanghai_starts_at_16_utc(zone):
    zone = tz(zone) if isinstance(zone, str) else zone
    # 2026-03-02 20:00 UTC is already 03-03 04:00 in Shanghai (UTC+8).
    assert claim_day(datetime(2026, 3, 2, 20, 0), zone) == (
        datetime(2026, 3, 2, 16, 0), datetime(2026, 3, 3, 16, 0))
    assert claim_day(datetime(2026, 3, 2, 15, 59), zone) == (
        datetime(2026, 3, 1, 16, 0), datetime(2026, 3, 2, 16, 0))


def test_claim_day_west_of_greenwich():
    assert claim_day(datetime(2026, 3, 2, 3, 0), timezone(timedelta(hours=-5))) == (
        datetime(2026, 3, 1, 5, 0), datetime(2026, 3, 2, 5, 0))


def test_claim_day_across_daylight_saving_is_23_hours():
    start, end = claim_day(datetime(2026, 3, 8, 12, 0), tz("America/New_York"))
    assert start == datetime(2026, 3, 8, 5, 0)   # midnight EST
    assert end == datetime(2026, 3, 9, 4, 0)     # midnight EDT
    assert end - start == timedelta(hours=23)


def test_claim_day_back_to_standard_time_is_25_hours():
    start, end = claim_day(datetime(2026, 11, 1, 12, 0), tz("America/New_York"))
    assert (start, end) == (datetime(2026, 11, 1, 4, 0), datetime(2026, 11, 2, 5, 0))


def test_claim_day_when_the_clocks_skip_midnight():
    # Havana springs forward at midnight: 2026-03-08 00:00 CST becomes 01:00 CDT, at
    # 05:00 UTC. That day starts at the jump.
    havana = tz("America/Havana")
    assert claim_day(datetime(2026, 3, 8, 12, 0), havana) == (
        datetime(2026, 3, 8, 5, 0), datetime(2026, 3, 9, 4, 0))
    assert claim_day(datetime(2026, 3, 8, 4, 59), havana) == (
        datetime(2026, 3, 7, 5, 0), datetime(2026, 3, 8, 5, 0))


def test_claim_day_when_the_clocks_repeat_midnight():
    # Havana falls back at 01:00 CDT to 00:00 CST on 2026-11-01: the hour after
    # midnight happens twice. The day starts at the second midnight (05:00 UTC), the
    # one after which the clocks read November 1st for good; the first pass through
    # midnight still belongs to October 31st.
    havana = tz("America/Havana")
    october_31 = (datetime(2026, 10, 31, 4, 0), datetime(2026, 11, 1, 5, 0))
    assert claim_day(datetime(2026, 11, 1, 3, 59), havana) == october_31
    assert claim_day(datetime(2026, 11, 1, 4, 30), havana) == october_31  # 00:30 CDT
    assert claim_day(datetime(2026, 11, 1, 5, 0), havana) == (
        datetime(2026, 11, 1, 5, 0), datetime(2026, 11, 2, 5, 0))


def test_claim_day_when_a_whole_day_is_skipped():
    # Samoa crossed the date line: 2011-12-29 23:59:59 (UTC-10) was followed by
    # 2011-12-31 00:00:00 (UTC+14), at 2011-12-30 10:00 UTC.
    apia = tz("Pacific/Apia")
    assert claim_day(datetime(2011, 12, 30, 9, 0), apia) == (
        datetime(2011, 12, 29, 10, 0), datetime(2011, 12, 30, 10, 0))
    assert claim_day(datetime(2011, 12, 30, 10, 0), apia) == (
        datetime(2011, 12, 30, 10, 0), datetime(2011, 12, 31, 10, 0))


@pytest.mark.parametrize("name", [
    "America/New_York", "Europe/Paris", "America/Havana", "America/Santiago",
    "America/Sao_Paulo", "Asia/Tehran", "Australia/Lord_Howe", "Pacific/Apia"])
def test_claim_day_holds_now_and_agrees_with_pytz(name):
    """Around every change of offset from 2010 to 2030: ``now`` lies in its day, the
    day is one day of the zone's clocks, and pytz's ``localize`` (what the adapter
    used to call) finds the same midnights wherever its day holds ``now``."""
    pytz = pytest.importorskip("pytz")
    zone = pytz.timezone(name)
    changes = [moment for moment in zone._utc_transition_times
               if datetime(2010, 1, 1) < moment < datetime(2030, 1, 1)]
    assert changes
    for change in changes:
        for hours in range(-36, 37, 3):
            now = change + timedelta(hours=hours)
            start, end = claim_day(now, zone)
            assert start <= now < end, (now, start, end)
            assert timedelta(hours=21) <= end - start <= timedelta(hours=27) or (
                name == "Pacific/Apia"), (now, start, end)
            local_day = pytz.utc.localize(now).astimezone(zone).date()
            expected = tuple(
                zone.localize(datetime.combine(day, time()), is_dst=False)
                .astimezone(pytz.utc).replace(tzinfo=None)
                for day in (local_day, local_day + DAY))
            if expected[0] <= now < expected[1]:
                assert (start, end) == expected, now


# ---------------------------------------------------------------- cooldown_end

def test_cooldown_end():
    assert cooldown_end(T0, 2) == T0 + 2 * DAY
    assert cooldown_end(T0, 0) is None
    assert cooldown_end(None, 2) is None


# ---------------------------------------------------------------- pick_excluding

def make_queue(strategy="sequential", last=None, users=(1, 2, 3), **member_kw):
    return Queue(7, strategy, [Member(user_id, **member_kw) for user_id in users],
                 last_user_id=last)


def test_pick_excluding_skips_the_excluded_rep_in_turn_order():
    queue = make_queue(last=1)
    member, skipped = pick_excluding(queue, {2})
    assert member.user_id == 3
    assert skipped == ((2, "cooldown"),)
    assert queue.last_user_id == 3
    # The exclusion was for that pick only.
    assert all(member.available for member in queue.members)
    assert pick_excluding(queue, ())[0].user_id == 1
    assert pick_excluding(queue, ())[0].user_id == 2


def test_pick_excluding_everyone_gives_nobody():
    queue = make_queue(last=1)
    member, skipped = pick_excluding(queue, {1, 2, 3})
    assert member is None
    assert {why for _user, why in skipped} == {"cooldown"}
    assert queue.last_user_id == 1


def test_pick_excluding_keeps_other_skip_reasons_and_counts_load():
    queue = Queue(7, "least_loaded", [
        Member(1, load=0, available=False), Member(2, load=0), Member(3, load=1),
        Member(4, load=5, max_open=5)], last_user_id=None)
    member, skipped = pick_excluding(queue, {2})
    assert member.user_id == 3
    assert dict(skipped) == {1: "unavailable", 2: "cooldown", 4: "cap"}
    assert queue.members[2].load == 2


def test_pick_excluding_weighted_keeps_the_weighted_state():
    queue = Queue(7, "weighted", [Member(1, weight=1), Member(2, weight=3)])
    picks = [pick_excluding(queue, {2} if index == 0 else ())[0].user_id
             for index in range(5)]
    # The forced pick went to 1; then smooth weighted round-robin goes on from the
    # persisted state (tie after 2 goes to 1, in cyclic order).
    assert picks == [1, 2, 1, 2, 2]
    more = [pick_excluding(queue, ())[0].user_id for _index in range(8)]
    assert (more.count(1), more.count(2)) == (2, 6)


def test_pick_excluding_respects_archived_users():
    queue = make_queue(last=None)
    member, skipped = pick_excluding(queue, {1}, user_active={2: False})
    assert member.user_id == 3
    assert dict(skipped) == {1: "cooldown", 2: "archived"}


# ---------------------------------------------------------------- ExcludingPicker

def _random_queue(rnd, strategy):
    members = []
    for user_id in range(1, rnd.randint(1, 9)):
        members.append(Member(
            user_id, weight=rnd.randint(1, 3), load=rnd.randint(0, 4),
            max_open=rnd.choice([0, 0, 3, 5, 6]), available=rnd.random() > 0.15,
            active=rnd.random() > 0.1, new_left=rnd.choice([None, None, 1, 3]),
            absence=Absence("off_shift", None, (), "UTC") if rnd.random() < 0.15
            else None))
    last = rnd.choice([None] + [member.user_id for member in members] + [99])
    return Queue(7, strategy, members, last_user_id=last,
                 catch_up=rnd.random() < 0.5)


def _state(queue):
    return (queue.last_user_id, queue.turn_weight, [
        (m.user_id, m.load, m.new_left, m.current_weight, m.missed, m.credit,
         m.payback_weight, m.available, m.excluded) for m in queue.members])


@pytest.mark.parametrize("strategy", ["sequential", "weighted", "least_loaded"])
def test_excluding_picker_picks_as_pick_excluding_lead_after_lead(strategy):
    rnd = random.Random(strategy)
    for _case in range(300):
        seed = rnd.random()
        queue, twin = (_random_queue(random.Random(seed), strategy) for _twice in "ab")
        user_active = {2: False} if rnd.random() < 0.2 else None
        picker = ExcludingPicker(queue, user_active)
        for _lead in range(rnd.randint(1, 25)):
            excluded = set(rnd.sample(range(1, 11), rnd.randint(0, 3)))
            member, skipped = picker.pick(excluded)
            expected, expected_skipped = pick_excluding(twin, excluded, user_active)
            assert (member and member.user_id) == (expected and expected.user_id)
            assert skipped == expected_skipped
            assert _state(queue) == _state(twin)


def test_excluding_picker_walks_past_the_excluded_in_turn_order():
    queue = make_queue(last=1, users=(1, 2, 3, 4))
    picker = ExcludingPicker(queue)
    assert [picker.pick({2, 3})[0].user_id, picker.pick({1})[0].user_id,
            picker.pick(())[0].user_id] == [4, 2, 3]
    member, skipped = picker.pick({1, 2, 3, 4})
    assert member is None and dict(skipped) == dict.fromkeys((1, 2, 3, 4), "cooldown")
    assert queue.last_user_id == 3
