# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One customer, one owner (issue 14): match keys stored on the lead, the match found
before routing, and what each rule's match policy does with it."""
from odoo.exceptions import AccessError

from .common import AllocationCase


class TestMatch(AllocationCase):

    @classmethod
    def setUpClass(cls):
        super(TestMatch, cls).setUpClass()
        cls.rep_a.partner_id.name = "李娜"
        # 李娜 already works 华东钢铁有限公司 (set by hand: no rule involved).
        cls.opportunity = cls.Lead.create({
            "name": "华东钢铁 - 200 t rebar", "type": "opportunity",
            "partner_name": "华东钢铁有限公司", "email_from": "zhang@huadong-steel.com.cn",
            "phone": "+86 138-0013-8000", "country_id": cls.china.id,
            "user_id": cls.rep_a.id})

    def _queue_rule(self, **vals):
        return self._rule("SA match: all to the rotation", queue=self.seq_queue, **vals)

    # ------------------------------------------------------------------ keys

    def test_keys_are_normalized_and_stored_on_create(self):
        lead = self.Lead.create({
            "name": "Keys", "email_from": "王 <Wang@HuaDong-Steel.com.cn>",
            "phone": "0086 13800138000", "mobile": "021-6123 4567",
            "partner_name": "华东钢铁股份有限公司", "country_id": self.china.id})
        self.assertEqual(lead.match_email, "wang@huadong-steel.com.cn")
        self.assertEqual(lead.match_domain, "huadong-steel.com.cn")
        self.assertEqual(lead.match_phone, "13800138000")
        self.assertEqual(lead.match_mobile, "2161234567")
        self.assertEqual(lead.match_company, "华东钢铁")
        self.assertEqual(self.opportunity.match_phone, "13800138000")
        self.assertEqual(self.opportunity.match_company, "华东钢铁")

    def test_one_mobile_written_three_ways_gives_one_key_with_or_without_country(self):
        keys = set()
        for phone, country in (("+86 138-0013-8000", self.china),
                               ("13800138000", self.china),
                               ("0086 13800138000", self.china),
                               ("13800138000", self.env["res.country"])):
            lead = self.Lead.create({"name": "Phone", "phone": phone,
                                     "country_id": country.id})
            keys.add(lead.match_phone)
        self.assertEqual(keys, {"13800138000"})

    def test_keys_follow_a_write_of_many_leads_at_once(self):
        leads = self._leads(3)
        self.assertFalse(any(leads.mapped("match_email")))
        leads.write({"email_from": "Buyer@Example-Buyer.cn", "partner_name": "ACME Co., Ltd."})
        self.assertEqual(set(leads.mapped("match_email")), {"buyer@example-buyer.cn"})
        self.assertEqual(set(leads.mapped("match_company")), {"acme"})
        leads.write({"email_from": False})
        self.assertFalse(any(leads.mapped("match_email")))

    def test_vat_key_comes_from_the_customer(self):
        company = self.env["res.partner"].create({
            "name": "Huadong Steel", "is_company": True, "vat": "91310000-MA1FL0XX1A"})
        contact = self.env["res.partner"].create({"name": "Wang", "parent_id": company.id})
        lead = self.Lead.create({"name": "VAT", "partner_id": contact.id})
        self.assertEqual(lead.match_vat, "91310000MA1FL0XX1A")

    def test_existing_leads_get_their_keys_on_upgrade(self):
        self.env.cr.execute("UPDATE crm_lead SET match_company = NULL, match_phone = NULL, "
                            "match_email = NULL, match_domain = NULL WHERE id = %s",
                            [self.opportunity.id])
        self.Lead._match_fill_keys()
        self.opportunity.invalidate_cache()
        self.assertEqual(self.opportunity.match_company, "华东钢铁")
        self.assertEqual(self.opportunity.match_phone, "13800138000")

    # ------------------------------------------------------------------ policy owner

    def test_the_issue_lead_goes_to_the_owner_of_the_same_company_domain(self):
        self._queue_rule()
        lead = self.Lead.create({
            "name": "华东钢铁股份 inquiry", "email_from": "wang@huadong-steel.com.cn",
            "partner_name": "华东钢铁股份有限公司"})
        self.assertEqual(lead.user_id, self.rep_a)
        self.assertEqual(lead.match_lead_id, self.opportunity)
        self.assertEqual(lead.match_reason, "same email domain as 华东钢铁有限公司 (李娜)")
        self.assertFalse(lead.match_flagged)
        self.assertIn("Same email domain as 华东钢铁有限公司 (李娜)", lead.allocation_reason)
        log = self.Log.search([("lead_id", "=", lead.id)])
        self.assertEqual(log.user_id, self.rep_a)
        self.assertIn("华东钢铁有限公司", log.reason)

    def test_a_match_owner_outside_the_queue_still_gets_the_lead(self):
        self._queue_rule()
        self.opportunity.sudo().write({"user_id": self.rep_d.id})
        lead = self.Lead.create({"name": "By phone", "phone": "13800138000",
                                 "country_id": self.china.id})
        self.assertEqual(lead.user_id, self.rep_d)
        self.assertEqual(lead.match_reason, "same phone number as 华东钢铁有限公司 (%s)"
                         % self.rep_d.name)

    def test_the_strongest_match_wins_and_an_opportunity_beats_a_lead(self):
        self._queue_rule()
        # A lead of rep B with the very address: email beats company name.
        self.Lead.create({"name": "Older lead", "email_from": "li@huadong-steel.com.cn",
                          "user_id": self.rep_b.id})
        lead = self.Lead.create({"name": "Same person", "email_from": "li@huadong-steel.com.cn",
                                 "partner_name": "华东钢铁"})
        self.assertEqual(lead.user_id, self.rep_b)
        self.assertIn("email address", lead.match_reason)
        # By domain alone the opportunity of rep A beats the (newer) lead of rep B.
        other = self.Lead.create({"name": "Colleague", "email_from": "zhao@huadong-steel.com.cn"})
        self.assertEqual(other.user_id, self.rep_a)
        self.assertEqual(other.match_lead_id, self.opportunity)

    def test_public_mail_domains_never_match(self):
        self._queue_rule()
        self.Lead.create({"name": "QQ user", "email_from": "a@qq.com", "user_id": self.rep_c.id})
        lead = self.Lead.create({"name": "Other QQ user", "email_from": "b@qq.com"})
        self.assertFalse(lead.match_lead_id)
        self.assertEqual(lead.allocation_state, "allocated")

    def test_a_strength_switched_off_in_settings_is_not_used(self):
        self._queue_rule()
        settings = self.env["res.config.settings"].create({})
        self.assertTrue(settings.sa_match_domain)
        self.assertIn("qq.com", settings.sa_public_mail_domains)
        settings.write({"sa_match_domain": False, "sa_match_company": False})
        settings.set_values()
        settings = self.env["res.config.settings"].create({})
        self.assertFalse(settings.sa_match_domain)
        self.assertTrue(settings.sa_match_phone)
        lead = self.Lead.create({"name": "Domain only", "email_from": "wang@huadong-steel.com.cn",
                                 "partner_name": "华东钢铁股份有限公司"})
        self.assertFalse(lead.match_lead_id)

    def test_an_edited_public_domain_list_applies_at_once(self):
        self._queue_rule()
        settings = self.env["res.config.settings"].create({})
        settings.sa_public_mail_domains = "qq.com, huadong-steel.com.cn"
        settings.set_values()
        lead = self.Lead.create({"name": "Now public", "email_from": "wang@huadong-steel.com.cn"})
        self.assertFalse(lead.match_lead_id)

    def test_an_archived_owner_falls_back_to_the_rule_target_and_the_log_says_so(self):
        self._queue_rule()
        self.rep_a.active = False
        lead = self.Lead.create({"name": "Archived owner",
                                 "email_from": "wang@huadong-steel.com.cn"})
        self.assertIn(lead.user_id, self.reps - self.rep_a)
        self.assertIn("cannot take the lead (archived)", lead.allocation_reason)
        self.assertEqual(lead.match_lead_id, self.opportunity)

    def test_an_owner_unavailable_or_over_cap_in_the_queue_falls_back(self):
        self._queue_rule()
        member = self._member(self.seq_queue, self.rep_a)
        member.available = False
        lead = self.Lead.create({"name": "Away", "email_from": "wang@huadong-steel.com.cn"})
        self.assertNotEqual(lead.user_id, self.rep_a)
        self.assertIn("(unavailable)", lead.allocation_reason)
        member.write({"available": True, "max_open_leads": 1})
        lead = self.Lead.create({"name": "Full", "email_from": "wu@huadong-steel.com.cn"})
        self.assertNotEqual(lead.user_id, self.rep_a)
        self.assertIn("(cap of open leads reached)", lead.allocation_reason)

    def test_a_batch_is_matched_with_one_query(self):
        self._queue_rule()
        leads = self.Lead.sudo().with_context(sales_allocation_skip=True).create(
            {"name": "Skip", "email_from": "x@huadong-steel.com.cn"})
        leads |= self.Lead.sudo().with_context(sales_allocation_skip=True).create(
            {"name": "Skip 2", "phone": "+86 13800138000", "country_id": self.china.id})
        queries = []
        cr_execute = type(self.env.cr).execute

        def spy(cr, query, params=None, log_exceptions=None):
            queries.append(query)
            return cr_execute(cr, query, params)
        matching = self.env["sales.allocation.match"]
        type(self.env.cr).execute = spy
        try:
            matches = matching._find(leads.ids)
        finally:
            type(self.env.cr).execute = cr_execute
        # The batch's keys, then its matches (besides the settings, read once).
        self.assertEqual(len([query for query in queries if "crm_lead" in query]), 2)
        self.assertEqual({lead_id: match.lead_id for lead_id, match in matches.items()},
                         dict.fromkeys(leads.ids, self.opportunity.id))
        self.assertEqual({match.strength for match in matches.values()},
                         {"domain", "phone"})
        self.allocator.allocate(leads.ids)
        self.assertEqual(leads.mapped("user_id"), self.rep_a)

    def test_a_batch_is_looked_up_for_the_keys_it_has_only(self):
        Lead = self.Lead.sudo().with_context(sales_allocation_skip=True)
        leads = Lead.create({"name": "No contact at all"})
        leads |= Lead.create({"name": "No contact either", "description": "x"})
        matching = self.env["sales.allocation.match"]
        queries = []
        cr_execute = type(self.env.cr).execute

        def spy(cr, query, params=None, log_exceptions=None):
            queries.append(query)
            return cr_execute(cr, query, params)

        def lookups():
            del queries[:]
            type(self.env.cr).execute = spy
            try:
                found = matching._find_batch(leads.ids)
            finally:
                type(self.env.cr).execute = cr_execute
            return found, [query for query in queries if "crm_lead" in query]
        # No key at all: the keys the batch has are read, nothing is looked up.
        found, read = lookups()
        self.assertEqual(found, ({}, {}))
        self.assertEqual(len(read), 1, read)
        # An address at a public domain: looked up by address only, not by domain.
        leads[1].write({"email_from": "someone@qq.com"})
        found, read = lookups()
        self.assertEqual(found, ({}, {}))
        self.assertEqual(len(read), 2, read)
        self.assertIn("match_email", read[1])
        self.assertNotIn("match_domain", read[1])
        self.assertNotIn("match_phone", read[1])
        # A company address: its domain finds the opportunity of that domain.
        leads[0].write({"email_from": "li@huadong-steel.com.cn"})
        (matches, _followers), read = lookups()
        self.assertIn("match_domain", read[1])
        self.assertEqual(matches[leads[0].id].lead_id, self.opportunity.id)

    def test_other_companies_are_not_matched(self):
        self._queue_rule()
        other = self.env["res.company"].create({"name": "SA other company"})
        self.opportunity.sudo().write({"company_id": other.id})
        lead = self.Lead.create({"name": "Own company", "email_from": "wang@huadong-steel.com.cn"})
        self.assertFalse(lead.match_lead_id)

    # ------------------------------------------------------------------ flag, ignore

    def test_flag_keeps_the_target_and_lists_the_lead_in_duplicates(self):
        self._queue_rule(match_policy="flag")
        lead = self.Lead.create({"name": "Flag me", "email_from": "wang@huadong-steel.com.cn"})
        self.assertEqual(lead.allocation_state, "allocated")
        self.assertEqual(lead.match_lead_id, self.opportunity)
        self.assertTrue(lead.match_flagged)
        self.assertIn("Possible duplicate of 华东钢铁有限公司 (李娜)", lead.allocation_reason)
        action = self.env.ref("sales_allocation.crm_lead_action_duplicates")
        self.assertIn(lead, self.Lead.search(
            eval(action.domain) + [("match_flagged", "=", True)]))
        # Merged with Odoo's own wizard.
        wizard_action = lead.action_merge_match()
        self.assertEqual(wizard_action["res_model"], "crm.merge.opportunity")
        wizard = self.env["crm.merge.opportunity"].with_context(
            **wizard_action["context"]).create({})
        self.assertEqual(set(wizard.opportunity_ids.ids), {lead.id, self.opportunity.id})
        wizard.action_merge()
        self.assertTrue(self.opportunity.exists())
        self.assertFalse(lead.exists())

    def test_dismissing_a_duplicate_takes_it_off_the_list(self):
        self._queue_rule(match_policy="flag")
        lead = self.Lead.create({"name": "Flag me", "email_from": "wang@huadong-steel.com.cn"})
        lead.action_match_dismiss()
        self.assertFalse(lead.match_flagged)

    def test_ignore_plays_no_part(self):
        self._queue_rule(match_policy="ignore")
        lead = self.Lead.create({"name": "Ignored", "email_from": "wang@huadong-steel.com.cn"})
        self.assertFalse(lead.match_lead_id)
        self.assertEqual(lead.allocation_rule_id.match_policy, "ignore")
        self.assertNotIn("华东钢铁", lead.allocation_reason)

    def test_the_policy_defaults_to_the_owner_of_the_match(self):
        self.assertEqual(self._queue_rule().match_policy, "owner")

    def test_a_salesman_may_not_merge(self):
        self._queue_rule(match_policy="flag")
        lead = self.Lead.create({"name": "Flag me", "email_from": "wang@huadong-steel.com.cn"})
        with self.assertRaises(AccessError):
            lead.sudo(self.rep_b).action_merge_match()
