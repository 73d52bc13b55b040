# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A queue's working-hours settings (issue 13): skip members off shift or on leave,
and what to do when nobody is at work. The run itself: ``sales.allocation.worktime``.
"""
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class SalesAllocationQueue(models.Model):
    _inherit = "sales.allocation.queue"

    respect_working_hours = fields.Boolean(
        default=False,
        help="Give leads only to members at work: within the working hours of their "
             "calendar (in their own time zone) and not on leave nor on a public "
             "holiday of that calendar. Unticked, working hours are ignored.")
    when_nobody_on_shift = fields.Selection(
        [("next_rule", "Try the next rule"),
         ("hold", "Hold the lead for the next shift")],
        string="When Nobody Is on Shift", required=True, default="next_rule",
        help="Try the next rule: as when every member is unavailable.\n"
             "Hold the lead for the next shift: the lead waits unallocated and the "
             "backlog run gives it to the first member whose shift starts; nobody "
             "gets it at night.")
    catch_up = fields.Boolean(
        string="Catch Up After Absence", default=False,
        help="What a member who was away gets when he comes back. Away: marked "
             "unavailable, or on leave or off shift when the queue respects working "
             "hours (a member at his cap or archived is not away).\n"
             "Unticked: his missed turns are gone; a least-loaded queue still gives "
             "him the next leads until his open leads are level with the others'.\n"
             "Ticked: the queue counts the leads he missed (weighted: his weight's "
             "share of the leads given while he was away; least loaded: the leads it "
             "would have given him) and gives them back gradually once he is back: "
             "at most his weight's share of the leads on top of his normal turns, "
             "and a lead given back never comes straight after a lead of his. "
             "Unticking "
             "forgets what is owed. Sequential queues ignore this setting.")
    resource_calendar_id = fields.Many2one(
        "resource.calendar", string="Working Hours",
        help="The working hours of members who have none of their own (a user's "
             "working hours are those of his resource, set on the employee or "
             "resource form). Empty: the company's working hours.")

    @api.constrains("respect_working_hours", "when_nobody_on_shift",
                    "resource_calendar_id", "member_ids")
    def _check_working_hours(self):
        for queue in self.filtered("respect_working_hours"):
            calendar = queue.resource_calendar_id
            if calendar and not calendar.attendance_ids:
                raise ValidationError(_(
                    "The working hours \"%(calendar)s\" of queue \"%(queue)s\" have no "
                    "attendances, so nobody would ever be on shift: add the working "
                    "times to the calendar or choose another one.") % {
                        "calendar": calendar.name, "queue": queue.name})
            if queue.when_nobody_on_shift != "hold" or not queue.member_ids:
                continue
            fallback = calendar or queue.company_id.resource_calendar_id
            if not any((member.user_id.resource_calendar_id or fallback
                        or member.user_id.company_id.resource_calendar_id).attendance_ids
                       for member in queue.member_ids):
                raise ValidationError(_(
                    "Queue \"%s\" holds leads for the next shift, but none of its members "
                    "has working hours: a lead would wait forever. Give the members (or "
                    "the queue) working hours with attendances, or choose \"Try the "
                    "next rule\".") % queue.name)
