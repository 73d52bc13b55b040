# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Gathering: the plain facts the engine needs, read with a few SQL queries per batch,
and the engine call itself. Shared by the allocator (which then writes) and the
simulation (which only shows): ``sales.allocation.gather``.

Nothing here locks or writes.
"""
from collections import defaultdict, namedtuple

from odoo import api, models

from .. import engine
from ..sql import int_array, open_lead_sql

# What one company's leads are decided with: its rules (compiled) and their domains, the
# matrices of those rules, and the queues the leads can reach (rules' and cells').
Plan = namedtuple("Plan", "company_id leads rules domains matrices queue_ids")


class SalesAllocationGather(models.AbstractModel):
    _name = "sales.allocation.gather"
    _description = "Lead allocation: facts for the engine"

    @api.model
    def _plans(self, companies, trigger="create", rules=None):
        """One ``Plan`` per company of ``companies`` (company id -> engine leads).

        ``rules``: rule records to use instead of the active rules of each company (the
        simulation's drafts). A lead without company follows the rules of the acting
        user's company.
        """
        Rule = self.env["sales.allocation.rule"]
        Matrix = self.env["sales.allocation.matrix"]
        for company_id, leads in companies.items():
            if rules:
                compiled, domains = rules._compile_for_engine()
            else:
                compiled, domains = Rule._engine_rules(
                    company_id or self.env.user.company_id.id, trigger)
            matrices = Matrix._matrix_data([rule.matrix_id for rule in compiled])
            queue_ids = self._reachable_queue_ids(compiled, leads)
            if matrices:
                queue_ids |= matrices.queue_ids
            yield Plan(company_id, leads, compiled, domains, matrices, queue_ids)

    @api.model
    def _reachable_queue_ids(self, rules, leads):
        """The queues of the rules whose plain conditions one of ``leads`` meets.

        No other queue can be consulted for these leads, so no other is loaded or
        locked: a single new lead locks the queues of its territory, not every queue.
        """
        wanted = {rule.queue_id for rule in rules if rule.queue_id}
        index = engine.RuleIndex([rule for rule in rules if rule.queue_id])
        found = set()
        for lead in leads:
            found.update(rule.queue_id for rule in index.matching(lead))
            if len(found) == len(wanted):
                break
        return found

    @api.model
    def _lead_facts(self, lead_ids, flags=None):
        """Plain facts for the engine, the current owners, the leads per company, and
        the ids of the open leads (as ``_open_lead_counts`` counts them).

        ``flags``: a dict to fill, for a caller that writes after deciding, with the
        leads' marks read in the same query: ``held`` (the ids held for a shift) and
        ``timed`` (the ids with a first-response deadline or a first response still
        awaited on the assignment's log row). The writers then
        touch only the rows whose mark changes, without asking the table again."""
        cr = self.env.cr
        ids = int_array(lead_ids)
        cr.execute("""
            SELECT l.id, l.country_id, l.state_id, l.source_id,
                   COALESCE(l.industry_id, cp.industry_id),
                   CASE WHEN cp.is_company OR (l.partner_id IS NULL
                                               AND COALESCE(l.partner_name, '') <> '')
                        THEN 'company' ELSE 'individual' END,
                   l.customer_segment, COALESCE(l.planned_revenue, 0),
                   p.commercial_partner_id, l.user_id, l.company_id,
                   l.product_category_id, l.stage_id,
                   """ + open_lead_sql("l") + """,
                   l.allocation_held IS TRUE,
                   l.response_deadline IS NOT NULL OR l.response_log_id IS NOT NULL,
                   ARRAY(SELECT r.tag_id FROM crm_lead_tag_rel r WHERE r.lead_id = l.id)
              FROM crm_lead l
              LEFT JOIN res_partner p ON p.id = l.partner_id
              LEFT JOIN res_partner cp ON cp.id = p.commercial_partner_id
             WHERE l.id = ANY(%s::int[])
        """, [ids])
        # In the caller's order (the backlog passes oldest first), not in the order
        # PostgreSQL happens to return rows: it decides who gets a seat under a cap.
        position = {lead_id: index for index, lead_id in enumerate(lead_ids)}
        rows = sorted(cr.fetchall(), key=lambda row: position[row[0]])
        facts, previous, companies, open_ids = {}, {}, defaultdict(list), set()
        held, timed = set(), set()
        for (lead_id, country_id, state_id, source_id, industry_id, customer_type,
             segment, revenue, partner_key, user_id, company_id, product_category_id,
             stage_id, is_open, is_held, is_timed, tag_ids) in rows:
            if is_held:
                held.add(lead_id)
            if is_timed:
                timed.add(lead_id)
            lead = engine.Lead(
                id=lead_id, country_id=country_id, state_id=state_id,
                tag_ids=frozenset(tag_ids), source_id=source_id,
                industry_id=industry_id, customer_type=customer_type, segment=segment,
                revenue=revenue, partner_key=partner_key,
                product_category_id=product_category_id, stage_id=stage_id)
            facts[lead_id] = lead
            previous[lead_id] = user_id
            companies[company_id].append(lead)
            if is_open:
                open_ids.add(lead_id)
        if flags is not None:
            flags.update(held=held, timed=timed)
        return facts, previous, companies, open_ids

    @api.model
    def _open_lead_counts(self, user_ids):
        """Open leads (active, not won) held by each user, in any team.

        Read from the partial index ``crm_lead_sales_allocation_open_owner_idx``
        (``crm.lead.init``): keep this WHERE clause and its predicate the same.
        """
        if not user_ids:
            return {}
        self.env.cr.execute("""
            SELECT user_id, count(*)
              FROM crm_lead
             WHERE user_id IN %s AND """ + open_lead_sql() + """
             GROUP BY user_id
        """, [tuple(user_ids)])
        return dict(self.env.cr.fetchall())

    @api.model
    def _continuity_keys(self, leads, rules):
        """The customers whose owner a continuity rule may ask for: those of the leads
        that meet the key conditions (place, customer type, segment) of such a rule.
        No other customer's owner is ever read, so none is looked up."""
        kept = [rule for rule in rules if rule.owner_continuity]
        if not kept:
            return set()
        index = engine.RuleIndex(kept)
        return {lead.partner_key for lead in leads
                if lead.partner_key and index.candidates(lead)}

    @api.model
    def _continuity(self, partner_keys, exclude_lead_ids):
        """Customer (commercial partner) -> the owner of his oldest open lead."""
        keys = sorted({key for key in partner_keys if key})
        if not keys:
            return {}
        # Driven by the customers: their partners, then those partners' leads, both
        # through indexes, whatever the statistics say. Behind the OFFSET 0 fence only
        # the customer's leads are read; the filters apply after it. Otherwise the
        # planner may walk every owned lead once per customer: a backlog run owns more
        # leads with every batch while the statistics still say that few are owned.
        self.env.cr.execute("""
            SELECT DISTINCT ON (c.key) c.key, c.user_id
              FROM unnest(%s::int[]) AS k(key)
             CROSS JOIN LATERAL (
                   SELECT k.key, l.id, l.user_id, l.create_date, l.active,
                          l.probability
                     FROM res_partner p
                     JOIN crm_lead l ON l.partner_id = p.id
                    WHERE p.commercial_partner_id = k.key
                   OFFSET 0) AS c
             WHERE c.user_id IS NOT NULL AND """ + open_lead_sql("c") + """
               AND c.id <> ALL(%s::int[])
             ORDER BY c.key, c.create_date, c.id
        """, [int_array(keys), int_array(exclude_lead_ids)])
        return dict(self.env.cr.fetchall())

    @api.model
    def _user_active(self, user_ids):
        if not user_ids:
            return {}
        self.env.cr.execute("SELECT id, active FROM res_users WHERE id IN %s",
                            [tuple(user_ids)])
        return dict(self.env.cr.fetchall())

    @api.model
    def _domain_match(self, domain, lead_ids):
        """The ids of ``lead_ids`` that satisfy ``domain`` (archived leads included)."""
        leads = self.env["crm.lead"].sudo().with_context(active_test=False)
        return set(leads._search([("id", "in", lead_ids)] + domain))

    @api.model
    def _domain_matches(self, domains, lead_ids):
        """Rule id -> the ids of ``lead_ids`` that satisfy its domain (``domains``:
        rule id -> domain), as ``_domain_match`` answers for each.

        The domains whose condition reads crm_lead alone (most: the ORM turns paths
        such as ``country_id.code`` into sub-selects) are evaluated together, one
        column each, in one pass over the batch's rows; the others get a query each.
        """
        leads = self.env["crm.lead"].sudo().with_context(active_test=False)
        result, combined, columns, params = {}, [], [], []
        for rule_id, domain in sorted(domains.items()):
            from_clause, where_clause, where_params = leads._where_calc(domain).get_sql()
            if from_clause != '"crm_lead"':
                result[rule_id] = self._domain_match(domain, lead_ids)
                continue
            columns.append("(%s)" % (where_clause or "TRUE"))
            params.extend(where_params)
            combined.append(rule_id)
            result[rule_id] = set()
        if not combined or not lead_ids:
            return result
        self.env.cr.execute(
            'SELECT "crm_lead".id, ' + ", ".join(columns) + ' FROM "crm_lead"'
            ' WHERE "crm_lead".id = ANY(%s::int[]) AND "crm_lead".id BETWEEN %s AND %s',
            params + [int_array(lead_ids), min(lead_ids), max(lead_ids)])
        for row in self.env.cr.fetchall():
            for rule_id, hit in zip(combined, row[1:]):
                if hit:
                    result[rule_id].add(row[0])
        return result

    # ------------------------------------------------------------------ deciding

    @api.model
    def _decider(self, plan, matches=None):
        """A function ``run(queues, load_of=None)`` that asks the engine who gets each
        lead of ``plan``. Continuity and users are read now, before the caller takes
        the queues' turns (so that its lock is held for the decision only); the free
        domains on the engine's first question.

        ``queues``: the engine queues (with their rotation state) the plan may use;
        picking changes their state: the caller saves it (allocation) or throws it
        away (simulation). ``load_of``: the engine's lazy loads. ``matches``: lead id
        -> its strongest match (``sales.allocation.match._find``), none when omitted.
        """
        leads, rules, matrices = plan.leads, plan.rules, plan.matrices
        lead_ids = [lead.id for lead in leads]
        continuity = self._continuity(self._continuity_keys(leads, rules), lead_ids)
        user_ids = {rule.user_id for rule in rules if rule.user_id}
        user_ids.update(continuity.values())
        matches = {lead.id: matches[lead.id] for lead in leads
                   if lead.id in matches} if matches else {}
        user_ids.update(match.owner_id for match in matches.values())
        if matrices:
            user_ids |= matrices.user_ids
        user_active = self._user_active(user_ids)
        matched = {}

        def domain_matcher(rule_id):
            # The engine asks for one rule at a time; the first question reads the
            # answers of every domain rule of the batch in one query.
            if not matched:
                matched.update(self._domain_matches(plan.domains, lead_ids))
            return matched[rule_id]

        def run(queues, load_of=None, pick=None, extra_matches=None):
            # The passes of sales.allocation.match._decide: ``pick(lead_id)`` chooses
            # the leads to decide now; ``extra_matches``: leads of this very batch.
            chosen = leads if pick is None else [lead for lead in leads if pick(lead.id)]
            if not chosen:
                return []
            return engine.allocate(
                chosen, rules, queues, continuity=continuity,
                domain_matcher=domain_matcher,
                matrix_resolver=matrices.resolver if matrices else None,
                user_active=user_active, load_of=load_of,
                matches={**matches, **extra_matches} if extra_matches else matches)

        return run
