# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import threading

from odoo import _, api, fields, models

from ..access import check_sees_all_leads, skips_allocation
from ..concurrency import cron_retry
from ..sql import open_lead_sql
from .sales_allocation_rule import SEGMENTS
from .sales_allocation_run import recorded_run

# (name, column, predicate) of crm.lead's partial indexes (module constants only).
PARTIAL_INDEXES = (
    ("crm_lead_pool_id_idx", "pool_id", "pool_id IS NOT NULL"),
    ("crm_lead_match_lead_id_idx", "match_lead_id", "match_lead_id IS NOT NULL"),
    ("crm_lead_allocation_state_idx", "allocation_state",
     "allocation_state <> 'allocated'"),
    ("crm_lead_allocation_held_idx", "id", "allocation_held"),
    # The foreign key's own lookups (a log row deleted with its lead: SET NULL) would
    # otherwise read the whole table once per row deleted.
    ("crm_lead_response_log_id_idx", "response_log_id", "response_log_id IS NOT NULL"),
)
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
        ALLOCATION_STATES, string="Allocation", readonly=True, copy=False,
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
        # The other crm.lead files of the addon have indexes (and the match keys'
        # fill) of their own: which of them sits above this one in the model's class
        # order depends on import order (res_partner.py imports crm_lead_match.py).
        result = super(CrmLead, self).init()
        # The backlog run scans only what waits; this keeps it cheap on a big table.
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS crm_lead_sales_allocation_backlog_idx
                ON crm_lead (id) WHERE allocation_state = 'unallocated'
        """)
        # Open leads per owner (caps, least loaded: allocator._open_lead_counts) from
        # the index alone, without visiting the leads: same predicate as that query.
        # The predicate is the module constant of sql.py: no user input.
        self.env.cr.execute(  # pylint: disable=sql-injection
            "CREATE INDEX IF NOT EXISTS crm_lead_sales_allocation_open_owner_idx "
            "ON crm_lead (user_id) WHERE " + open_lead_sql())
        # Indexes of columns that most leads leave empty (or at their common value)
        # index the others only. Every owner change rewrites the lead's row and adds
        # an entry to each index whose predicate the new row meets: an index=True on
        # these fields would add three entries per allocated lead that no search
        # needs (pool_id = X, match_lead_id = X and a state other than "allocated"
        # are what the pool, the duplicates and the backlog look for).
        for name, column, predicate in PARTIAL_INDEXES:
            self.env.cr.execute(  # pylint: disable=sql-injection
                "CREATE INDEX IF NOT EXISTS %s ON crm_lead (%s) WHERE %s"
                % (name, column, predicate))
        return result

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
                and not skips_allocation(self.env)):
            values["user_id"] = False
        return values

    @api.multi
    def action_allocate(self):
        """(Re)run the assignment rules on these leads. Button, list action and RPC."""
        check_sees_all_leads(self.env, _(
            "Only users who see all leads (Sales access \"User: All Documents\" or "
            "above, such as sales managers and allocation managers) may re-run "
            "allocation. Ask one of them to do it for these leads."))
        # allocate() checks write access on the leads itself (it is public over RPC).
        self.env["sales.allocation.allocator"].allocate(self.ids)
        return True

    @api.model
    @recorded_run("backlog")
    @cron_retry
    def _cron_allocate_backlog(self, limit=None):
        """Allocate the leads that no rule could place before (caps, absences).

        One batch at a time, committed after each (as crm's own assignment commits per
        bundle): an interrupted run keeps what it placed and the next run resumes with
        what still waits; creates meanwhile wait for one batch's turns at most.
        """
        allocator = self.env["sales.allocation.allocator"]
        self.env["sales.allocation.turns"]._gc_reservations()
        batch_size = allocator._batch_size()
        summary, last_id, left = {"leads": 0}, 0, int(limit) if limit else None
        while left is None or left > 0:
            self.env.cr.execute("""
                SELECT id FROM crm_lead
                 WHERE allocation_state = 'unallocated' AND active AND user_id IS NULL
                   AND id > %s
                 ORDER BY id
                 LIMIT %s
            """, [last_id, min(batch_size, left) if left is not None else batch_size])
            lead_ids = [row[0] for row in self.env.cr.fetchall()]
            if not lead_ids:
                break
            for key, value in allocator.allocate(lead_ids).items():
                summary[key] = summary.get(key, 0) + value
            self._commit_batch()
            last_id = lead_ids[-1]
            if left is not None:
                left -= len(lead_ids)
        return summary

    @api.model
    def _commit_batch(self):
        """Commit a scheduled action's batch; not inside a test, whose transaction is
        rolled back at its end (pytest-odoo and Odoo's runner mark their thread)."""
        if not getattr(threading.current_thread(), "testing", False):
            # A scheduled action's own transaction, between two batches: what is
            # committed stays done if the run is interrupted (see the docstring).
            self.env.cr.commit()  # pylint: disable=invalid-commit
