# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class SalesAllocationQueue(models.Model):
    _name = "sales.allocation.queue"
    _description = "Round-robin queue"
    _order = "name, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env["res.company"]._company_default_get(
            "sales.allocation.queue"))
    team_id = fields.Many2one(
        "crm.team", string="Sales Channel",
        help="Leads handed out by this queue join this sales channel, unless the rule "
             "names another one.")
    strategy = fields.Selection(
        [("sequential", "Sequential"),
         ("weighted", "Weighted"),
         ("least_loaded", "Least loaded")],
        required=True, default="sequential",
        help="Sequential: strict turns among the members who can take a lead.\n"
             "Weighted: turns in proportion to each member's weight, spread evenly.\n"
             "Least loaded: the member with the fewest open leads gets the next one.")
    member_ids = fields.One2many(
        "sales.allocation.queue.member", "queue_id", string="Members", copy=True)
    last_user_id = fields.Many2one(
        "res.users", string="Last Assigned", compute="_compute_last_user_id",
        help="Where the rotation stands: the next lead goes to the member after this one.")
    member_count = fields.Integer(compute="_compute_member_count")

    @api.model_cr
    def init(self):
        # The rotation state, written by sales.allocation.turns in transactions of their
        # own (see there): one row per queue; and the loads given by transactions that
        # others cannot see yet. Plain tables, not models: nothing but the turns reads
        # or writes them.
        self.env.cr.execute("""
            CREATE TABLE IF NOT EXISTS sales_allocation_rotation (
                queue_id integer PRIMARY KEY
                         REFERENCES sales_allocation_queue (id) ON DELETE CASCADE,
                last_user_id integer,
                weights jsonb NOT NULL DEFAULT '{}'
            );
            CREATE TABLE IF NOT EXISTS sales_allocation_reservation (
                xid bigint NOT NULL,
                user_id integer NOT NULL,
                leads integer NOT NULL,
                date timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
                PRIMARY KEY (xid, user_id)
            );
            -- The order in which the turns were taken (drawn under the rotation lock):
            -- the log rows are written later, by each caller's own transaction, so
            -- their ids do not show it.
            ALTER TABLE sales_allocation_reservation
                ADD COLUMN IF NOT EXISTS turn bigserial;
            -- Catch-up after absence (issue 13): {"turn": the turn seat's current
            -- weight, "<member id>": [missed, credit, payback seat's weight]}.
            ALTER TABLE sales_allocation_rotation
                ADD COLUMN IF NOT EXISTS catch_up jsonb NOT NULL DEFAULT '{}';
        """)

    def _compute_last_user_id(self):
        states = self.env["sales.allocation.turns"]._read_state(
            self.env.cr, [queue.id for queue in self if isinstance(queue.id, int)])
        users = self.env["res.users"].with_context(active_test=False)
        for queue in self:
            last_user_id = states.get(queue.id, (None, {}))[0]
            queue.last_user_id = users.browse(last_user_id).exists() \
                if last_user_id else users

    @api.depends("member_ids")
    def _compute_member_count(self):
        for queue in self:
            queue.member_count = len(queue.member_ids)

    @api.constrains("member_ids", "active")
    def _check_member_ids(self):
        for queue in self:
            if queue.active and not queue.member_ids:
                raise ValidationError(_(
                    "The queue \"%s\" has no members. Add at least one salesperson on the "
                    "Members tab, or archive the queue.") % queue.name)

    @api.multi
    def action_reset_rotation(self):
        """Start the rotation again from the first member."""
        self.check_access_rights("write")
        self.check_access_rule("write")
        self.env["sales.allocation.turns"].reset(self.ids)
        self.invalidate_cache(["last_user_id"], self.ids)
        self.mapped("member_ids").invalidate_cache(["current_weight"])
        return True

    # A queue's working-hours settings (issue 13): skip members off shift or on leave,
    # and what to do when nobody is at work. The run itself:
    # ``sales.allocation.worktime``.

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
