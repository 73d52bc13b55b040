# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The batched backlog path (``crm.lead._cron_allocate_backlog``) is correct at any
batch size: cutting the work in batches changes nothing about who gets which lead, what
the log says, or where the rotations stand; caps hold across batches; nobody gets a
message per lead; the ORM sees what the set-based writes wrote.

``make bench`` measures the same path at 100,000 leads; these tests keep it right.
"""
from ..sql import BULK_ROWS
from .common import AllocationCase


class TestBatchScale(AllocationCase):

    @classmethod
    def setUpClass(cls):
        super(TestBatchScale, cls).setUpClass()
        cls.Param = cls.env["ir.config_parameter"].sudo()

    # ------------------------------------------------------------------ helpers

    def _unallocated_leads(self, states):
        """One ownerless, unallocated lead per entry of ``states`` (a state record or
        None), inserted with SQL as an import would leave them for the backlog run."""
        rows = [(state.country_id.id if state else None, state.id if state else None)
                for state in states]
        self.env.cr.execute("""
            INSERT INTO crm_lead (name, type, active, company_id, country_id, state_id,
                                  allocation_state, probability, create_uid, create_date,
                                  write_uid, write_date)
            SELECT 'SA backlog ' || v.n, 'lead', TRUE, %s, v.country_id, v.state_id,
                   'unallocated', 10, %s, now() AT TIME ZONE 'UTC', %s,
                   now() AT TIME ZONE 'UTC'
              FROM unnest(%s::int[], %s::int[], %s::int[]) AS v(n, country_id, state_id)
            RETURNING id
        """, [self.env.user.company_id.id, self.env.uid, self.env.uid,
              list(range(len(rows))), [row[0] for row in rows], [row[1] for row in rows]])
        return self.Lead.browse(sorted(row[0] for row in self.env.cr.fetchall()))

    def _run_backlog(self, batch_size):
        """The backlog cron's method at ``batch_size``; returns (summary, batch sizes)."""
        self.Param.set_param("sales_allocation.batch_size", str(batch_size))
        with self._counting_batches() as sizes:
            summary = self.Lead._cron_allocate_backlog()
        return summary, sizes

    def _state(self, leads):
        """Everything the run wrote, read from PostgreSQL, without ids or clocks."""
        cr = self.env.cr
        ids = tuple(leads.ids)
        cr.execute("""
            SELECT id, user_id, team_id, allocation_rule_id, allocation_state,
                   allocation_reason
              FROM crm_lead WHERE id IN %s ORDER BY id""", [ids])
        owners = cr.fetchall()
        cr.execute("""
            SELECT lead_id, event, user_id, previous_user_id, rule_id, queue_id, team_id,
                   reason, author_id
              FROM sales_allocation_log WHERE lead_id IN %s ORDER BY lead_id, id""",
                   [ids])
        logs = cr.fetchall()
        cr.execute("""
            SELECT f.res_id, f.partner_id, array_agg(r.mail_message_subtype_id
                                                     ORDER BY r.mail_message_subtype_id)
              FROM mail_followers f
              LEFT JOIN mail_followers_mail_message_subtype_rel r
                     ON r.mail_followers_id = f.id
             WHERE f.res_model = 'crm.lead' AND f.res_id IN %s
             GROUP BY f.id ORDER BY f.res_id, f.partner_id""", [ids])
        followers = cr.fetchall()
        cr.execute("""
            SELECT q.id, r.last_user_id,
                   array_agg(COALESCE((r.weights ->> m.id::text)::int, 0) ORDER BY m.id)
              FROM sales_allocation_queue q
              JOIN sales_allocation_queue_member m ON m.queue_id = q.id
              LEFT JOIN sales_allocation_rotation r ON r.queue_id = q.id
             GROUP BY q.id, r.last_user_id ORDER BY q.id""")
        rotation = cr.fetchall()
        return dict(owners=owners, logs=logs, followers=followers, rotation=rotation)

    def _territory_rules(self):
        """Zhejiang -> weighted 1:2:3, Shanghai -> least loaded, the rest -> in turn."""
        self._rule("SA Zhejiang", queue=self.weighted_queue, sequence=1,
                   state_ids=[(6, 0, self.zhejiang.ids)])
        self._rule("SA Shanghai", queue=self.least_queue, sequence=2,
                   state_ids=[(6, 0, self.shanghai.ids)])
        self._rule("SA everything else", queue=self.seq_queue, sequence=3)

    # ------------------------------------------------------------------ tests

    def test_a_bulk_batch_runs_without_jit_a_few_leads_keep_the_setting(self):
        """JIT compilation of a batch's statements costs more than they take: a batch
        of ``BULK_ROWS`` leads or more switches it off for its transaction; the
        create of a few leads leaves the server's setting alone."""
        def jit():
            self.env.cr.execute("SELECT current_setting('jit')")
            return self.env.cr.fetchone()[0]
        self.env.cr.execute("SET LOCAL jit = on")
        self._unallocated_leads([None] * 3)
        self.assertLess(self.Lead._cron_allocate_backlog()["leads"], BULK_ROWS)
        self.assertEqual(jit(), "on")
        self._unallocated_leads([None] * BULK_ROWS)
        self.assertGreaterEqual(self.Lead._cron_allocate_backlog()["leads"], BULK_ROWS)
        self.assertEqual(jit(), "off")

    def test_small_batches_decide_exactly_as_one_batch(self):
        self._territory_rules()
        states = [self.zhejiang, self.shanghai, self.beijing, None] * 72
        leads = self._unallocated_leads(states)

        self.env.cr.execute("SAVEPOINT sa_one_batch")
        summary, sizes = self._run_backlog(100000)
        self.assertEqual(sizes, [len(leads)])
        self.assertEqual(summary["leads"], len(leads))
        one_batch = self._state(leads)
        self.env.cr.execute("ROLLBACK TO SAVEPOINT sa_one_batch")
        self.env.clear()  # the ORM cache still holds what the rollback undid

        summary, sizes = self._run_backlog(7)
        self.assertEqual(sizes, [7] * (len(leads) // 7) + [len(leads) % 7])
        self.assertEqual(summary["leads"], len(leads))
        batched = self._state(leads)
        for key in ("owners", "logs", "followers", "rotation"):
            self.assertEqual(batched[key], one_batch[key],
                             "batches of 7 changed the %s" % key)

        # And what one batch decided is right: every lead placed and logged once.
        owners = {row[0]: row[1] for row in batched["owners"]}
        self.assertNotIn(None, owners.values())
        self.assertEqual([row[0] for row in batched["logs"]], sorted(leads.ids))
        self.assertEqual({row[1] for row in batched["logs"]}, {"assigned"})
        a, b, c = self.reps.ids
        by_state = {}
        for lead, state in zip(leads, states):
            by_state.setdefault(state, []).append(owners[lead.id])
        # Weighted 1:2:3 over every 6 leads, the plain queue strictly in turn.
        zhejiang = by_state[self.zhejiang]
        self.assertEqual([zhejiang.count(user) for user in (a, b, c)], [12, 24, 36])
        in_turn = [owners[lead.id] for lead, state in zip(leads, states)
                   if state in (self.beijing, None)]
        self.assertEqual(in_turn, [(a, b, c)[index % 3] for index in range(len(in_turn))])
        # Each owner follows his lead once, with the default subtypes.
        self.assertEqual(len(batched["followers"]), len(leads))
        self.assertEqual(len({tuple(row[2]) for row in batched["followers"]}), 1)

    def test_caps_hold_across_batches_and_the_oldest_leads_win(self):
        capped = self._queue("SA capped", "sequential", self.rep_a | self.rep_b,
                             max_open_leads=5)
        self._rule("SA to the capped queue", queue=capped)
        leads = self._unallocated_leads([None] * 20)
        summary, sizes = self._run_backlog(3)
        self.assertEqual(len(sizes), 7)
        self.assertEqual((summary["assigned"], summary["unallocated"]), (10, 10))
        owners = self._owners(leads)
        # Five each, the ten oldest leads; the cap is counted across batches.
        self.assertEqual(owners[:10], [self.rep_a.id, self.rep_b.id] * 5)
        self.assertEqual(owners[10:], [None] * 10)
        waiting = leads[10:]
        self.assertEqual(set(waiting.mapped("allocation_state")), {"unallocated"})
        for lead in waiting:
            self.assertIn("cap of open leads reached", lead.allocation_reason)
        self.env.cr.execute("""
            SELECT count(*), count(DISTINCT lead_id) FROM sales_allocation_log
             WHERE lead_id IN %s""", [tuple(leads.ids)])
        self.assertEqual(self.env.cr.fetchone(), (20, 20))

    def test_no_message_per_lead_one_digest_per_rep_and_the_orm_sees_the_owners(self):
        self._rule("SA in turn", queue=self.seq_queue)
        leads = self._unallocated_leads([None] * 60)
        # Read through the ORM first: the cache must not keep the old (empty) owners.
        self.assertFalse(leads.mapped("user_id"))
        Message = self.env["mail.message"]
        before = Message.search([], order="id desc", limit=1).id
        summary, sizes = self._run_backlog(7)
        self.assertEqual((summary["assigned"], len(sizes)), (60, 9))
        self.assertFalse(Message.search([("id", ">", before)]),
                         "the backlog run must not post a message per lead")
        self.assertEqual(leads.mapped("user_id"), self.reps)
        self.assertEqual(set(leads.mapped("allocation_state")), {"allocated"})
        for lead in leads[:3]:
            self.assertIn(lead.user_id.partner_id, lead.message_partner_ids)

        self.assertTrue(self.env.ref(
            "sales_allocation.ir_cron_notify_owners").method_direct_trigger())
        digests = Message.search([("id", ">", before)])
        for rep in self.reps:
            mine = digests.filtered(lambda message: rep.partner_id in message.partner_ids)
            self.assertEqual(len(mine), 1, "one digest for %s" % rep.name)
            self.assertIn("20 new leads were allocated to you.", mine.body)

    def test_each_batch_starts_from_the_open_lead_counts_as_they_are_now(self):
        """A run counts each rep's open leads once and carries the counts from batch to
        batch; before every batch they must equal a fresh count: leads taken from
        their owner, won leads (not open) and leads sent to the pool included."""
        pool = self.env["sales.allocation.pool"].create({"name": "SA batch pool"})
        self._rule("SA Beijing to the pool", target_type="pool", pool_id=pool.id,
                   sequence=1, state_ids=[(6, 0, self.beijing.ids)])
        self._rule("SA least loaded", queue=self.least_queue, sequence=2)
        capped = self._member(self.least_queue, self.rep_c)
        capped.max_open_leads = 4
        leads = self._unallocated_leads([None, self.beijing, None, None] * 6)
        a, b, c = self.reps.ids
        # Owned before the run: A has the first eight leads, B the next four, of
        # which two are won (and so not open); C has leads outside the run.
        self.env.cr.execute(
            "UPDATE crm_lead SET user_id = %s WHERE id IN %s", [a, tuple(leads[:8].ids)])
        self.env.cr.execute(
            "UPDATE crm_lead SET user_id = %s WHERE id IN %s", [b, tuple(leads[8:12].ids)])
        self.env.cr.execute(
            "UPDATE crm_lead SET probability = 100 WHERE id IN %s",
            [tuple(leads[8:10].ids)])
        self._unallocated_leads([None] * 3)
        self.env.cr.execute("""
            UPDATE crm_lead SET user_id = %s, allocation_state = 'allocated'
             WHERE name LIKE 'SA backlog %%' AND user_id IS NULL AND id NOT IN %s
        """, [c, tuple(leads.ids)])
        self.Lead.invalidate_cache()

        allocator_class = type(self.allocator)
        original = allocator_class._allocate_batch
        checked = []

        def checking_batch(allocator, lead_ids, trigger="create", loads=None):
            if loads:
                fresh = allocator.env["sales.allocation.gather"]._open_lead_counts(
                    list(loads))
                self.assertEqual(loads, {user: fresh.get(user, 0) for user in loads},
                                 "carried loads before batch %d" % (len(checked) + 1))
            checked.append(dict(loads or {}))
            return original(allocator, lead_ids, trigger=trigger, loads=loads)

        self.Param.set_param("sales_allocation.batch_size", "5")
        allocator_class._allocate_batch = checking_batch
        try:
            summary = self.allocator.allocate(leads.ids)
        finally:
            allocator_class._allocate_batch = original
        self.assertEqual(len(checked), 5)
        # The counts were carried, not re-read: every rep of the queue is known after
        # the first batch, and the later batches checked them against PostgreSQL.
        self.assertEqual(set(checked[1]), {a, b, c})
        self.assertEqual(summary["pool"], 6)
        self.assertEqual(summary["assigned"] + summary["reassigned"], 18)
        owners = self._owners(leads)
        self.assertEqual(owners.count(None), 6)
        # Rep C's cap holds with his leads outside the run counted.
        self.assertLessEqual(owners.count(c), 1)
