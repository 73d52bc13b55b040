# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Issue 15: the configuration's audit trail, a rule's last 30 days, why not me."""
from .common import AllocationCase

AUDITED = ("sales.allocation.rule", "sales.allocation.queue", "sales.allocation.pool",
           "sales.allocation.matrix", "sales.allocation.matrix.cell",
           "sales.allocation.region")


class TestAudit(AllocationCase):

    def _messages(self, record):
        return self.env["mail.message"].search(
            [("model", "=", record._name), ("res_id", "=", record.id)], order="id desc")

    def _tracked(self, record, field):
        """(old, new) of the latest tracking of ``field`` on ``record``, as shown."""
        values = self._messages(record).mapped("tracking_value_ids").filtered(
            lambda value: value.field == field)
        self.assertTrue(values, "no tracking of %s on %s" % (field, record._name))
        value = values.sorted("id")[-1]
        return value.get_old_display_value()[0], value.get_new_display_value()[0]

    def _notes(self, record):
        return " ".join(self._messages(record).mapped("body"))

    def test_every_configuration_model_is_a_mail_thread(self):
        for model in AUDITED:
            self.assertIn("message_ids", self.env[model]._fields, model)

    def test_rule_changes_are_tracked_with_author_old_and_new_value(self):
        rule = self._rule("Audited rule", queue=self.seq_queue)
        rule.write({"sequence": 42, "target_type": "user", "user_id": self.rep_a.id,
                    "queue_id": False})
        self.assertEqual(self._tracked(rule, "sequence"), (10, 42))
        self.assertEqual(self._tracked(rule, "target_type"),
                         ("Round-robin queue", "Salesperson"))
        self.assertEqual(self._tracked(rule, "user_id"), ("", "Rep A"))
        message = self._messages(rule).filtered("tracking_value_ids")[0]
        self.assertEqual(message.author_id, self.env.user.partner_id)
        # The rep named is not made a follower of the rule, nor mailed about it.
        self.assertNotIn(self.rep_a.partner_id, rule.message_partner_ids)
        self.assertFalse(self.env["mail.mail"].search(
            [("model", "=", rule._name), ("res_id", "=", rule.id)]))
        # Many2many fields (not tracked by Odoo 11) are noted old -> new.
        rule.country_ids = self.china
        self.assertIn("Countries: (none) → China", self._notes(rule))

    def test_queue_member_lines_are_noted_on_the_queue(self):
        queue = self._queue("Audited queue", "sequential", self.rep_a | self.rep_b)
        member = self._member(queue, self.rep_a)
        queue.write({"member_ids": [(1, member.id, {"weight": 3, "max_open_leads": 5})]})
        member.available = False
        member.max_open_leads = 0
        notes = self._notes(queue)
        self.assertIn("Rep A: Weight 1 → 3", notes)
        self.assertIn("Rep A: Max Open Leads no cap → 5", notes)
        self.assertIn("Rep A: Max Open Leads 5 → no cap", notes)
        self.assertIn("Rep A: Available yes → no", notes)
        queue.write({"member_ids": [(0, 0, {"user_id": self.rep_c.id})]})
        self.assertIn("Member added: Rep C", self._notes(queue))
        self._member(queue, self.rep_b).unlink()
        self.assertIn("Member removed: Rep B", self._notes(queue))
        queue.strategy = "weighted"
        self.assertEqual(self._tracked(queue, "strategy"), ("Sequential", "Weighted"))

    def test_fields_of_the_other_configuration_files_are_tracked_too(self):
        rule = self._rule("Audited rule", queue=self.seq_queue)
        if "match_policy" in rule._fields:
            selection = dict(rule._fields["match_policy"]._description_selection(
                self.env))
            old = rule.match_policy
            new = [key for key in selection if key != old][0]
            rule.match_policy = new
            self.assertEqual(self._tracked(rule, "match_policy"),
                             (selection.get(old, "") if old else "", selection[new]))
        member = self._member(self.seq_queue, self.rep_a)
        if "max_new_per_day" in member._fields:
            member.max_new_per_day = 4
            self.assertIn("Rep A: New Leads per Day no cap → 4",
                          self._notes(self.seq_queue))

    def test_pools_matrices_cells_regions_are_tracked(self):
        pool = self.env["sales.allocation.pool"].create({"name": "Audited pool"})
        pool.idle_days = 9
        self.assertEqual(self._tracked(pool, "idle_days"), (7, 9))
        region = self.env["sales.allocation.region"].create({
            "name": "Audited region", "country_ids": [(6, 0, self.env.ref("base.ad").ids)]})
        region.name = "Audited region 2"
        self.assertEqual(self._tracked(region, "name"),
                         ("Audited region", "Audited region 2"))
        category = self.env["product.category"].create({"name": "Audited line"})
        matrix = self.env["sales.allocation.matrix"].create({
            "name": "Audited matrix", "product_category_ids": [(6, 0, category.ids)]})
        matrix.name = "Audited matrix 2"
        self.assertEqual(self._tracked(matrix, "name"),
                         ("Audited matrix", "Audited matrix 2"))
        cell = self.env["sales.allocation.matrix.cell"].create({
            "matrix_id": matrix.id, "region_id": region.id,
            "product_category_id": category.id, "user_id": self.rep_a.id})
        cell.user_id = self.rep_b
        self.assertEqual(self._tracked(cell, "user_id"), ("Rep A", "Rep B"))

    def test_allocation_writes_nothing_to_the_audited_models(self):
        self._rule("To the queue", queue=self.weighted_queue)
        Message = self.env["mail.message"]
        before = Message.search_count([("model", "in", AUDITED)])
        stamps = "SELECT id, write_date FROM %s ORDER BY id"
        written = {}
        for table in ("sales_allocation_queue", "sales_allocation_queue_member",
                      "sales_allocation_rule"):
            self.env.cr.execute(stamps % table)
            written[table] = self.env.cr.fetchall()
        leads = self._leads(12)
        self.allocator.allocate(leads.ids)
        self.assertEqual(Message.search_count([("model", "in", AUDITED)]), before)
        for table, rows in written.items():
            self.env.cr.execute(stamps % table)
            self.assertEqual(self.env.cr.fetchall(), rows, table)
        self.assertEqual(set(leads.mapped("user_id")), set(self.reps))

    def test_rule_shows_its_last_30_days(self):
        self._member(self.seq_queue, self.rep_a).max_open_leads = 1
        self._lead("A already holds one", user_id=self.rep_a.id)
        away = self._queue("Everyone away", "sequential", self.rep_c | self.rep_d,
                           available=False)
        first = self._rule("Everyone away first", queue=away, sequence=1)
        rule = self._rule("Sequential with a cap", queue=self.seq_queue, sequence=2)
        leads = self._leads(4)
        self.assertEqual(set(leads.mapped("allocation_rule_id")), {rule})
        leads[:1].convert_opportunity(False)
        rule.invalidate_cache()
        first.invalidate_cache()
        self.assertEqual((rule.stat_placed, rule.stat_converted), (4, 1))
        self.assertEqual(rule.stat_skip_reasons, "cap of open leads reached (4)")
        self.assertEqual((first.stat_placed, first.stat_skipped), (0, 4))
        self.assertFalse(first.stat_skip_reasons)
        self.assertEqual(rule.stat_skipped, 0)


