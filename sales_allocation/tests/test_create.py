# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Every way a lead comes in or gets an owner: create, mail gateway, explicit
salesperson, manual change, the button on many leads, and the two crons."""
from odoo.exceptions import AccessError

from .common import AllocationCase

EMAIL = """Return-Path: <buyer@sa-customer.example.org>
To: sales@example.com
From: "SA Buyer" <buyer@sa-customer.example.org>
Subject: SA: please send a quote
Message-ID: <sa-allocation-test-%(n)s@sa-customer.example.org>
Date: Mon, 2 Mar 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 7bit

We would like 40 units.
"""


class TestCreate(AllocationCase):

    @classmethod
    def setUpClass(cls):
        super(TestCreate, cls).setUpClass()
        # Tests that need the rotation add this rule; others add their own.
        cls.rule_vals = {"name": "All to the sequential queue", "target_type": "queue",
                         "queue_id": cls.seq_queue.id, "sequence": 10}

    def _rotation_rule(self):
        return self.Rule.create(dict(self.rule_vals))

    def _run_cron(self, xml_id):
        cron = self.env.ref("sales_allocation.%s" % xml_id)
        self.assertTrue(cron.active)
        self.assertTrue(cron.method_direct_trigger())

    def _bulk_leads(self, count):
        """``count`` plain unowned leads, inserted in one statement (fixture speed)."""
        self.env.cr.execute("""
            INSERT INTO crm_lead (name, type, active, company_id, create_uid, create_date,
                                  write_uid, write_date)
            SELECT 'SA bulk ' || n, 'lead', TRUE, %s, %s, now() AT TIME ZONE 'UTC',
                   %s, now() AT TIME ZONE 'UTC'
              FROM generate_series(1, %s) AS n
            RETURNING id
        """, [self.env.user.company_id.id, self.env.uid, self.env.uid, count])
        return self.Lead.browse(sorted(row[0] for row in self.env.cr.fetchall()))

    # ------------------------------------------------------------------ create

    def test_create_without_salesperson_is_allocated_in_the_same_transaction(self):
        rule = self._rotation_rule()
        lead = self.Lead.sudo(self.api_user).create({"name": "From an integration"})
        # Read straight from PostgreSQL, inside the creating transaction.
        self.env.cr.execute("""
            SELECT user_id, allocation_rule_id, allocation_state, allocation_date
              FROM crm_lead WHERE id = %s""", [lead.id])
        user_id, rule_id, state, date = self.env.cr.fetchone()
        self.assertEqual((user_id, rule_id, state), (self.rep_a.id, rule.id, "allocated"))
        self.assertTrue(date)
        log = self._last_log(lead)
        self.assertEqual(
            (log.event, log.user_id, log.previous_user_id, log.rule_id, log.queue_id,
             log.author_id),
            ("assigned", self.rep_a, self.env["res.users"], rule, self.seq_queue,
             self.api_user))
        lead = lead.sudo()
        self.assertEqual(lead.team_id, self.team)
        self.assertTrue(lead.date_open)
        self.assertIn(self.rep_a.partner_id, lead.message_partner_ids)
        self.assertIn('Rule "All to the sequential queue" matched.', lead.allocation_reason)

    def test_allocation_keeps_what_the_orm_cache_holds_of_other_records(self):
        """The SQL writes make the ORM forget what they wrote, nothing else: the next
        create of the same transaction must not read its user, partner or stage
        again (``invalidate_cache()`` without fields empties every model's cache)."""
        self._rotation_rule()
        partner = self.env.user.partner_id
        stage = self.env["crm.stage"].search([], limit=1)
        partner.name, stage.name  # pylint: disable=pointless-statement
        cached = [(partner, partner._fields["name"]), (stage, stage._fields["name"])]
        self.assertTrue(all(self.env.cache.contains(*pair) for pair in cached))
        lead = self.Lead.create({"name": "Cache keeper"})
        self.assertEqual(lead.user_id, self.rep_a)
        self.assertIn(self.rep_a.partner_id, lead.message_partner_ids)
        self.assertEqual([pair[1].name for pair in cached
                          if not self.env.cache.contains(*pair)], [])

    def test_mail_gateway_lead_is_allocated_not_given_to_the_gateway_user(self):
        self._rotation_rule()
        lead_id = self.env["mail.thread"].sudo(self.api_user).message_process(
            "crm.lead", EMAIL % {"n": 1})
        lead = self.Lead.browse(lead_id)
        self.assertEqual(lead.name, "SA: please send a quote")
        self.assertEqual(self._db_owner(lead), self.rep_a.id)
        self.assertEqual(lead.allocation_state, "allocated")

    def test_message_new_lead_is_allocated(self):
        self._rotation_rule()
        lead = self.Lead.sudo(self.api_user).message_new(
            {"subject": "SA: message_new", "from": "x@sa-customer.example.org",
             "body": "Hello"})
        self.assertEqual(self._db_owner(lead), self.rep_a.id)

    def test_lead_form_does_not_prefill_the_salesperson(self):
        """The web client creates with every default of the form: crm's default
        salesperson (the current user) would count as a choice and the lead would never
        be allocated."""
        self._rotation_rule()
        Lead = self.Lead.sudo(self.api_user).with_context(default_type="lead")
        vals = Lead.default_get(list(Lead._fields))
        self.assertFalse(vals.get("user_id"))
        vals["name"] = "Typed in the Leads form"
        lead = Lead.create(vals)
        self.assertEqual(self._db_owner(lead), self.rep_a.id)
        self.assertEqual(lead.sudo().allocation_state, "allocated")
        # The pipeline's action names the current user: that one is a choice.
        Pipeline = Lead.with_context(default_user_id=self.api_user.id)
        self.assertEqual(Pipeline.default_get(["user_id"])["user_id"], self.api_user.id)

    def test_explicit_salesperson_in_vals_is_kept_and_logged_manual(self):
        self._rotation_rule()
        lead = self.Lead.sudo(self.api_user).create(
            {"name": "For D", "user_id": self.rep_d.id})
        self.assertEqual(self._db_owner(lead), self.rep_d.id)
        lead = lead.sudo()
        self.assertEqual(lead.allocation_state, "manual")
        self.assertFalse(lead.allocation_rule_id)
        self.assertEqual(lead.allocation_reason, "Salesperson set by hand by SA API user.")
        log = self._last_log(lead)
        self.assertEqual((log.event, log.user_id, log.previous_user_id, log.author_id),
                         ("manual", self.rep_d, self.env["res.users"], self.api_user))
        self.assertIn("Salesperson set by hand by SA API user", log.reason)
        # The rotation did not move.
        self.assertFalse(self.seq_queue.last_user_id)

    def test_explicit_salesperson_in_context_is_kept_and_logged_manual(self):
        self._rotation_rule()
        lead = self.Lead.with_context(default_user_id=self.rep_d.id).create(
            {"name": "From the pipeline of D"})
        self.assertEqual(self._db_owner(lead), self.rep_d.id)
        self.assertEqual(lead.allocation_state, "manual")
        self.assertEqual(self._last_log(lead).event, "manual")

    def test_manual_change_of_salesperson_is_logged_with_previous_owner(self):
        self._rotation_rule()
        lead = self._lead("Changes hands")
        self.assertEqual(self._db_owner(lead), self.rep_a.id)
        lead.sudo(self.api_user).write({"user_id": self.rep_d.id})
        self.assertEqual(lead.allocation_state, "manual")
        # The form no longer claims that the rule chose this owner.
        self.assertFalse(lead.allocation_rule_id)
        self.assertEqual(lead.allocation_reason, "Salesperson set by hand by SA API user.")
        log = self._last_log(lead)
        self.assertEqual((log.event, log.user_id, log.previous_user_id, log.author_id),
                         ("manual", self.rep_d, self.rep_a, self.api_user))
        # Writing the same owner again changes nothing and logs nothing.
        count = len(self._logs(lead))
        lead.write({"user_id": self.rep_d.id, "description": "touched"})
        self.assertEqual(len(self._logs(lead)), count)
        # Removing the owner by hand is logged too.
        lead.write({"user_id": False})
        log = self._last_log(lead)
        self.assertEqual((log.event, log.user_id, log.previous_user_id),
                         ("manual", self.env["res.users"], self.rep_d))

    def test_creation_message_stays_the_newest_message(self):
        """crm's new-lead notification test reads ``message_ids[0]``: allocation must
        not post after the creation message."""
        self._rotation_rule()
        subtype = self.env.ref("crm.mt_salesteam_lead")
        self.api_user.notification_type = "inbox"
        self.team.message_subscribe(partner_ids=[self.api_user.partner_id.id],
                                    subtype_ids=[subtype.id])
        lead = self.Lead.with_context(mail_create_nosubscribe=True).sudo().create({
            "name": "Website question", "team_id": self.team.id,
            "contact_name": "Somebody", "email_from": "somebody@example.org"})
        self.assertEqual(self._db_owner(lead), self.rep_a.id)
        self.assertEqual(len(lead.message_ids), 1)
        message = lead.message_ids[0]
        self.assertEqual(message.subtype_id, self.env.ref("crm.mt_lead_create"))
        self.assertIn(self.api_user.partner_id, message.needaction_partner_ids)
        self.assertTrue(lead.sudo(self.api_user).message_needaction)

    # ------------------------------------------------------------------ the button

    def test_action_allocate_many_leads_in_batches(self):
        self._rotation_rule()
        self.env["ir.config_parameter"].sudo().set_param(
            "sales_allocation.batch_size", "500")
        leads = self._bulk_leads(3000)
        # Edit every other lead: its row moves on disk, so PostgreSQL no longer returns
        # the leads in id order; allocation must still follow the order it is given.
        self.env.cr.execute("UPDATE crm_lead SET description = 'edited' "
                            "WHERE id IN %s AND id %% 2 = 1", [tuple(leads.ids)])
        self.env.cr.execute("ANALYZE crm_lead")
        with self._counting_batches() as batch_sizes:
            self.assertIs(leads.action_allocate(), True)
        self.assertEqual(batch_sizes, [500] * 6)
        # All allocated, strictly in turn in the given (id) order across batches.
        a, b, c = self.reps.ids
        owners = self._owners(leads)
        wrong = [index for index, owner in enumerate(owners) if owner != (a, b, c)[index % 3]]
        self.assertEqual(len(wrong), 0, "%d leads out of turn, the first at position %s"
                         % (len(wrong), wrong[:1]))
        self.env.cr.execute("""
            SELECT count(*) FROM sales_allocation_log
             WHERE lead_id IN %s AND event = 'assigned'""", [tuple(leads.ids)])
        self.assertEqual(self.env.cr.fetchone()[0], 3000)
        self.assertEqual(set(leads.mapped("allocation_state")), {"allocated"})

    def test_action_allocate_needs_a_manager(self):
        self._rotation_rule()
        lead = self._lead("Somebody's")
        salesman = self._user("sa_plain_salesman", "Plain salesman",
                              [self.env.ref("base.group_user"),
                               self.env.ref("sales_team.group_sale_salesman")])
        lead.user_id = salesman
        with self.assertRaises(AccessError) as caught:
            lead.sudo(salesman).action_allocate()
        self.assertIn("Only users who see all leads",
                      caught.exception.name)

    def test_writing_the_same_salesperson_keeps_the_allocation(self):
        rule = self._rotation_rule()
        lead = self._lead("Allocated")
        lead.write({"user_id": self.rep_a.id, "description": "integration sync"})
        self.assertEqual((lead.allocation_state, lead.allocation_rule_id),
                         ("allocated", rule))
        self.assertEqual(self._logs(lead).mapped("event"), ["assigned"])

    def test_action_allocate_reassigns_and_logs_the_previous_owner(self):
        lead = self.Lead.create({"name": "Held by D", "user_id": self.rep_d.id})
        self._rotation_rule()
        self.assertTrue(lead.action_allocate())
        self.assertEqual(self._db_owner(lead), self.rep_a.id)
        log = self._last_log(lead)
        self.assertEqual((log.event, log.user_id, log.previous_user_id),
                         ("reassigned", self.rep_a, self.rep_d))

    # ------------------------------------------------------------------ crons

    def test_digest_does_not_announce_a_lead_its_owner_already_had(self):
        self._rule("All to D", user=self.rep_d)
        leads = self._leads(3, name="D's")
        self._run_cron("ir_cron_notify_owners")
        # Re-running the rules keeps D: nothing new to tell him.
        self.assertTrue(leads.action_allocate())
        self.assertEqual(self._owners(leads), [self.rep_d.id] * 3)
        Message = self.env["mail.message"]
        before = Message.search([], order="id desc", limit=1).id
        self._run_cron("ir_cron_notify_owners")
        self.assertFalse(Message.search([("id", ">", before),
                                         ("partner_ids", "in", self.rep_d.partner_id.ids)]))

    def test_backlog_cron_allocates_oldest_first_once_caps_free_up(self):
        queue = self._queue("Capped", "sequential", self.rep_a, max_open_leads=1)
        self._rule("To the capped queue", queue=queue)
        first = self._lead("Takes the only seat")
        self.assertEqual(self._db_owner(first), self.rep_a.id)
        older = self._lead("Waits, older")
        newer = self._lead("Waits, newer")
        for lead in older | newer:
            self.assertFalse(self._db_owner(lead))
            self.assertEqual(lead.allocation_state, "unallocated")
            self.assertIn("Skipped Rep A: cap of open leads reached.", lead.allocation_reason)
        # Touch the older lead so that its row is no longer first on disk.
        older.description = "Called back, still waiting"
        # Nothing frees up: the cron leaves both where they are.
        self._run_cron("ir_cron_allocate_backlog")
        self.assertFalse(self._db_owner(older) or self._db_owner(newer))
        first.action_set_won()
        self._run_cron("ir_cron_allocate_backlog")
        self.assertEqual(self._db_owner(older), self.rep_a.id)
        self.assertFalse(self._db_owner(newer))
        self.assertEqual(older.allocation_state, "allocated")
        self.assertEqual(self._last_log(older).event, "assigned")
        older.action_set_lost()
        self._run_cron("ir_cron_allocate_backlog")
        self.assertEqual(self._db_owner(newer), self.rep_a.id)

    def test_digest_cron_sends_one_message_per_rep(self):
        self._rotation_rule()
        leads = self._leads(30, name="Digest")
        Message = self.env["mail.message"]
        before = Message.search([], order="id desc", limit=1).id
        self._run_cron("ir_cron_notify_owners")
        for rep in self.reps:
            messages = Message.search([("id", ">", before),
                                       ("partner_ids", "in", rep.partner_id.ids)])
            self.assertEqual(len(messages), 1, "one digest for %s" % rep.name)
            self.assertIn("10 new leads were allocated to you.", messages.body)
        self.env.cr.execute("""
            SELECT bool_and(notified) FROM sales_allocation_log
             WHERE lead_id IN %s AND event = 'assigned'""", [tuple(leads.ids)])
        self.assertIs(self.env.cr.fetchone()[0], True)
        # A second run has nothing to say.
        after_first = Message.search([], order="id desc", limit=1).id
        self._run_cron("ir_cron_notify_owners")
        self.assertFalse(Message.search([("id", ">", after_first)]))
        # A new lead: only its owner hears of it, once.
        self._lead("One more")
        after_lead = Message.search([], order="id desc", limit=1).id
        self._run_cron("ir_cron_notify_owners")
        new = Message.search([("id", ">", after_lead)])
        self.assertEqual(len(new), 1)
        self.assertEqual(new.partner_ids, self.rep_a.partner_id)
        self.assertIn("A new lead was allocated to you.", new.body)
