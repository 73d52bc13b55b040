# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Which rule decides: order, conditions, fall-through, owner continuity, no match."""
from .common import AllocationCase


class TestRules(AllocationCase):

    @classmethod
    def setUpClass(cls):
        super(TestRules, cls).setUpClass()
        Partner = cls.env["res.partner"]
        cls.industry = cls.env["res.partner.industry"].create({"name": "SA Robotics"})
        cls.other_industry = cls.env["res.partner.industry"].create({"name": "SA Farming"})
        cls.acme = Partner.create({"name": "SA ACME Ltd", "is_company": True,
                                   "industry_id": cls.industry.id})
        cls.acme_buyer = Partner.create({"name": "SA ACME buyer", "parent_id": cls.acme.id})
        cls.private = Partner.create({"name": "SA Mr Private"})
        cls.tag_hot = cls.env["crm.lead.tag"].create({"name": "SA hot"})
        cls.tag_cold = cls.env["crm.lead.tag"].create({"name": "SA cold"})
        cls.tag_other = cls.env["crm.lead.tag"].create({"name": "SA other"})
        cls.source_web = cls.env["utm.source"].create({"name": "SA website"})
        cls.source_fair = cls.env["utm.source"].create({"name": "SA trade fair"})

    def _with_fallback(self, name, **vals):
        """The rule under test (to Rep A) and a catch-all after it (to Rep B).

        Matches are ignored: leads of one customer would follow the first one's owner
        (test_match.py), whatever the conditions under test say."""
        vals.setdefault("match_policy", "ignore")
        rule = self._rule(name, user=self.rep_a, sequence=10, **vals)
        self._rule("Everything else", user=self.rep_b, sequence=100,
                   match_policy="ignore")
        return rule

    def _assert_owner(self, user, **lead_vals):
        lead = self._lead(lead_vals.pop("name", "%s?" % user.name), **lead_vals)
        self.assertEqual(self._db_owner(lead), user.id,
                         "lead %s should go to %s" % (lead_vals, user.name))
        return lead

    # ------------------------------------------------------------------ order

    def test_rules_run_in_sequence_order(self):
        late = self._rule("Late, created first", user=self.rep_a, sequence=20)
        early = self._rule("Early, created second", user=self.rep_b, sequence=5)
        lead = self._assert_owner(self.rep_b)
        self.assertEqual(lead.allocation_rule_id, early)
        self.assertIn('Rule "Early, created second" matched.', lead.allocation_reason)
        # Reordering takes effect at once (the compiled rules are not stale).
        early.sequence = 30
        self.assertEqual(self._assert_owner(self.rep_a).allocation_rule_id, late)
        # Equal sequences: the older rule first.
        early.sequence = 20
        self.assertEqual(self._assert_owner(self.rep_a).allocation_rule_id, late)
        # An archived rule never decides.
        late.active = False
        self.assertEqual(self._assert_owner(self.rep_b).allocation_rule_id, early)

    def test_fall_through_when_every_member_is_capped_away_or_archived(self):
        self._lead("A already holds one", user_id=self.rep_a.id)
        queue = self._queue("Nobody home", "sequential", self.reps)
        self._member(queue, self.rep_a).max_open_leads = 1
        self._member(queue, self.rep_b).available = False
        self.rep_c.active = False
        self._rule("To the empty-handed queue", queue=queue, sequence=10)
        to_d = self._rule("To D", user=self.rep_d, sequence=20)
        lead = self._lead("falls through")
        self.assertEqual(self._db_owner(lead), self.rep_d.id)
        self.assertEqual(lead.allocation_rule_id, to_d)
        log = self._last_log(lead)
        self.assertEqual((log.event, log.user_id, log.rule_id), ("assigned", self.rep_d, to_d))
        for sentence in (
                "Skipped Rep A: cap of open leads reached.",
                "Skipped Rep B: unavailable.",
                "Skipped Rep C: archived.",
                'Rule "To the empty-handed queue" matched but nobody in queue '
                '"Nobody home" could take the lead.',
                'Rule "To D" matched.'):
            self.assertIn(sentence, log.reason)
        self.assertEqual(lead.allocation_reason, log.reason)

    def test_fall_through_when_the_user_of_a_user_rule_is_archived(self):
        self._rule("To D", user=self.rep_d, sequence=10)
        self._rule("To A", user=self.rep_a, sequence=20)
        self.rep_d.active = False
        lead = self._assert_owner(self.rep_a)
        self.assertIn('Rule "To D" matched but Rep D is archived.', lead.allocation_reason)

    def test_fallback_rule_catches_what_no_other_rule_matches(self):
        self._rule("Zhejiang", queue=self.seq_queue, sequence=10,
                   state_ids=[(6, 0, self.zhejiang.ids)])
        fallback = self._rule("Fallback", user=self.rep_d, sequence=1000)
        lead = self._assert_owner(self.rep_d, country_id=self.china.id,
                                  state_id=self.beijing.id)
        self.assertEqual(lead.allocation_rule_id, fallback)
        self._assert_owner(self.rep_a, country_id=self.china.id, state_id=self.zhejiang.id)

    def test_lead_without_company_follows_the_rules_of_the_users_company(self):
        self._rule("All to D", user=self.rep_d)
        lead = self._lead("No company", company_id=False)
        self.assertFalse(lead.company_id)
        self.assertEqual(self._db_owner(lead), self.rep_d.id)

    # ------------------------------------------------------------------ no match

    def test_nothing_matches_lead_stays_unowned_and_is_logged(self):
        self._rule("Only Texas", user=self.rep_a, state_ids=[(6, 0, self.texas.ids)])
        lead = self.Lead.sudo(self.api_user).create({"name": "From the API, no match"})
        self.assertFalse(self._db_owner(lead), "the API user must not get the lead")
        lead = lead.sudo()
        self.assertEqual(lead.allocation_state, "unallocated")
        self.assertFalse(lead.allocation_rule_id)
        self.assertTrue(lead.allocation_date)
        log = self._last_log(lead)
        self.assertEqual(log.event, "unallocated")
        self.assertFalse(log.user_id)
        self.assertEqual(log.author_id, self.api_user)
        self.assertIn("No rule placed this lead", log.reason)

    def test_api_user_lead_goes_to_the_rule_target(self):
        self._rule("All to D", user=self.rep_d)
        lead = self.Lead.sudo(self.api_user).create({"name": "From the API"})
        self.assertEqual(self._db_owner(lead), self.rep_d.id)

    def test_all_queues_full_leaves_lead_unallocated_with_reasons(self):
        queue = self._queue("All away", "least_loaded", self.rep_a | self.rep_b,
                            available=False)
        self._rule("To the away queue", queue=queue)
        lead = self.Lead.sudo(self.api_user).create({"name": "Nobody can take it"})
        self.assertFalse(self._db_owner(lead))
        log = self._last_log(lead)
        self.assertEqual(log.event, "unallocated")
        self.assertIn("Skipped Rep A: unavailable.", log.reason)
        self.assertIn("Skipped Rep B: unavailable.", log.reason)
        self.assertIn("No rule placed this lead", log.reason)

    # ------------------------------------------------------------------ conditions

    def test_condition_countries(self):
        self._with_fallback("China", country_ids=[(6, 0, self.china.ids)])
        self._assert_owner(self.rep_a, country_id=self.china.id)
        self._assert_owner(self.rep_b, country_id=self.usa.id)
        self._assert_owner(self.rep_b)  # no country fails a country condition

    def test_condition_provinces(self):
        self._with_fallback("Zhejiang or Shanghai", country_ids=[(6, 0, self.china.ids)],
                            state_ids=[(6, 0, (self.zhejiang | self.shanghai).ids)])
        self._assert_owner(self.rep_a, country_id=self.china.id, state_id=self.shanghai.id)
        self._assert_owner(self.rep_a, country_id=self.china.id, state_id=self.zhejiang.id)
        self._assert_owner(self.rep_b, country_id=self.china.id, state_id=self.beijing.id)
        self._assert_owner(self.rep_b, country_id=self.china.id)

    def test_condition_tags_any_of(self):
        self._with_fallback("Hot or cold", tag_ids=[(6, 0, (self.tag_hot | self.tag_cold).ids)])
        self._assert_owner(self.rep_a, tag_ids=[(6, 0, self.tag_hot.ids)])
        self._assert_owner(self.rep_a, tag_ids=[(6, 0, (self.tag_cold | self.tag_other).ids)])
        self._assert_owner(self.rep_b, tag_ids=[(6, 0, self.tag_other.ids)])
        self._assert_owner(self.rep_b)

    def test_condition_source(self):
        self._with_fallback("From the website", source_ids=[(6, 0, self.source_web.ids)])
        self._assert_owner(self.rep_a, source_id=self.source_web.id)
        self._assert_owner(self.rep_b, source_id=self.source_fair.id)
        self._assert_owner(self.rep_b)

    def test_condition_industry_of_lead_or_customer(self):
        self._with_fallback("Robotics", industry_ids=[(6, 0, self.industry.ids)])
        self._assert_owner(self.rep_a, industry_id=self.industry.id)
        # Empty on the lead: the customer's company says it.
        self._assert_owner(self.rep_a, partner_id=self.acme_buyer.id)
        # The lead's own industry wins over the customer's.
        self._assert_owner(self.rep_b, partner_id=self.acme_buyer.id,
                           industry_id=self.other_industry.id)
        self._assert_owner(self.rep_b, partner_id=self.private.id)

    def test_condition_customer_type_company(self):
        self._with_fallback("Companies", customer_type="company")
        self._assert_owner(self.rep_a, partner_id=self.acme.id)
        self._assert_owner(self.rep_a, partner_id=self.acme_buyer.id)  # works for one
        self._assert_owner(self.rep_a, partner_name="SA New Co")  # company not created yet
        self._assert_owner(self.rep_b, partner_id=self.private.id)
        self._assert_owner(self.rep_b, contact_name="Somebody")

    def test_condition_customer_type_individual(self):
        self._with_fallback("Individuals", customer_type="individual")
        self._assert_owner(self.rep_a, partner_id=self.private.id)
        self._assert_owner(self.rep_a, contact_name="Somebody")
        self._assert_owner(self.rep_b, partner_id=self.acme_buyer.id)
        self._assert_owner(self.rep_b, partner_name="SA New Co")

    def test_condition_segment(self):
        self._with_fallback("Key accounts", customer_segment="key_account")
        self._assert_owner(self.rep_a, customer_segment="key_account")
        self._assert_owner(self.rep_b, customer_segment="mid_market")
        self._assert_owner(self.rep_b)

    def test_condition_revenue_range(self):
        self._with_fallback("10k to 50k", revenue_min=10000, revenue_max=50000)
        self._assert_owner(self.rep_a, planned_revenue=10000)
        self._assert_owner(self.rep_a, planned_revenue=50000)
        self._assert_owner(self.rep_b, planned_revenue=9999.99)
        self._assert_owner(self.rep_b, planned_revenue=50000.01)
        self._assert_owner(self.rep_b)

    def test_condition_revenue_without_upper_bound(self):
        self._with_fallback("From 10k", revenue_min=10000, revenue_max=0)
        self._assert_owner(self.rep_a, planned_revenue=10 ** 9)
        self._assert_owner(self.rep_b, planned_revenue=5000)

    def test_conditions_combine_with_and_including_the_domain(self):
        self._with_fallback(
            "Chinese hot VIPs", country_ids=[(6, 0, self.china.ids)],
            tag_ids=[(6, 0, self.tag_hot.ids)], domain="[('name', 'ilike', 'VIP')]")
        hot = [(6, 0, self.tag_hot.ids)]
        self._assert_owner(self.rep_a, name="VIP one", country_id=self.china.id, tag_ids=hot)
        self._assert_owner(self.rep_b, name="plain", country_id=self.china.id, tag_ids=hot)
        self._assert_owner(self.rep_b, name="VIP two", country_id=self.usa.id, tag_ids=hot)
        self._assert_owner(self.rep_b, name="VIP three", country_id=self.china.id)

    def test_domain_alone(self):
        self._with_fallback("Email from example.org",
                            domain="[('email_from', '=ilike', '%@example.org')]")
        self._assert_owner(self.rep_a, email_from="x@example.org")
        self._assert_owner(self.rep_b, email_from="x@example.com")

    def test_domains_of_a_batch_read_in_one_pass_match_the_orm_search(self):
        """``_domain_matches`` evaluates the batch's domains together; each answer must
        be what an ORM search with that domain finds among the batch's leads."""
        hot = [(6, 0, self.tag_hot.ids)]
        leads = (self._lead("VIP hot", tag_ids=hot, country_id=self.china.id,
                            email_from="a@example.org", planned_revenue=500)
                 | self._lead("plain", partner_id=self.acme_buyer.id, priority="3")
                 | self._lead("VIP cold", tag_ids=[(6, 0, self.tag_cold.ids)],
                              country_id=self.usa.id, planned_revenue=50000)
                 | self._lead("archived VIP", active=False, email_from="%x@example.org"))
        domains = {
            1: [("name", "ilike", "VIP")],
            2: [("country_id.code", "=", "CN")],  # a path: a sub-select
            3: [("tag_ids", "in", self.tag_hot.ids)],  # many2many
            4: ["|", ("planned_revenue", ">", 10000), ("priority", "=", "3")],
            5: ["!", ("email_from", "=ilike", "a@%")],  # NULLs, negation
            6: [("partner_id.commercial_partner_id.industry_id", "=", self.industry.id)],
            7: [("active", "=", False)],
            8: [("email_from", "like", "\\%x")],  # a literal percent sign
        }
        gather = self.env["sales.allocation.gather"]
        together = gather._domain_matches(domains, leads.ids)
        search = self.Lead.with_context(active_test=False)
        for rule_id, domain in domains.items():
            expected = set(search.search([("id", "in", leads.ids)] + domain).ids)
            self.assertEqual(together[rule_id], expected, "domain %s" % (domain,))
            self.assertEqual(gather._domain_match(domain, leads.ids), expected)
        # Not vacuous: each domain keeps some leads of the batch and drops others.
        self.assertEqual({rule_id: len(ids) for rule_id, ids in together.items()},
                         {1: 3, 2: 1, 3: 1, 4: 2, 5: 1, 6: 1, 7: 1, 8: 1})

    # ------------------------------------------------------------------ team

    def test_team_from_rule_then_queue_then_user(self):
        tags = {name: self.env["crm.lead.tag"].create({"name": "SA team %s" % name})
                for name in ("rule", "queue", "user", "bare")}
        bare_queue = self._queue("No team", "sequential", self.rep_d)
        bare_queue.team_id = False
        self._rule("Rule names a team", queue=self.seq_queue, team_id=self.other_team.id,
                   tag_ids=[(6, 0, tags["rule"].ids)])
        self._rule("Queue names a team", queue=self.seq_queue,
                   tag_ids=[(6, 0, tags["queue"].ids)])
        self._rule("User rule", user=self.rep_d, tag_ids=[(6, 0, tags["user"].ids)])
        self._rule("Queue without team", queue=bare_queue,
                   tag_ids=[(6, 0, tags["bare"].ids)])
        expected = {"rule": self.other_team, "queue": self.team,
                    "user": self.user_team, "bare": self.user_team}
        for name, team in expected.items():
            lead = self._lead("team from %s" % name, tag_ids=[(6, 0, tags[name].ids)],
                              team_id=self.env.ref("sales_team.team_sales_department").id)
            self.assertEqual(lead.team_id, team, "team of the lead from %s" % name)
        log = self._last_log(lead)
        self.assertEqual(log.team_id, self.user_team)

    # ------------------------------------------------------------------ continuity

    def _continuity_setup(self, owner=None):
        owner = owner or self.rep_c
        existing = self.Lead.create({"name": "ACME's first", "user_id": owner.id,
                                     "partner_id": self.acme.id})
        rule = self._rule("Keep the customer's owner", queue=self.seq_queue,
                          owner_continuity=True)
        return existing, rule

    def test_owner_continuity_keeps_the_customer_with_his_owner(self):
        self._continuity_setup()
        # A contact of the company counts as the company.
        lead = self._lead("ACME again", partner_id=self.acme_buyer.id)
        self.assertEqual(self._db_owner(lead), self.rep_c.id)
        self.assertIn("Kept with Rep C", lead.allocation_reason)
        # Someone else's leads still rotate from the start.
        self.assertEqual(self._db_owner(self._lead("Private", partner_id=self.private.id)),
                         self.rep_a.id)

    def test_owner_continuity_is_an_option_of_the_rule(self):
        _existing, rule = self._continuity_setup()
        # Without matching either: the company's name would find the existing lead.
        rule.write({"owner_continuity": False, "match_policy": "ignore"})
        lead = self._lead("ACME again", partner_id=self.acme_buyer.id)
        self.assertEqual(self._db_owner(lead), self.rep_a.id)

    def test_owner_continuity_skips_an_unavailable_owner(self):
        self._continuity_setup()
        self._member(self.seq_queue, self.rep_c).available = False
        lead = self._lead("ACME while C is away", partner_id=self.acme_buyer.id)
        self.assertEqual(self._db_owner(lead), self.rep_a.id)
        self.assertNotIn("Kept with", lead.allocation_reason)

    def test_owner_continuity_skips_an_archived_owner(self):
        self._continuity_setup()
        self.rep_c.active = False
        lead = self._lead("ACME after C left", partner_id=self.acme_buyer.id)
        self.assertEqual(self._db_owner(lead), self.rep_a.id)

    def test_owner_continuity_needs_an_open_lead(self):
        existing, _rule = self._continuity_setup()
        existing.action_set_lost()
        lead = self._lead("ACME after a lost deal", partner_id=self.acme.id)
        self.assertEqual(self._db_owner(lead), self.rep_a.id)

    def test_owner_continuity_within_one_batch(self):
        self._rule("Keep the customer's owner", queue=self.seq_queue, owner_continuity=True)
        Lead = self.Lead.with_context(sales_allocation_skip=True)
        leads = Lead.browse()
        for name, partner in (("ACME 1", self.acme), ("Private", self.private),
                              ("ACME 2", self.acme_buyer)):
            leads |= Lead.create({"name": name, "user_id": False, "partner_id": partner.id})
        self.assertTrue(leads.action_allocate())
        a, b, _c = self.reps.ids
        self.assertEqual(self._owners(leads), [a, b, a])