class TestWhyNotMe(AllocationCase):

    def test_reason_names_a_few_passed_over_and_the_log_lists_them_all(self):
        users = self.rep_a | self.rep_b | self.rep_c | self.rep_d
        extra = self._user("sa_rep_e", "Rep E", [self.env.ref("base.group_user")])
        queue = self._queue("Mostly away", "sequential", users | extra)
        for user in users:
            self._member(queue, user).available = False
        self._rule("Mostly away", queue=queue)
        lead = self._lead("why not me")
        self.assertEqual(lead.user_id, extra)
        log = self.Log.search([("lead_id", "=", lead.id)], limit=1)
        for name in ("Rep A", "Rep B", "Rep C"):
            self.assertIn("Skipped %s: unavailable." % name, log.reason)
        self.assertNotIn("Rep D", log.reason)
        self.assertIn("1 more passed over: see the allocation log.", log.reason)
        self.assertEqual(lead.allocation_explanation, log.reason)
        self.assertEqual(log.passed_over.splitlines(), [
            'Rep %s (queue "Mostly away"): unavailable' % letter for letter in "ABCD"])
        self.assertEqual(log.skip_codes, "unavailable unavailable unavailable unavailable")

    def test_a_rule_passed_over_is_coded_on_the_log_row(self):
        away = self._queue("All away", "sequential", self.rep_a | self.rep_b,
                           available=False)
        first = self._rule("All away", queue=away, sequence=1)
        self._rule("To D", user=self.rep_d, sequence=2)
        lead = self._lead("falls through")
        log = self.Log.search([("lead_id", "=", lead.id)], limit=1)
        self.assertEqual(lead.user_id, self.rep_d)
        self.assertEqual(log.skip_codes, "passed:%d" % first.id)
        self.assertEqual(len(log.passed_over.splitlines()), 2)

    def test_reasons_are_formatted_once_per_distinct_tuple(self):
        Reasons = type(self.env["sales.allocation.reasons"])
        calls = []
        original = Reasons._detail

        def spy(this, *args):
            calls.append(1)
            return original(this, *args)

        self._member(self.seq_queue, self.rep_c).available = False
        self._rule("Seq", queue=self.seq_queue)
        Lead = self.Lead.with_context(sales_allocation_skip=True)
        leads = self.Lead.browse()
        for index in range(30):
            leads |= Lead.create({"name": "bulk %d" % index})
        Reasons._detail = spy
        try:
            self.allocator.allocate(leads.ids)
        finally:
            Reasons._detail = original
        # Two owners (a, b) share two reasons tuples: not one format per lead.
        self.assertLessEqual(len(calls), 2)
        self.assertEqual(len(set(leads.mapped("user_id"))), 2)
