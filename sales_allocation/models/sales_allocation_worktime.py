# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Working time of the reps, for the engine: ``sales.allocation.worktime``.

Reads Odoo's ``resource`` data (a user's ``resource.resource`` and its calendar, the
calendars' attendances and global leaves, the user's own ``resource.calendar.leaves``)
and his time zone with a few SQL queries for all the reps of a run, builds one
``engine.worktime.Calendar`` per rep and asks the pure engine whether he works at the
run's moment. The engine's rotation then skips the members away (``Member.absence``)
and a queue set to hold keeps a lead nobody at work could take.

The calendar of a rep: his own (``res.users.resource_calendar_id``: the calendar of
his first resource), else the queue's, else the queue's company's, else his company's.
"""
from datetime import datetime, timedelta

import pytz
from babel.core import UnknownLocaleError
from babel.dates import format_skeleton

from odoo import api, fields, models

from .. import engine
from ..engine import worktime
from ..sql import int_array

# Leaves read around the run's moment: what decides "away now" and "back when".
LEAVES_BEFORE = timedelta(days=1)
LEAVES_AFTER = timedelta(days=worktime.HORIZON_DAYS + 1)


def _zone(name):
    """The rep's pytz zone, UTC when unset or unknown."""
    try:
        return pytz.timezone(name) if name else pytz.UTC
    except pytz.UnknownTimeZoneError:
        return pytz.UTC


