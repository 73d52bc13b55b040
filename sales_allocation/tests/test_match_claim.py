# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Pool protections (issue 14): a pool lead of a customer another rep already follows
cannot be claimed, unless the pool allows it (the refusal names the owner); a lead
just claimed or assigned is protected from the reclaim run."""
from datetime import datetime

from odoo.exceptions import UserError, ValidationError

from ..dates import to_datetime
from .test_pool import DAY, MINUTE, PoolCase


class TestMatchClaim(PoolCase):

    @classmethod
    def setUpClass(cls):
        super(TestMatchClaim, cls).setUpClass()
        cls.opportunity = cls.Lead.create({
            "name": "华东钢铁 rebar", "type": "opportunity", "partner_name": "华东钢铁有限公司",
            "email_from": "zhang@huadong-steel.com.cn", "user_id": cls.rep_b.id})

    def test_claiming_a_customer_another_rep_follows_is_refused_naming_him(self):
        lead = self._pool_leads(email_from="wang@huadong-steel.com.cn")
        with self.assertRaises(UserError) as refused:
            self._claim(lead, self.rep_a)
        message = str(refused.exception.name)
        self.assertIn("a customer already followed by Rep B", message)
        self.assertIn("same email domain as 华东钢铁有限公司 (Rep B)", message)
        self.assertFalse(self._db(lead, "user_id"))

    def test_one_matched_lead_refuses_the_whole_claim(self):
        leads = self._pool_leads(2)
        leads[1].sudo().write({"partner_name": "华东钢铁股份有限公司"})
        with self.assertRaises(UserError):
            self._claim(leads, self.rep_a)
        self.assertFalse(self._db(leads[0], "user_id"))

    def test_the_owner_of_the_match_may_claim_it(self):
        lead = self._pool_leads(email_from="wang@huadong-steel.com.cn")
        self._claim(lead, self.rep_b)
        self.assertEqual(self._db(lead, "user_id"), self.rep_b.id)

    def test_a_pool_that_allows_it_lets_anyone_claim(self):
        self.pool.allow_matched_claims = True
        lead = self._pool_leads(email_from="wang@huadong-steel.com.cn")
        self._claim(lead, self.rep_a)
        self.assertEqual(self._db(lead, "user_id"), self.rep_a.id)

    def test_unrelated_and_closed_matches_do_not_block(self):
        self.opportunity.sudo().write({"probability": 100})
        lead = self._pool_leads(email_from="wang@huadong-steel.com.cn")
        other = self._pool_leads(email_from="someone@another-company.cn")
        self._claim(lead | other, self.rep_a)
        self.assertEqual(self._db(lead, "user_id"), self.rep_a.id)


class TestProtection(PoolCase):
    """The protection period: a lead just claimed or assigned stays with its owner."""

    def test_a_protected_lead_is_not_reclaimed_before_the_period_ends(self):
        self.pool.write({"idle_days": 3, "warn_days": 1, "protect_days": 10})
        lead = self._pool_leads()
        start = datetime.utcnow()
        self._claim(lead, self.rep_a, now=start)
        self.assertEqual(to_datetime(lead.reclaim_deadline).date(),
                         (start + 10 * DAY).date())
        self.assertEqual(self._reclaim(start + 4 * DAY)["reclaimed"], 0)
        self.assertEqual(self._db(lead, "user_id"), self.rep_a.id)
        self.assertEqual(self._reclaim(start + 10 * DAY + MINUTE)["reclaimed"], 1)
        self.assertFalse(self._db(lead, "user_id"))

    def test_an_assigned_lead_is_protected_too(self):
        self.pool.write({"idle_days": 3, "warn_days": 1, "protect_days": 5})
        lead = self._pool_leads()
        start = datetime.utcnow()
        lead.sudo(self.manager)._pool_assign(self.rep_b, now=start)
        self.assertEqual(self._reclaim(start + 4 * DAY)["reclaimed"], 0)
        self.assertEqual(self._reclaim(start + 5 * DAY + MINUTE)["reclaimed"], 1)

    def test_a_negative_period_is_refused(self):
        with self.assertRaises(ValidationError):
            self.pool.protect_days = -1

    def test_the_holding_limit_counts_assigned_leads(self):
        self.pool.write({"max_open_leads": 2, "max_claims_per_day": 0})
        assigned = self._pool_leads(2)
        assigned.sudo(self.manager)._pool_assign(self.rep_a)
        with self.assertRaises(UserError):
            self._claim(self._pool_leads(), self.rep_a)
