# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Each strategy's exact distribution, through crm.lead.create and action_allocate."""
from collections import Counter

from .common import AllocationCase


class TestRotation(AllocationCase):

    def _queue_state(self, queue):
        """(last user id, {user id: current_weight}) as stored in PostgreSQL (the
        rotation row of the queue; a member without weight there has 0)."""
        cr = self.env.cr
        cr.execute("SELECT last_user_id, weights FROM sales_allocation_rotation "
                   "WHERE queue_id = %s", [queue.id])
        last_user_id, weights = cr.fetchone() or (None, {})
        cr.execute("SELECT id, user_id FROM sales_allocation_queue_member "
                   "WHERE queue_id = %s", [queue.id])
        return last_user_id, {user_id: (weights or {}).get(str(member_id), 0)
                              for member_id, user_id in cr.fetchall()}

    def _forget_everything(self):
        """What a restart forgets: the ORM cache and the registry's ormcaches."""
        self.env["sales.allocation.queue"].invalidate_cache()  # the whole ORM cache
        self.registry.clear_caches()

    # ------------------------------------------------------------------ sequential

    def test_sequential_nine_leads_three_each_in_turn(self):
        self._rule("All to the sequential queue", queue=self.seq_queue)
        leads = self._leads(9)
        a, b, c = self.reps.ids
        self.assertEqual(self._owners(leads), [a, b, c] * 3)
        self.assertEqual(set(leads.mapped("allocation_state")), {"allocated"})
        # Every lead says which queue chose whom.
        log = self._last_log(leads[4])
        self.assertEqual(log.event, "assigned")
        self.assertEqual(log.queue_id, self.seq_queue)
        self.assertIn('Queue "SA sequential"', log.reason)
        self.assertIn("chose Rep B", log.reason)

    def test_sequential_skips_unavailable_member_and_resumes(self):
        self._rule("All to the sequential queue", queue=self.seq_queue)
        a, b, c = self.reps.ids
        first = self._leads(2)
        self.assertEqual(self._owners(first), [a, b])
        self._member(self.seq_queue, self.rep_c).available = False
        away = self._leads(2, name="C away")
        self.assertEqual(self._owners(away), [a, b])
        self.assertIn("Skipped Rep C: unavailable.", self._last_log(away[0]).reason)
        self._member(self.seq_queue, self.rep_c).available = True
        back = self._leads(3, name="C back")
        self.assertEqual(self._owners(back), [c, a, b])

    # ------------------------------------------------------------------ weighted

    def test_weighted_one_two_three_over_sixty_leads(self):
        self._rule("All to the weighted queue", queue=self.weighted_queue)
        leads = self._leads(60)
        owners = self._owners(leads)
        a, b, c = self.reps.ids
        self.assertEqual(Counter(owners), {a: 10, b: 20, c: 30})
        for index in range(len(owners) - 2):
            self.assertFalse(
                owners[index] == owners[index + 1] == owners[index + 2],
                "%s got leads %d, %d and %d in a row" % (owners[index], index,
                                                         index + 1, index + 2))
        # Smooth: every window of six leads is already 1:2:3.
        for start in range(0, 60, 6):
            self.assertEqual(Counter(owners[start:start + 6]), {a: 1, b: 2, c: 3})

    def test_weighted_one_call_equals_sixty_calls(self):
        """Sixty creates and one action_allocate over sixty leads hand out alike."""
        self._rule("All to the weighted queue", queue=self.weighted_queue)
        one_by_one = self._owners(self._leads(6))
        self.weighted_queue.action_reset_rotation()
        leads = self.Lead.with_context(sales_allocation_skip=True).browse()
        for index in range(6):
            leads |= self.Lead.with_context(sales_allocation_skip=True).create(
                {"name": "later %d" % index, "user_id": False})
        self.assertTrue(leads.action_allocate())
        self.assertEqual(self._owners(leads), one_by_one)

    # ------------------------------------------------------------------ least loaded

    def _load_reps(self):
        """Rep A: 2 open leads, Rep B: 1 open (+ 2 won, 2 lost), Rep C: 2 open.

        The leads come from every path: an explicit salesperson, a manual write, a user
        rule and another queue; some sit in another sales channel.
        """
        manual = self.Lead.create({"name": "A by hand", "user_id": self.rep_a.id,
                                   "team_id": self.other_team.id})
        self.assertEqual(manual.user_id, self.rep_a)
        written = self.Lead.create({"name": "A by write", "user_id": self.rep_b.id})
        written.user_id = self.rep_a
        self.Lead.create({"name": "B open", "user_id": self.rep_b.id})
        for index in range(2):
            won = self.Lead.create({"name": "B won %d" % index, "user_id": self.rep_b.id,
                                    "type": "opportunity"})
            won.action_set_won()
            lost = self.Lead.create({"name": "B lost %d" % index,
                                     "user_id": self.rep_b.id})
            lost.action_set_lost()
        tag = self.env["crm.lead.tag"].create({"name": "preload"})
        preload_rule = self._rule("Preload to C", user=self.rep_c,
                                  tag_ids=[(6, 0, tag.ids)], team_id=self.other_team.id)
        other_queue = self._queue("Only C", "sequential", self.rep_c, team=self.other_team)
        queue_rule = self._rule("Preload through another queue", queue=other_queue,
                                sequence=20, tag_ids=[(6, 0, tag.ids)])
        self._lead("C by user rule", tag_ids=[(6, 0, tag.ids)])
        preload_rule.active = False
        self._lead("C by other queue", tag_ids=[(6, 0, tag.ids)])
        queue_rule.active = False
        loads = self.env["sales.allocation.gather"]._open_lead_counts(self.reps.ids)
        self.assertEqual(loads, {self.rep_a.id: 2, self.rep_b.id: 1, self.rep_c.id: 2})

    def test_least_loaded_counts_open_leads_in_any_team(self):
        self._load_reps()
        self._rule("All to the least-loaded queue", queue=self.least_queue)
        lead = self._lead("new")
        # B holds the fewest open leads: won and lost ones do not count.
        self.assertEqual(self._db_owner(lead), self.rep_b.id)
        # Then everybody holds 2: the tie goes round from B, so C (created after A)
        # comes before A; then A alone is lowest; then the ties go round again.
        a, b, c = self.reps.ids
        self.assertEqual(self._owners(self._leads(5, name="next")), [c, a, b, c, a])

    def test_least_loaded_tie_follows_the_queue_order_not_ids(self):
        """Equal loads on a fresh queue: the first member in the admin's order wins,
        here Rep C, the rep created last (highest id)."""
        queue = self._queue("C first", "least_loaded",
                            self.rep_c | self.rep_a | self.rep_b)
        self.assertEqual(queue.member_ids.mapped("user_id").ids,
                         [self.rep_c.id, self.rep_a.id, self.rep_b.id])
        self._rule("All to C-first", queue=queue)
        a, b, c = self.reps.ids
        self.assertEqual(self._owners(self._leads(6)), [c, a, b, c, a, b])

    def test_least_loaded_ignores_a_closed_lead_freeing_a_seat(self):
        self._rule("All to the least-loaded queue", queue=self.least_queue)
        first = self._leads(3)
        a, b, c = self.reps.ids
        self.assertEqual(self._owners(first), [a, b, c])
        first[1].action_set_lost()  # B is down to 0 open leads
        self.assertEqual(self._db_owner(self._lead("after loss")), b)

    # ------------------------------------------------------------------ persistence

    def test_sequential_position_is_stored_and_continues(self):
        self._rule("All to the sequential queue", queue=self.seq_queue)
        a, b, c = self.reps.ids
        self.assertEqual(self._owners(self._leads(2)), [a, b])
        self.assertEqual(self._queue_state(self.seq_queue)[0], b)
        self._forget_everything()
        self.assertEqual(self.seq_queue.last_user_id, self.rep_b)
        # A separate call (the button) continues where the rotation stands.
        waiting = self.Lead.with_context(sales_allocation_skip=True).create(
            {"name": "waiting", "user_id": False})
        self.assertTrue(waiting.action_allocate())
        self.assertEqual(self._db_owner(waiting), c)
        self.assertEqual(self._queue_state(self.seq_queue)[0], c)
        self._forget_everything()
        self.assertEqual(self._db_owner(self._lead("then")), a)

    def test_weighted_state_is_stored_and_continues(self):
        self._rule("All to the weighted queue", queue=self.weighted_queue)
        a, b, c = self.reps.ids
        self.assertEqual(self._db_owner(self._lead("first")), c)
        # Smooth weighted round-robin after one turn: +1, +2, +3, and C gave back 6.
        self.assertEqual(self._queue_state(self.weighted_queue), (c, {a: 1, b: 2, c: -3}))
        self._forget_everything()
        self.assertEqual(
            {member.user_id.id: member.current_weight
             for member in self.weighted_queue.member_ids}, {a: 1, b: 2, c: -3})
        self.assertEqual(self._owners(self._leads(5)), [b, c, a, b, c])
        self.assertEqual(self._queue_state(self.weighted_queue), (c, {a: 0, b: 0, c: 0}))

    def test_reset_rotation_starts_again(self):
        self._rule("All to the sequential queue", queue=self.seq_queue)
        a, b, _c = self.reps.ids
        self._leads(2)
        self.assertTrue(self.seq_queue.action_reset_rotation())
        self.assertEqual(self._queue_state(self.seq_queue)[0], None)
        self.assertEqual(self._db_owner(self._lead("after reset")), a)

    def test_load_for_turns_reads_what_take_compares(self):
        """``load(take=True)`` reads the configuration's fingerprints with the queues:
        the same as ``take`` reads on its own (or every committed queue would look
        changed and be locked in the caller's transaction); and the transaction's id
        and snapshot."""
        turns = self.env["sales.allocation.turns"]
        ids = {self.seq_queue.id, self.weighted_queue.id, self.least_queue.id}
        fingerprints, xid, snapshot = turns.load(ids, take=True).transaction
        self.assertEqual(fingerprints, turns._fingerprints(self.env.cr, ids))
        self.assertEqual(set(fingerprints), ids)
        self.env.cr.execute("SELECT txid_current(), txid_current_snapshot()::text")
        self.assertEqual((xid, snapshot), self.env.cr.fetchone())
        # A member changed in this transaction changes its queue's fingerprint only.
        self.seq_queue.member_ids[:1].write({"weight": 5})
        again = turns.load(ids, take=True).transaction[0]
        self.assertEqual([queue_id for queue_id in sorted(ids)
                          if again[queue_id] != fingerprints[queue_id]],
                         [self.seq_queue.id])
