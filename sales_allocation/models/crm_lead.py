# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError

from ..concurrency import cron_retry
from .sales_allocation_rule import SEGMENTS

ALLOCATION_STATES = [
    ("manual", "Set by hand"),
    ("allocated", "Allocated"),
    ("unallocated", "Not allocated"),
    ("pool", "In pool"),
    ("claimed", "Claimed from pool"),
]


class CrmLead(models.Model):
    _inherit = "crm.lead"

    industry_id = fields.Many2one(
        "res.partner.industry",
        help="Used by assignment rules; taken from the customer when empty.")
    customer_segment = fields.Selection(SEGMENTS)
    allocation_rule_id = fields.Many2one(
        "sales.allocation.rule", readonly=True, copy=False,
        ondelete="set null", index=True)
    allocation_date = fields.Datetime(readonly=True, copy=False)
    allocation_state = fields.Selection(
        ALLOCATION_STATES, string="Allocation", readonly=True, copy=False, index=True,
        help="Not allocated: no rule could place this lead yet; the backlog run retries.")
    allocation_reason = fields.Text(
        readonly=True, copy=False,
        help="Why the lead belongs to its owner, written when it was allocated.")
    allocation_log_ids = fields.One2many(
        "sales.allocation.log", "lead_id", string="Allocation History", readonly=True)
    allocation_explanation = fields.Char(
        string="Why This Owner", compute="_compute_allocation_explanation",
        help="From the allocation log: the latest change of owner and its reason.")

    def _compute_allocation_explanation(self):
        explanations = {}
        if self.ids:
            self.env.cr.execute("""
                SELECT DISTINCT ON (lead_id) lead_id, reason
                  FROM sales_allocation_log
                 WHERE lead_id IN %s
                 ORDER BY lead_id, date DESC, id DESC
            """, [tuple(self.ids)])
            explanations = dict(self.env.cr.fetchall())
        for lead in self:
            lead.allocation_explanation = explanations.get(lead.id) or False

    @api.model_cr
    def init(self):
        # The backlog run scans only what waits; this keeps it cheap on a big table.
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS crm_lead_sales_allocation_backlog_idx
                ON crm_lead (id) WHERE allocation_state = 'unallocated'
        """)
        # Open leads per owner (caps, least loaded: allocator._open_lead_counts) from
        # the index alone, without visiting the leads: same predicate as that query.
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS crm_lead_sales_allocation_open_owner_idx
                ON crm_lead (user_id) WHERE active AND COALESCE(probability, 0) < 100
        """)

    @api.onchange("partner_id")
    def _onchange_partner_id_industry(self):
        if self.partner_id and not self.industry_id:
            self.industry_id = self.partner_id.commercial_partner_id.industry_id

    @api.model
    def default_get(self, fields_list):
        """Leave the salesperson empty in a new lead's form, unless the action names one.

        The web client sends every default back to ``create``: crm's default (the
        current user) would then look like a choice and the rules would never run.
        """
        values = super(CrmLead, self).default_get(fields_list)
        if ("user_id" in values and not self.env.context.get("default_user_id")
                and not self.env.context.get("sales_allocation_skip")):
            values["user_id"] = False
        return values

    @api.model
    def create(self, vals):
        """Allocate a lead created without an explicit salesperson.

        crm fills ``user_id`` with the current user by default; that default is not a
        choice, so it is dropped before the record exists and the rules decide instead.
        An explicit salesperson (in ``vals`` or as ``default_user_id`` in the context, as
        the pipeline's form sends it) is kept and logged as ``manual``.
        """
        if self.env.context.get("sales_allocation_skip"):
            lead = super(CrmLead, self).create(vals)
            if lead.user_id and self.env.uid != SUPERUSER_ID:
                # A caller's context must not hide who got the lead (see write).
                self.env["sales.allocation.allocator"]._log_manual(lead, {lead.id: False})
            return lead
        explicit_user_id = vals.get("user_id") or self.env.context.get("default_user_id")
        vals = dict(vals, user_id=explicit_user_id or False)
        allocator = self.env["sales.allocation.allocator"]
        if explicit_user_id:
            vals.setdefault("allocation_state", "manual")
            vals.setdefault("allocation_reason", allocator._manual_reason())
        lead = super(CrmLead, self).create(vals)
        if explicit_user_id:
            allocator._log_manual(lead, {lead.id: False})
        else:
            allocator.allocate(lead.ids)
        return lead

    @api.multi
    def write(self, vals):
        """Log a salesperson changed by hand (form, import, RPC) as ``manual``.

        ``sales_allocation_skip`` spares the log only to the addon's own writes, which run
        as superuser and log themselves: a context sent over XML-RPC must not hide an
        owner change.
        """
        if "user_id" not in vals or (self.env.context.get("sales_allocation_skip")
                                     and self.env.uid == SUPERUSER_ID):
            return super(CrmLead, self).write(vals)
        previous = {lead.id: lead.user_id.id for lead in self}
        result = super(CrmLead, self).write(vals)
        changed = self.filtered(lambda lead: previous[lead.id] != lead.user_id.id)
        if changed:
            # Only leads whose owner really changed: rewriting the same owner (an
            # integration's sync) keeps the allocation and its reason.
            allocator = self.env["sales.allocation.allocator"]
            manual = {"allocation_state": "manual", "allocation_rule_id": False,
                      "allocation_reason": allocator._manual_reason()}
            super(CrmLead, changed).write(
                {key: value for key, value in manual.items() if key not in vals})
            allocator._log_manual(changed, previous)
        return result

    @api.multi
    def action_allocate(self):
        """(Re)run the assignment rules on these leads. Button, list action and RPC."""
        if not self.env.user.has_group("sales_team.group_sale_salesman_all_leads"):
            raise AccessError(_(
                "Only users who see all leads (Sales access \"User: All Documents\" or "
                "above, such as sales managers and allocation managers) may re-run "
                "allocation. Ask one of them to do it for these leads."))
        # allocate() checks write access on the leads itself (it is public over RPC).
        self.env["sales.allocation.allocator"].allocate(self.ids)
        return True

    @api.model
    @cron_retry
    def _cron_allocate_backlog(self, limit=None):
        """Allocate the leads that no rule could place before (caps, absences)."""
        # LIMIT NULL is no limit.
        self.env.cr.execute("""
            SELECT id FROM crm_lead
             WHERE allocation_state = 'unallocated' AND active AND user_id IS NULL
             ORDER BY id
             LIMIT %s
        """, [int(limit) if limit else None])
        lead_ids = [row[0] for row in self.env.cr.fetchall()]
        if not lead_ids:
            return {"leads": 0}
        return self.env["sales.allocation.allocator"].allocate(lead_ids)
