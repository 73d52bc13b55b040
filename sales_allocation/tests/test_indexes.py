# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The indexes the addon's ``init`` methods create exist after install, and every
``init`` of crm.lead runs (each file's calls its parent's: the class order of the
model depends on import order, so one that does not would silently skip others)."""
from odoo.tests.common import TransactionCase

from ..models.crm_lead import PARTIAL_INDEXES
from ..models.crm_lead_match import MATCH_KEY_COLUMNS

NAMED = (
    ("crm_lead", "crm_lead_sales_allocation_backlog_idx"),
    ("crm_lead", "crm_lead_sales_allocation_open_owner_idx"),
    ("crm_lead", "crm_lead_match_flagged_idx"),
    ("crm_lead", "crm_lead_reclaim_deadline_idx"),
    ("crm_lead", "crm_lead_reclaim_warn_idx"),
    ("crm_lead", "crm_lead_response_deadline_idx"),
    ("sales_allocation_log", "sales_allocation_log_claimed_idx"),
    ("sales_allocation_log", "sales_allocation_log_lead_date_idx"),
    ("sales_allocation_log", "sales_allocation_log_to_notify_idx"),
)


class TestIndexes(TransactionCase):

    def _indexes(self, table):
        self.env.cr.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s",
                            [table])
        return {row[0] for row in self.env.cr.fetchall()}

    def test_every_declared_index_exists(self):
        expected = set(NAMED)
        expected |= {("crm_lead", name) for name, _column, _predicate in PARTIAL_INDEXES}
        expected |= {("crm_lead", "crm_lead_%s_owner_idx" % column)
                     for column in MATCH_KEY_COLUMNS}
        expected |= {("res_partner", "res_partner_%s_owner_idx" % column)
                     for column in MATCH_KEY_COLUMNS}
        missing = sorted(name for table, name in expected
                         if name not in self._indexes(table))
        self.assertEqual(missing, [])

    def test_init_of_crm_lead_runs_every_file(self):
        """The match keys' fill (crm_lead_match.py) and the indexes of the other
        files come back when crm.lead's init runs, as at install and upgrade."""
        lead = self.env["crm.lead"].create({
            "name": "Init chain", "email_from": "init.chain@huadong-steel.com.cn"})
        self.assertEqual(lead.match_email, "init.chain@huadong-steel.com.cn")
        self.env.cr.execute("UPDATE crm_lead SET match_email = NULL, match_domain = NULL"
                            " WHERE id = %s", [lead.id])
        for name in ("crm_lead_match_email_owner_idx", "crm_lead_response_deadline_idx",
                     "crm_lead_reclaim_deadline_idx", "crm_lead_pool_id_idx"):
            self.env.cr.execute("DROP INDEX %s" % name)  # rolled back with the test
        lead.invalidate_cache()
        self.env["crm.lead"].init()
        lead.invalidate_cache()
        self.assertEqual(lead.match_email, "init.chain@huadong-steel.com.cn")
        self.assertTrue({"crm_lead_match_email_owner_idx", "crm_lead_response_deadline_idx",
                         "crm_lead_reclaim_deadline_idx", "crm_lead_pool_id_idx"}
                        <= self._indexes("crm_lead"))
