# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class SalesAllocationPoolClaimLock(models.Model):
    """One row per rep who ever claimed a pool lead: the lock his claims queue on.

    A claim counts the rep's claims of the day and his open pool leads, then adds one.
    Two claims of the same rep at the same time would both count before either adds:
    so each claim first upserts its rep's row here, in its own transaction.  The second
    claim waits for the first; when the first commits, PostgreSQL (REPEATABLE READ, as
    Odoo runs) refuses the second with a serialization failure, Odoo retries the whole
    call, and the retry counts the first claim.  A row lock alone would not do: the
    waiting claim would count with its old snapshot.  Written only by
    ``_lock`` (SQL upsert, called first by ``crm.lead._pool_claim``); nobody edits it.
    """

    _name = "sales.allocation.pool.claim.lock"
    _description = "Pool claims of one salesperson (lock)"
    _log_access = False
    _rec_name = "user_id"

    user_id = fields.Many2one(
        "res.users", string="Salesperson", required=True, readonly=True,
        ondelete="cascade")
    claimed_at = fields.Datetime(string="Last Claim", readonly=True)

    _sql_constraints = [
        ("user_unique", "UNIQUE (user_id)", "One claim lock per salesperson."),
    ]

    @api.model
    def _lock(self, user_id, now):
        """Take ``user_id``'s claim lock until the transaction ends (see the class)."""
        self.env.cr.execute("""
            INSERT INTO sales_allocation_pool_claim_lock (user_id, claimed_at)
            VALUES (%s, %s)
            ON CONFLICT (user_id) DO UPDATE SET claimed_at = EXCLUDED.claimed_at
        """, [user_id, now])
        self.invalidate_cache(["claimed_at"])
