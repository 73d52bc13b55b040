# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shared fixtures for the Odoo-side tests of sales_allocation.

``AllocationCase`` builds, once per class, a set-up that does not depend on the demo
data: every existing allocation rule is archived, then four reps, an API user, two
sales channels and one queue per strategy are created.  Tests add the rules they need
(``_rule``) inside their own savepoint, so nothing leaks from one test to the next.
"""
from contextlib import contextmanager

from odoo import api
from odoo.tests.common import SavepointCase


class AllocationCase(SavepointCase):

    @classmethod
    def setUpClass(cls):
        super(AllocationCase, cls).setUpClass()
        # Demo rules (and anything another module installed) must not decide here.
        cls.env["sales.allocation.rule"].search([]).write({"active": False})
        cls.Lead = cls.env["crm.lead"]
        cls.Log = cls.env["sales.allocation.log"]
        cls.Rule = cls.env["sales.allocation.rule"]
        cls.Queue = cls.env["sales.allocation.queue"]
        cls.allocator = cls.env["sales.allocation.allocator"]

        cls.team = cls.env["crm.team"].create({"name": "SA test team", "use_leads": True})
        cls.other_team = cls.env["crm.team"].create(
            {"name": "SA test other team", "use_leads": True})
        cls.user_team = cls.env["crm.team"].create(
            {"name": "SA test reps' own team", "use_leads": True})

        salesman = cls.env.ref("sales_team.group_sale_salesman")
        employee = cls.env.ref("base.group_user")
        cls.rep_a = cls._user("sa_rep_a", "Rep A", [employee, salesman])
        cls.rep_b = cls._user("sa_rep_b", "Rep B", [employee, salesman])
        cls.rep_c = cls._user("sa_rep_c", "Rep C", [employee, salesman])
        cls.rep_d = cls._user("sa_rep_d", "Rep D", [employee, salesman])
        cls.reps = cls.rep_a | cls.rep_b | cls.rep_c
        # An integration account: it creates leads but must never be given them.
        cls.api_user = cls._user(
            "sa_api", "SA API user",
            [employee, cls.env.ref("sales_team.group_sale_salesman_all_leads")])

        cls.seq_queue = cls._queue("SA sequential", "sequential", cls.reps)
        cls.weighted_queue = cls._queue(
            "SA weighted", "weighted", cls.reps, weights=[1, 2, 3])
        cls.least_queue = cls._queue("SA least loaded", "least_loaded", cls.reps)

        cls.china = cls.env.ref("base.cn")
        cls.usa = cls.env.ref("base.us")
        cls.zhejiang = cls.env.ref("l10n_cn.state_ZJ")
        cls.shanghai = cls.env.ref("l10n_cn.state_SH")
        cls.beijing = cls.env.ref("l10n_cn.state_BJ")
        cls.texas = cls.env.ref("base.state_us_44")

    # ------------------------------------------------------------------ builders

    @classmethod
    def _user(cls, login, name, groups, **vals):
        values = {
            "name": name, "login": login, "email": "%s@example.com" % login,
            "groups_id": [(6, 0, [group.id for group in groups])],
            "sale_team_id": cls.user_team.id,
        }
        values.update(vals)
        return cls.env["res.users"].with_context(no_reset_password=True).create(values)

    @classmethod
    def _queue(cls, name, strategy, users, weights=None, team=None, **member_vals):
        """A queue with ``users`` as members, in that order (sequence 1, 2, ...)."""
        weights = weights or [1] * len(users)
        members = []
        for index, (user, weight) in enumerate(zip(users, weights)):
            values = {"user_id": user.id, "sequence": index + 1, "weight": weight}
            values.update(member_vals)
            members.append((0, 0, values))
        return cls.env["sales.allocation.queue"].create({
            "name": name, "strategy": strategy, "member_ids": members,
            "team_id": (team or cls.team).id,
        })

    def _rule(self, name, **vals):
        """A rule; ``queue`` or ``user`` (records) pick the target type."""
        queue = vals.pop("queue", None)
        user = vals.pop("user", None)
        values = {"name": name, "sequence": 10}
        if queue is not None:
            values.update(target_type="queue", queue_id=queue.id)
        if user is not None:
            values.update(target_type="user", user_id=user.id)
        values.update(vals)
        return self.Rule.create(values)

    def _lead(self, name="SA lead", **vals):
        """A lead through the real create path (no salesperson given)."""
        return self.Lead.create(dict(vals, name=name))

    def _leads(self, count, name="SA lead", **vals):
        leads = self.Lead.browse()
        for index in range(count):
            leads |= self._lead("%s %d" % (name, index), **vals)
        return leads

    def _member(self, queue, user):
        return queue.member_ids.filtered(lambda member: member.user_id == user)

    @contextmanager
    def _counting_batches(self):
        """Yield a list that receives the size of every allocation batch run inside.

        A pass-through spy on ``_allocate_batch``: every batch still runs the real code.
        """
        sizes = []
        allocator_class = type(self.allocator)
        original = allocator_class._allocate_batch

        @api.model
        def counting_batch(allocator, lead_ids, trigger="create", loads=None):
            sizes.append(len(lead_ids))
            return original(allocator, lead_ids, trigger=trigger, loads=loads)

        allocator_class._allocate_batch = counting_batch
        try:
            yield sizes
        finally:
            allocator_class._allocate_batch = original

    # ------------------------------------------------------------------ reading back

    def _db_owner(self, lead):
        """The owner as stored in PostgreSQL (not the ORM cache)."""
        self.env.cr.execute("SELECT user_id FROM crm_lead WHERE id = %s", [lead.id])
        return self.env.cr.fetchone()[0]

    def _owners(self, leads):
        """Owner ids in the order of ``leads``, read from the database."""
        self.env.cr.execute("SELECT id, user_id FROM crm_lead WHERE id IN %s",
                            [tuple(leads.ids)])
        by_id = dict(self.env.cr.fetchall())
        return [by_id[lead_id] for lead_id in leads.ids]

    def _logs(self, lead, event=None):
        domain = [("lead_id", "=", lead.id)]
        if event:
            domain.append(("event", "=", event))
        return self.Log.search(domain, order="id")

    def _last_log(self, lead):
        logs = self._logs(lead)
        self.assertTrue(logs, "no allocation log row for %s" % lead.name)
        return logs[-1]