class SalesAllocationWorktime(models.AbstractModel):
    _name = "sales.allocation.worktime"
    _description = "Lead allocation: working time of the reps"

    # ------------------------------------------------------------------ run facts

    @api.model
    def mark(self, queue_set, at=None):
        """Set, on the engine queues of ``queue_set`` that respect working hours,
        ``Member.absence`` of every member away at ``at`` (UTC, default now) and
        ``Queue.hold`` from the queue's setting. Once per rep and batch, not per lead.
        The calendars built are kept in ``queue_set.calendars``.
        """
        queues = queue_set.queues
        settings = [(queue_id,) + queue_set.worktime[queue_id]
                    for queue_id in sorted(queue_set.worktime) if queue_id in queues]
        if not settings:
            return {}
        at = at or fields.Datetime.from_string(fields.Datetime.now())
        pairs = {(member.user_id, queue_id) for queue_id, *_rest in settings
                 for member in queues[queue_id].members}
        calendars = self.calendars(pairs, at, {
            queue_id: queue_calendar or company_calendar
            for queue_id, _when, queue_calendar, company_calendar in settings})
        queue_set.calendars.update(calendars)
        absences = {}
        for queue_id, when, _queue_calendar, _company_calendar in settings:
            queue = queues[queue_id]
            queue.hold = when == "hold"
            for member in queue.members:
                key = (member.user_id, queue_id)
                calendar, tz_name = calendars[key]
                member.absence = self._absence(calendar, tz_name, at)
                if member.absence is not None:
                    absences[key] = member.absence
        return absences

    @staticmethod
    def _absence(calendar, tz_name, at):
        reason = worktime.why_unavailable(calendar, at)
        if reason is None:
            return None
        if reason.code == worktime.OFF_SHIFT:
            return engine.Absence("off_shift", reason.back_at, reason.detail, tz_name)
        return engine.Absence("on_leave", reason.detail, (), tz_name)

    @api.model
    def calendars(self, pairs, at, fallbacks):
        """(user id, queue id) -> (``engine.worktime.Calendar``, zone name), for the
        ``pairs`` (user id, queue id); ``fallbacks``: queue id -> the calendar of a
        member without his own (None: his company's). A calendar is built once per
        calendar, zone and user, whatever the number of queues."""
        cr = self.env.cr
        if not pairs:
            return {}
        user_ids = {user_id for user_id, _queue_id in pairs}
        cr.execute("""
            SELECT u.id, p.tz, c.resource_calendar_id,
                   (SELECT r.calendar_id FROM resource_resource r
                     WHERE r.user_id = u.id AND r.active ORDER BY r.id LIMIT 1),
                   ARRAY(SELECT r.id FROM resource_resource r WHERE r.user_id = u.id)
              FROM res_users u
              JOIN res_partner p ON p.id = u.partner_id
              LEFT JOIN res_company c ON c.id = u.company_id
             WHERE u.id = ANY(%s::int[])
        """, [int_array(sorted(user_ids))])
        users = {row[0]: row[1:] for row in cr.fetchall()}
        wanted = {}
        for user_id, queue_id in pairs:
            tz_name, company_calendar, own_calendar, _resources = users[user_id]
            wanted[(user_id, queue_id)] = (
                own_calendar or fallbacks.get(queue_id) or company_calendar,
                tz_name or "UTC")
        calendar_ids = {calendar_id for calendar_id, _tz in wanted.values() if calendar_id}
        resource_ids = {resource_id for row in users.values() for resource_id in row[3]}
        attendances = self._attendances(calendar_ids)
        holidays, leaves = self._leaves(calendar_ids, resource_ids, at)
        built, result = {}, {}
        for (user_id, queue_id), (calendar_id, tz_name) in wanted.items():
            key = (calendar_id, tz_name, user_id)
            if key not in built:
                own = [leave for resource_id in users[user_id][3]
                       for leave in leaves.get(resource_id, ())]
                built[key] = worktime.Calendar(
                    attendances.get(calendar_id, ()), leaves=own,
                    holidays=holidays.get(calendar_id, ()), tz=_zone(tz_name))
            result[(user_id, queue_id)] = (built[key], tz_name)
        return result

    @api.model
    def owner_calendars(self, pairs, at, built=None):
        """(user id, queue id) -> (``engine.worktime.Calendar``, zone name) of the owners
        a lead goes to, for the ``pairs``: his own calendar, else the queue's, else the
        queue's company's, else his company's (``calendars``). ``built``: the calendars
        already built for the same moment (``QueueSet.calendars``), reused as they are;
        only the others are read."""
        built = built or {}
        result = {pair: built[pair] for pair in pairs if pair in built}
        missing = set(pairs) - set(result)
        if missing:
            result.update(self.calendars(missing, at, self._queue_calendars(
                {queue_id for _user_id, queue_id in missing if queue_id})))
        return result

    @api.model
    def _queue_calendars(self, queue_ids):
        """queue id -> the calendar of its members without one of their own."""
        if not queue_ids:
            return {}
        self.env.cr.execute("""
            SELECT q.id, COALESCE(q.resource_calendar_id, c.resource_calendar_id)
              FROM sales_allocation_queue q
              LEFT JOIN res_company c ON c.id = q.company_id
             WHERE q.id = ANY(%s::int[])
        """, [int_array(sorted(queue_ids))])
        return dict(self.env.cr.fetchall())

    @api.model
    def _attendances(self, calendar_ids):
        """calendar id -> engine attendances (lines the engine cannot read, such as
        hours past 24, are left out: Odoo's own planning ignores them too)."""
        if not calendar_ids:
            return {}
        self.env.cr.execute("""
            SELECT calendar_id, dayofweek, hour_from, hour_to, date_from, date_to
              FROM resource_calendar_attendance
             WHERE calendar_id = ANY(%s::int[])
        """, [int_array(sorted(calendar_ids))])
        result = {}
        for calendar_id, dayofweek, hour_from, hour_to, date_from, date_to in \
                self.env.cr.fetchall():
            if not 0 <= hour_from < hour_to <= 24:
                continue
            result.setdefault(calendar_id, []).append(worktime.Attendance(
                int(dayofweek), hour_from, hour_to,
                fields.Date.from_string(date_from) if date_from else None,
                fields.Date.from_string(date_to) if date_to else None))
        return result

    @api.model
    def _leaves(self, calendar_ids, resource_ids, at):
        """(calendar id -> global leaves, resource id -> own leaves), as UTC
        intervals, those around ``at`` only."""
        holidays, leaves = {}, {}
        if not calendar_ids and not resource_ids:
            return holidays, leaves
        self.env.cr.execute("""
            SELECT calendar_id, resource_id, date_from, date_to
              FROM resource_calendar_leaves
             WHERE date_to > %s AND date_from < %s AND date_to > date_from
               AND ((resource_id IS NULL AND calendar_id = ANY(%s::int[]))
                    OR resource_id = ANY(%s::int[]))
        """, [at - LEAVES_BEFORE, at + LEAVES_AFTER, int_array(sorted(calendar_ids)),
              int_array(sorted(resource_ids))])
        for calendar_id, resource_id, date_from, date_to in self.env.cr.fetchall():
            interval = (_naive(date_from), _naive(date_to))
            if resource_id:
                leaves.setdefault(resource_id, []).append(interval)
            else:
                holidays.setdefault(calendar_id, []).append(interval)
        return holidays, leaves

    @api.model
    def flag_held(self, decisions, held_before):
        """Flag the leads of ``decisions`` held for a shift, unflag the others.

        ``held_before``: the ids of those leads flagged before, as the caller read
        them with their facts (``gather._lead_facts``): only the rows whose flag
        changes are written, and nothing is asked when none does."""
        held = {decision.lead_id for decision in decisions
                if decision.reasons and decision.reasons[-1][0] == "held"}
        flag = sorted(held - held_before)
        unflag = sorted(held_before.intersection(
            decision.lead_id for decision in decisions).difference(held))
        for value, ids in ((True, flag), (False, unflag)):
            if ids:
                self.env.cr.execute(
                    "UPDATE crm_lead SET allocation_held = %s WHERE id = ANY(%s::int[])",
                    [value, int_array(ids)])
        if flag or unflag:
            self.env["crm.lead"].invalidate_cache(["allocation_held"], flag + unflag)

    # ------------------------------------------------------------------ texts

    @api.model
    def absence_text(self, absence, templates):
        """"on leave until 2 Feb" / "off shift (09:00–18:00 Asia/Shanghai)"."""
        zone = _zone(absence.tz)
        if absence.code == "on_leave":
            if absence.until is None:
                return templates["why_on_leave"]
            # A leave ending at midnight ends with the day before.
            local = pytz.UTC.localize(absence.until - timedelta(seconds=1)).astimezone(
                zone)
            return templates["away_on_leave_until"] % {
                "until": _format_day(local, self.env.context.get("lang")
                                     or self.env.user.lang)}
        hours = ", ".join("%s–%s" % (_clock(start), _clock(end))
                          for start, end in absence.hours or ())
        if not hours:
            return templates["why_off_shift"]
        return templates["away_off_shift_hours"] % {"hours": hours, "tz": absence.tz}


def _naive(value):
    if isinstance(value, datetime):
        return value
    return fields.Datetime.from_string(value)


def _format_day(value, lang):
    """A day and month in the reader's language: "Feb 2", "2月2日"."""
    try:
        return format_skeleton("MMMd", value, locale=lang or "en_US")
    except (UnknownLocaleError, ValueError):
        return format_skeleton("MMMd", value, locale="en_US")


def _clock(hours):
    minutes = int(round(hours * 60))
    return "%02d:%02d" % (minutes // 60, minutes % 60)
