# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One customer, one owner (issue 14), the rest of it: customers with a salesperson
are matched too, the leads of one batch end with one owner, and the simulation shows
the matches while writing nothing."""
from .common import AllocationCase


class TestMatchPartner(AllocationCase):

    @classmethod
    def setUpClass(cls):
        super(TestMatchPartner, cls).setUpClass()
        cls.rep_a.partner_id.name = "李娜"
        # 华东钢铁有限公司 is 李娜's customer: no lead of it is open.
        cls.customer = cls.env["res.partner"].create({
            "name": "华东钢铁有限公司", "is_company": True, "user_id": cls.rep_a.id,
            "email": "info@huadong-steel.com.cn", "phone": "+86 138-0013-8000",
            "country_id": cls.china.id, "vat": "91310000-MA1FL0XX1A"})

    def _queue_rule(self, **vals):
        return self._rule("SA match: all to the rotation", queue=self.seq_queue, **vals)

    def _new(self, name, **vals):
        """Leads created without allocation, waiting for the backlog run."""
        Lead = self.Lead.sudo().with_context(sales_allocation_skip=True)
        leads = Lead.browse()
        for values in vals.pop("each", [{}]):
            leads |= Lead.create(dict(vals, name="%s %d" % (name, len(leads) + 1),
                                      user_id=False, allocation_state="unallocated",
                                      **values))
        return leads.with_env(self.env)

    # ------------------------------------------------------------------ keys

    def test_partner_keys_are_normalized_stored_and_follow_writes(self):
        self.assertEqual(
            (self.customer.match_email, self.customer.match_domain,
             self.customer.match_phone, self.customer.match_company,
             self.customer.match_vat),
            ("info@huadong-steel.com.cn", "huadong-steel.com.cn", "13800138000",
             "华东钢铁", "91310000MA1FL0XX1A"))
        contact = self.env["res.partner"].create({
            "name": "王伟", "parent_id": self.customer.id, "mobile": "0086 139 1234 5678",
            "email": "Wang Wei <Wang@HuaDong-Steel.com.cn>"})
        self.assertEqual((contact.match_email, contact.match_mobile,
                          contact.match_company, contact.match_vat),
                         ("wang@huadong-steel.com.cn", "13912345678", "华东钢铁",
                          "91310000MA1FL0XX1A"))
        # The company's new name reaches its contacts' keys.
        self.customer.name = "华东特钢集团股份有限公司"
        self.assertEqual(self.customer.match_company, "华东特钢")
        self.assertEqual(contact.match_company, "华东特钢")
        self.customer.email = False
        self.assertFalse(self.customer.match_email or self.customer.match_domain)

    def test_existing_partners_with_a_salesperson_get_their_keys_on_upgrade(self):
        prospect = self.env["res.partner"].create({
            "name": "Prospect Ltd", "is_company": True, "email": "buy@prospect-buyer.cn"})
        self.env.cr.execute(
            "UPDATE res_partner SET match_email = NULL, match_domain = NULL, "
            "match_phone = NULL, match_mobile = NULL, match_company = NULL, "
            "match_vat = NULL WHERE id IN %s", [(self.customer.id, prospect.id)])
        self.env["res.partner"]._match_fill_keys()
        self.env["res.partner"].invalidate_cache()
        self.assertEqual(self.customer.match_domain, "huadong-steel.com.cn")
        self.assertEqual(self.customer.match_phone, "13800138000")
        # Never looked up without a salesperson: built when he is given one.
        self.assertFalse(prospect.match_email)
        prospect.user_id = self.rep_b
        self.assertEqual((prospect.match_domain, prospect.match_company),
                         ("prospect-buyer.cn", "prospect"))

    # ------------------------------------------------------------------ routing

    def test_a_new_lead_goes_to_the_salesperson_of_the_customer_of_its_domain(self):
        self._queue_rule()
        lead = self.Lead.create({"name": "Rebar inquiry",
                                 "email_from": "wang@huadong-steel.com.cn"})
        self.assertEqual(lead.user_id, self.rep_a)
        self.assertEqual(lead.match_reason, "same email domain as 华东钢铁有限公司 (李娜)")
        self.assertFalse(lead.match_lead_id)
        self.assertIn("Same email domain as 华东钢铁有限公司 (李娜): the lead goes to the "
                      "owner of that customer.", lead.allocation_reason)
        log = self._last_log(lead)
        self.assertEqual((log.user_id, log.event), (self.rep_a, "assigned"))
        self.assertIn("Same email domain as 华东钢铁有限公司 (李娜)", log.reason)

    def test_a_public_mail_domain_does_not_match_a_customer(self):
        self._queue_rule()
        self.customer.write({"email": "huadong@qq.com", "phone": False, "vat": False})
        self.assertEqual(self.customer.match_domain, "qq.com")
        lead = self.Lead.create({"name": "QQ", "email_from": "someone@qq.com"})
        self.assertFalse(lead.match_reason)
        self.assertNotIn("Same", lead.allocation_reason)
        # The very address still matches.
        lead = self.Lead.create({"name": "QQ", "email_from": "HuaDong@qq.com"})
        self.assertEqual(lead.user_id, self.rep_a)
        self.assertEqual(lead.match_reason,
                         "same email address as 华东钢铁有限公司 (李娜)")

    def test_one_mobile_written_three_ways_matches_the_customer(self):
        self._queue_rule()
        formats = ("+86 138-0013-8000", "13800138000", "0086 13800138000")
        for partner_phone in formats:
            self.customer.phone = partner_phone
            self.assertEqual(self.customer.match_phone, "13800138000")
            for lead_phone in formats:
                for country in (self.china, self.env["res.country"]):
                    lead = self.Lead.create({"name": "Phone", "phone": lead_phone,
                                             "country_id": country.id})
                    self.assertEqual(lead.user_id, self.rep_a, (partner_phone, lead_phone))
                    self.assertEqual(lead.match_reason,
                                     "same phone number as 华东钢铁有限公司 (李娜)")
                    lead.action_set_lost()  # not open: the next one matches the customer

    def test_an_opportunity_beats_a_customer_of_the_same_strength(self):
        self._queue_rule()
        opportunity = self.Lead.create({
            "name": "华东钢铁 - 200 t rebar", "type": "opportunity",
            "partner_name": "华东钢铁", "email_from": "zhang@huadong-steel.com.cn",
            "user_id": self.rep_b.id})
        lead = self.Lead.create({"name": "Domain", "email_from": "wang@huadong-steel.com.cn"})
        self.assertEqual(lead.user_id, self.rep_b)
        self.assertEqual(lead.match_lead_id, opportunity)
        self.assertEqual(lead.match_reason,
                         "same email domain as 华东钢铁 (%s)" % self.rep_b.name)
        # A stronger match with the customer wins over the opportunity's domain.
        lead = self.Lead.create({"name": "Address", "email_from": "info@huadong-steel.com.cn"})
        self.assertEqual(lead.user_id, self.rep_a)
        self.assertEqual(lead.match_reason, "same email address as 华东钢铁有限公司 (李娜)")

    def test_an_archived_salesperson_falls_back_to_the_rule_and_says_so(self):
        self._queue_rule()
        self.rep_a.active = False
        lead = self.Lead.create({"name": "Archived", "email_from": "wang@huadong-steel.com.cn"})
        self.assertIn(lead.user_id, self.reps - self.rep_a)
        self.assertIn("Same email domain as 华东钢铁有限公司, but 李娜 cannot take the lead "
                      "(archived): the rule's usual target decides.", lead.allocation_reason)
        self.assertEqual(lead.match_reason, "same email domain as 华东钢铁有限公司 (李娜)")

    def test_a_salesperson_unavailable_or_over_cap_in_the_queue_falls_back(self):
        self._queue_rule()
        member = self._member(self.seq_queue, self.rep_a)
        member.available = False
        lead = self.Lead.create({"name": "Away", "email_from": "wang@huadong-steel.com.cn"})
        self.assertNotEqual(lead.user_id, self.rep_a)
        self.assertIn("but 李娜 cannot take the lead (unavailable)", lead.allocation_reason)
        lead.action_set_lost()
        member.write({"available": True, "max_open_leads": 1})
        self.Lead.create({"name": "Full", "user_id": self.rep_a.id})
        lead = self.Lead.create({"name": "Full", "email_from": "wu@huadong-steel.com.cn"})
        self.assertNotEqual(lead.user_id, self.rep_a)
        self.assertIn("but 李娜 cannot take the lead (cap of open leads reached)",
                      lead.allocation_reason)

    def test_an_inactive_customer_or_one_without_salesperson_does_not_match(self):
        self._queue_rule()
        self.customer.user_id = False
        lead = self.Lead.create({"name": "Nobody", "email_from": "wang@huadong-steel.com.cn"})
        self.assertFalse(lead.match_reason)
        lead.action_set_lost()
        self.customer.write({"user_id": self.rep_a.id, "active": False})
        lead = self.Lead.create({"name": "Archived", "email_from": "wang@huadong-steel.com.cn"})
        self.assertFalse(lead.match_reason)

    # ------------------------------------------------------------------ one batch

    def test_leads_of_one_customer_in_one_batch_end_with_one_owner(self):
        self._queue_rule()
        leads = self._new("Acme", partner_name="Acme Robotics Co., Ltd.", each=[
            {"email_from": "li@acme-robotics.cn"}, {"email_from": "wu@acme-robotics.cn"},
            {"phone": "021-6123 4567"}])
        other = self._new("Other", email_from="x@other-buyer.cn")
        (leads | other).action_allocate()
        first = leads[0]
        # The first goes round the queue (rep A's turn); the others follow it, by
        # domain and by company name; the rotation moved once for them.
        self.assertEqual(self._owners(leads), [self.rep_a.id] * 3)
        self.assertEqual(self._db_owner(other), self.rep_b.id)
        self.assertFalse(first.match_reason)
        self.assertEqual(leads[1].match_lead_id, first)
        self.assertEqual(leads[1].match_reason,
                         "same email domain as Acme Robotics Co., Ltd. (李娜)")
        self.assertEqual(leads[2].match_lead_id, first)
        self.assertEqual(leads[2].match_reason,
                         "same company name as Acme Robotics Co., Ltd. (李娜)")
        self.assertIn("Same company name as Acme Robotics Co., Ltd. (李娜): the lead goes "
                      "to the owner of that customer.", leads[2].allocation_reason)

    def test_one_backlog_batch_gives_a_customer_one_owner_who_is_its_salesperson(self):
        self._queue_rule()
        self.rep_b.partner_id.name = "张伟"
        self.customer.user_id = self.rep_b
        leads = self._new("Huadong", each=[
            {"partner_name": "华东钢铁股份有限公司", "phone": "021-6123 4567"},
            {"partner_name": "华东钢铁", "phone": "021 61234567"},
            {"email_from": "zhao@huadong-steel.com.cn"}])
        self.env["crm.lead"]._cron_allocate_backlog()
        self.assertEqual(self._owners(leads), [self.rep_b.id] * 3)
        # The customer by company name; the second follows the first (its phone is
        # the stronger key), the third matches the customer's domain directly.
        self.assertEqual(leads[0].match_reason, "same company name as 华东钢铁有限公司 (张伟)")
        self.assertEqual(leads[1].match_lead_id, leads[0])
        self.assertEqual(leads[1].match_reason, "same phone number as 华东钢铁股份有限公司 (张伟)")
        self.assertEqual(leads[2].match_reason, "same email domain as 华东钢铁有限公司 (张伟)")

    def test_the_oldest_lead_of_a_batch_leads_whatever_its_id_and_only_in_its_company(self):
        self._queue_rule()
        leads = self._new("Oldest", email_from="buyer@oldest-buyer.cn", each=[{}, {}, {}])
        other = self.env["res.company"].create({"name": "SA batch other company"})
        elsewhere = self._new("Elsewhere", email_from="buyer@oldest-buyer.cn",
                              company_id=other.id)
        # The last created is the oldest; the one elsewhere older still.
        self.env.cr.execute("""
            UPDATE crm_lead SET create_date = now() - interval '1 day' * CASE id
                WHEN %s THEN 2 WHEN %s THEN 3 ELSE 1 END
             WHERE id IN %s
        """, [leads[2].id, elsewhere.id, tuple((leads | elsewhere).ids)])
        (leads | elsewhere).action_allocate()
        oldest = leads[2]
        self.assertFalse(oldest.match_lead_id)
        self.assertEqual(leads[0].match_lead_id, oldest)
        self.assertEqual(leads[1].match_lead_id, oldest)
        self.assertEqual(set(self._owners(leads)), {self._db_owner(oldest)})
        self.assertTrue(self._db_owner(oldest))
        self.assertFalse(elsewhere.match_lead_id)
        self.assertFalse(elsewhere.match_reason)

    def test_followers_fall_back_when_the_first_lead_owner_is_over_cap(self):
        self._queue_rule()
        self._member(self.seq_queue, self.rep_a).max_open_leads = 1
        leads = self._new("Capped", email_from="buyer@capped-buyer.cn", each=[{}, {}])
        leads.action_allocate()
        self.assertEqual(self._owners(leads), [self.rep_a.id, self.rep_b.id])
        self.assertIn("but 李娜 cannot take the lead (cap of open leads reached)",
                      leads[1].allocation_reason)
        self.assertEqual(leads[1].match_lead_id, leads[0])

    # ------------------------------------------------------------------ simulation

    def test_the_simulation_shows_the_matches_and_writes_nothing(self):
        tag = self.env["crm.lead.tag"].create({"name": "simulated matches"})
        rule = self._queue_rule(tag_ids=[(6, 0, tag.ids)], active=False)
        leads = self._new("Sim", tag_ids=[(6, 0, tag.ids)], each=[
            {"email_from": "wang@huadong-steel.com.cn"},
            {"email_from": "a@sim-buyer.cn"}, {"email_from": "b@sim-buyer.cn"}])
        log_count = self.Log.search_count([])
        self.env.cr.execute("SELECT * FROM sales_allocation_rotation ORDER BY 1")
        rotation = self.env.cr.fetchall()
        simulation = self.env["sales.allocation.simulation"].create({
            "lead_domain": "[('tag_ids', 'in', %s)]" % tag.ids,
            "rule_ids": [(6, 0, rule.ids)]})
        simulation.action_run()
        lines = {line.lead_id: line for line in simulation.line_ids}
        self.assertEqual(lines[leads[0]].user_id, self.rep_a)
        self.assertIn("Same email domain as 华东钢铁有限公司 (李娜)", lines[leads[0]].reason)
        # The first sim-buyer lead takes the rotation's turn (rep A), the second its.
        self.assertEqual((lines[leads[1]].user_id, lines[leads[2]].user_id),
                         (self.rep_a, self.rep_a))
        self.assertIn("Same email domain as %s (李娜)" % leads[1].name,
                      lines[leads[2]].reason)
        # Nothing written: owners, matches, logs, rotation.
        leads.invalidate_cache()
        self.assertFalse(leads.mapped("user_id") or any(leads.mapped("match_reason")))
        self.assertFalse(leads.mapped("match_lead_id"))
        self.assertEqual(self.Log.search_count([]), log_count)
        self.env.cr.execute("SELECT * FROM sales_allocation_rotation ORDER BY 1")
        self.assertEqual(self.env.cr.fetchall(), rotation)
        # Then for real: the same owners.
        rule.active = True
        leads.action_allocate()
        self.assertEqual(self._owners(leads), [line.user_id.id for line in (
            lines[leads[0]], lines[leads[1]], lines[leads[2]])])
