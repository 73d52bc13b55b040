# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Bad configurations are refused on save with a message that says what to fix;
configurations that go bad later (archived reps, emptied queues) do not break
allocation."""
from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tools import mute_logger

from .common import AllocationCase


class TestConfigErrors(AllocationCase):

    def assertRefused(self, fragments, function, *args, **kwargs):
        """``function`` raises a ValidationError whose message holds every fragment."""
        with self.assertRaises(ValidationError) as caught:
            with self.env.cr.savepoint():
                function(*args, **kwargs)
        message = caught.exception.name
        for fragment in fragments:
            self.assertIn(fragment, message)
        return message

    # ------------------------------------------------------------------ rules

    def test_unparsable_domain(self):
        self.assertRefused(
            ['The condition of rule "Broken" is not valid',
             "Edit it with the domain editor"],
            self._rule, "Broken", user=self.rep_a, domain="[('name', '=', ")

    def test_domain_that_is_not_a_list(self):
        self.assertRefused(
            ['rule "Not a list" is not valid', "a domain is a list of conditions"],
            self._rule, "Not a list", user=self.rep_a, domain="'name'")

    def test_domain_naming_an_unknown_field(self):
        self.assertRefused(
            ['The condition of rule "Unknown field" is not valid', "no_such_field",
             "each condition must name a field of the lead"],
            self._rule, "Unknown field", user=self.rep_a,
            domain="[('no_such_field', '=', 1)]")

    def test_domain_checked_on_write_too(self):
        rule = self._rule("Good at first", user=self.rep_a, domain="[('name', '=', 'x')]")
        self.assertRefused(['rule "Good at first" is not valid', "nope"],
                           rule.write, {"domain": "[('nope', '=', 1)]"})
        # The transaction is still usable and the rule unchanged.
        self.assertEqual(rule.domain, "[('name', '=', 'x')]")

    def test_queue_rule_without_queue(self):
        self.assertRefused(
            ['Rule "No queue" sends leads to a round-robin queue: choose the queue.'],
            self.Rule.create, {"name": "No queue", "target_type": "queue"})

    def test_user_rule_without_user(self):
        self.assertRefused(
            ['Rule "No user" sends leads to a salesperson: choose the salesperson.'],
            self.Rule.create, {"name": "No user", "target_type": "user"})
        rule = self._rule("Has a user", user=self.rep_a)
        self.assertRefused(["choose the salesperson"], rule.write, {"user_id": False})

    def test_revenue_range_reversed(self):
        self.assertRefused(
            ['Rule "Reversed"', "starts at 50000", "ends at 1000", "Swap the bounds"],
            self._rule, "Reversed", user=self.rep_a, revenue_min=50000, revenue_max=1000)
        # 0 as upper bound means no limit: accepted.
        self.assertTrue(self._rule("Open-ended", user=self.rep_a, revenue_min=50000))

    def test_provinces_outside_the_chosen_countries(self):
        self.assertRefused(
            ['Rule "Texas in China"', "some provinces are not in the selected countries",
             "Remove them or add their country"],
            self._rule, "Texas in China", user=self.rep_a,
            country_ids=[(6, 0, self.china.ids)],
            state_ids=[(6, 0, (self.zhejiang | self.texas).ids)])
        # Provinces alone, or inside their countries, are fine.
        self.assertTrue(self._rule("Zhejiang", user=self.rep_a,
                                   state_ids=[(6, 0, self.zhejiang.ids)]))

    # ------------------------------------------------------------------ queues

    def test_weight_below_one(self):
        for weight in (0, -2):
            self.assertRefused(
                ["The weight of Rep A", 'in queue "Bad weight"', "is %d" % weight,
                 "a weight must be 1 or more"],
                self._queue, "Bad weight", "weighted", self.rep_a, weights=[weight])
        member = self._member(self.weighted_queue, self.rep_b)
        self.assertRefused(["The weight of Rep B", "a weight must be 1 or more"],
                           member.write, {"weight": 0})

    def test_negative_cap(self):
        self.assertRefused(["The cap of Rep A", "use 0 for no cap"],
                           self._queue, "Bad cap", "sequential", self.rep_a,
                           max_open_leads=-1)

    def test_queue_without_members(self):
        self.assertRefused(
            ['The queue "Empty" has no members',
             "Add at least one salesperson on the Members tab, or archive the queue"],
            self.Queue.create, {"name": "Empty", "strategy": "sequential"})

    def test_removing_the_last_member(self):
        queue = self._queue("Two members", "sequential", self.rep_a | self.rep_b)
        first, last = queue.member_ids
        queue.write({"member_ids": [(2, first.id)]})
        self.assertEqual(queue.member_ids, last)
        self.assertRefused(['The queue "Two members" has no members'],
                           queue.write, {"member_ids": [(2, last.id)]})
        self.assertRefused(['The queue "Two members" has no members'], last.unlink)
        self.assertEqual(queue.member_ids, last)
        # Archived, an empty queue is allowed (it is out of service).
        queue.active = False
        last.unlink()
        self.assertFalse(queue.member_ids)

    @mute_logger("odoo.sql_db")
    def test_same_rep_twice_in_a_queue(self):
        with self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self._queue("Twice", "sequential", [self.rep_a, self.rep_a])

    # ------------------------------------------------------------------ going bad later

    def test_archived_rep_in_a_queue_is_skipped(self):
        self._rule("All to the sequential queue", queue=self.seq_queue)
        self.rep_b.active = False
        leads = self._leads(4)
        a, _b, c = self.reps.ids
        self.assertEqual(self._owners(leads), [a, c, a, c])
        self.assertIn("Skipped Rep B: archived.", leads[0].allocation_reason)
        # The member row stays, shown as inactive, so the admin sees why.
        self.assertFalse(self._member(self.seq_queue, self.rep_b).user_active)

    def test_emptied_queue_falls_through_with_a_reason(self):
        """A user deleted with his membership (ondelete cascade) leaves a queue
        without members; allocation goes on to the next rule and says why."""
        leaver = self._user("sa_leaver", "Leaver", [self.env.ref("base.group_user")])
        queue = self._queue("Only the leaver", "sequential", leaver)
        self._rule("To the leaver's queue", queue=queue, sequence=10)
        self._rule("Fallback to D", user=self.rep_d, sequence=20)
        leaver.unlink()
        self.assertFalse(queue.member_ids)
        lead = self._lead("Arrives after he left")
        self.assertEqual(self._db_owner(lead), self.rep_d.id)
        self.assertIn('Rule "To the leaver\'s queue" matched but nobody in queue '
                      '"Only the leaver" could take the lead.', lead.allocation_reason)

    def test_archived_queue_falls_through(self):
        self._rule("To a queue put away", queue=self.least_queue, sequence=10)
        self._rule("Fallback to D", user=self.rep_d, sequence=20)
        self.least_queue.active = False
        lead = self._lead("Queue is archived")
        self.assertEqual(self._db_owner(lead), self.rep_d.id)
        self.assertIn('Rule "To a queue put away" matched but nobody in queue '
                      '"SA least loaded" could take the lead.', lead.allocation_reason)
