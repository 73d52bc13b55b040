# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The thin Odoo adapter around the pure engine.

One lead's path: ``crm.lead.create`` -> ``allocate`` -> ``_allocate_batch``, which gathers
plain facts with a few SQL queries, asks ``engine.allocate`` who gets each lead, and writes
the answers back in a handful of set-based statements (owner, log, followers, rotation).
"""
import io
import logging
import time
from collections import defaultdict

from odoo import SUPERUSER_ID, _, api, fields, models, tools
from odoo.tools import split_every

from .. import engine

_logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 10000
# Every column that the set-based writes below change on crm_lead.
LEAD_WRITTEN_FIELDS = [
    "user_id", "team_id", "allocation_rule_id", "allocation_date", "allocation_state",
    "allocation_reason", "date_open", "write_uid", "write_date",
    "pool_id", "owner_activity_date", "reclaim_deadline", "reclaim_warn_date",
    "reclaim_timer", "reclaim_warned_deadline",
]

# sales_allocation_log columns in the order ``_insert_logs`` writes them.
LOG_COLUMNS = (
    "lead_id", "user_id", "previous_user_id", "event", "rule_id", "queue_id", "team_id",
    "reason", "pool_id", "date", "author_id",
)


def _values_sql(rows, casts):
    """A ``VALUES`` list for ``rows`` with typed placeholders, and its flat parameters."""
    row_sql = "(%s)" % ", ".join("%%s::%s" % cast for cast in casts)
    params = [value for row in rows for value in row]
    return ", ".join([row_sql] * len(rows)), params


def _array_literal(values):
    """A PostgreSQL array literal (``{1,NULL,"a \\"b\\""}``) of ints and strings."""
    # A batch repeats a few texts (reasons, events) thousands of times: quote each once.
    quoted = {value: "NULL" if value is None else str(value) if value.__class__ is int
              else '"%s"' % str(value).replace("\\", "\\\\").replace('"', '\\"')
              for value in set(values)}
    return "{%s}" % ",".join(map(quoted.__getitem__, values))


def _int_array(values):
    """``_array_literal`` of ints and None (nothing else), at C speed: no Python code
    runs per value."""
    return "{%s}" % ",".join(map(str, values)).replace("None", "NULL")


def _unnest_sql(rows, casts):
    """``unnest(...)`` over ``rows`` column by column, and its named parameters
    (``column0``, ``column1``...): one array literal per column where ``_values_sql``
    has one placeholder per value. For thousands of rows PostgreSQL parses and plans a
    VALUES list longer than the statement it feeds takes to run; an array literal is
    read in one go."""
    columns = list(zip(*rows)) if rows else [()] * len(casts)
    sql = "unnest(%s)" % ", ".join(
        "%%(column%d)s::%s[]" % (index, cast) for index, cast in enumerate(casts))
    return sql, {"column%d" % index: _int_array(column) if cast == "int"
                 else _array_literal(column)
                 for index, (column, cast) in enumerate(zip(columns, casts))}


# The end of a statement that makes users followers of leads: ``%s`` names a
# relation (a CTE) with columns ``id`` (the lead) and ``user_id``; ``%(subtypes)s`` is
# the array of the default subtypes. A user already following the lead is left as he is.
_FOLLOW_SQL = """
    added AS (
        INSERT INTO mail_followers (res_model, res_id, partner_id)
        SELECT 'crm.lead', source.id, u.partner_id
          FROM %s AS source
          JOIN res_users u ON u.id = source.user_id
        ON CONFLICT DO NOTHING
        RETURNING id
    )
    INSERT INTO mail_followers_mail_message_subtype_rel
           (mail_followers_id, mail_message_subtype_id)
    SELECT added.id, subtype.id
      FROM added CROSS JOIN unnest(%%(subtypes)s::int[]) AS subtype(id)
"""

# Above this many leads, forgetting a field for every lead in the ORM cache is cheaper
# than forgetting it lead by lead (and a bulk run has few other leads cached).
_INVALIDATE_ALL_ABOVE = 1000


def _invalidate_leads(env, fnames, lead_ids):
    """Make the ORM forget ``fnames`` of the leads just written with SQL."""
    env["crm.lead"].invalidate_cache(
        fnames, lead_ids if len(lead_ids) <= _INVALIDATE_ALL_ABOVE else None)


# What _save_rotation compares with when the state as read is not known: anything.
_UNREAD = object()

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_rows(cr, table, columns, rows, constants=()):
    """Insert ``rows`` (tuples of None, numbers, strings) into ``table`` with one COPY;
    ``constants``: values of the last columns, the same for every row.

    No statement to parse and plan, no parameters to quote one by one: for thousands of
    rows this is PostgreSQL's fastest insert. Triggers and constraints run as for INSERT.
    """
    escaped = {}  # a batch repeats a few texts (reasons, events) thousands of times

    def text(value):
        if value is None:
            return "\\N"
        kind = value.__class__
        if kind is int:
            return str(value)
        if kind is str:
            result = escaped.get(value)
            if result is None:
                result = escaped[value] = value.translate(_COPY_ESCAPES)
            return result
        return str(value).translate(_COPY_ESCAPES)

    end = "".join("\t" + text(value) for value in constants) + "\n"
    data = "".join("\t".join(map(text, row)) + end for row in rows)
    cr.copy_expert("COPY %s (%s) FROM STDIN" % (table, ", ".join(columns)),
                   io.StringIO(data))


class SalesAllocationAllocator(models.AbstractModel):
    _name = "sales.allocation.allocator"
    _description = "Lead allocation service"

    # ------------------------------------------------------------------ entry point

    @api.model
    def allocate(self, lead_ids, trigger="create"):
        """Allocate the given leads; return a summary dict (counts per outcome).

        Leads are processed in batches so that memory stays flat and each batch locks the
        rotation only briefly. The caller's transaction is kept: nothing commits here.
        New owners hear of their leads from the digest cron, one message per rep and run.
        """
        self._check_may_allocate(lead_ids)
        started = time.time()
        summary = {"assigned": 0, "reassigned": 0, "unallocated": 0, "pool": 0, "leads": 0}
        batch_size = self._batch_size()
        # Open leads per rep, once counted: each batch brings them up to date with what
        # it wrote, so the next batch does not count them again.
        loads = {}
        for batch in split_every(batch_size, list(lead_ids)):
            result = self._allocate_batch(list(batch), trigger=trigger, loads=loads)
            for key, count in result.items():
                summary[key] = summary.get(key, 0) + count
            summary["leads"] += len(batch)
        summary["seconds"] = round(time.time() - started, 3)
        if summary["leads"] > 1:
            _logger.info("sales_allocation: %(leads)d leads in %(seconds)ss: "
                         "%(assigned)d assigned, %(reassigned)d reassigned, "
                         "%(unallocated)d unallocated", summary)
        return summary

    @api.model
    def _check_may_allocate(self, lead_ids):
        """``allocate`` is public, so any logged-in user can call it over XML-RPC, and it
        writes with SQL, past the ORM's checks: check here what a write would."""
        if self.env.uid == SUPERUSER_ID:
            return
        leads = self.env["crm.lead"].browse(list(lead_ids))
        leads.check_access_rights("write")
        leads.check_access_rule("write")

    @api.model
    def _batch_size(self):
        value = self.env["ir.config_parameter"].sudo().get_param(
            "sales_allocation.batch_size")
        if not value:
            # get_param answers False when unset, and int(False) is 0: batches of one.
            return DEFAULT_BATCH_SIZE
        try:
            return max(1, int(value))
        except (TypeError, ValueError):
            return DEFAULT_BATCH_SIZE

    # ------------------------------------------------------------------ one batch

    @api.model
    def _allocate_batch(self, lead_ids, trigger="create", loads=None):
        """Allocate one batch; ``loads``: the open-lead counts (user id -> open leads)
        known from the batches before, updated here with what this one writes."""
        loads = {} if loads is None else loads
        _facts, previous, companies, open_ids = self._lead_facts(lead_ids)

        def load_of(user_ids):
            missing = [user_id for user_id in user_ids if user_id not in loads]
            if missing:
                loads.update(dict.fromkeys(missing, 0))
                loads.update(self._open_lead_counts(missing))
            return {user_id: loads[user_id] for user_id in user_ids}

        decisions = []
        queues, meta = {}, {"members": {}, "teams": {}, "last_users": {}, "weights": {}}
        for company_id, leads in companies.items():
            # A lead without company follows the rules of the allocating user's company.
            rules, domains = self.env["sales.allocation.rule"]._engine_rules(
                company_id or self.env.user.company_id.id, trigger)
            matrices = self.env["sales.allocation.matrix"]._matrix_data(
                [rule.matrix_id for rule in rules])
            queue_ids = self._reachable_queue_ids(rules, leads)
            if matrices:
                queue_ids |= matrices.queue_ids
            # Loads are counted only when the engine reads them (caps, least loaded):
            # one lead in one queue does not count the open leads of every rep.
            company_queues, company_meta = self._load_queues(
                queue_ids, lock=True, lazy_loads=True)
            queues.update(company_queues)
            for key in meta:
                meta[key].update(company_meta[key])
            decisions.extend(self._decide(leads, rules, domains, company_queues,
                                          matrices=matrices, load_of=load_of))
        if trigger != "create":
            decisions = self._handoff_decisions(decisions, previous, trigger)
        owners = self._apply(decisions, previous, queues, meta)
        # As _open_lead_counts would count them now: an open lead that changed owner
        # is one more for the new owner and one less for the old one.
        for lead_id, (before, after) in owners.items():
            if lead_id in open_ids:
                if before in loads:
                    loads[before] -= 1
                if after in loads:
                    loads[after] += 1
        self._add_followers(self._extra_followers(decisions, previous, trigger))
        return self._count(decisions, previous)

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
    def _decide(self, leads, rules, domains, queues, matrices=None, load_of=None):
        """Ask the engine; the inputs it needs beyond the leads are read here.

        ``matrices``: the ``MatrixData`` of the rules' matrices, read by the caller
        that also loaded (and locked) the queues of their cells. Without it they are
        read here, and cell queues missing from ``queues`` are added to it unlocked
        (a dry run such as the simulation loads only the rules' queues).
        ``load_of``: for queues loaded with ``lazy_loads``, the engine's lazy loads
        (``_open_lead_counts``).
        """
        if matrices is None:
            matrices = self.env["sales.allocation.matrix"]._matrix_data(
                [rule.matrix_id for rule in rules])
            missing = matrices.queue_ids - set(queues) if matrices else ()
            if missing:
                queues.update(self._load_queues(
                    missing, lock=False, lazy_loads=load_of is not None)[0])
        lead_ids = [lead.id for lead in leads]
        continuity = self._continuity(self._continuity_keys(leads, rules), lead_ids)
        user_ids = {rule.user_id for rule in rules if rule.user_id}
        user_ids.update(continuity.values())
        if matrices:
            user_ids |= matrices.user_ids
        matched = {}

        def domain_matcher(rule_id):
            # The engine asks for one rule at a time; the first question reads the
            # answers of every domain rule of the batch in one query.
            if not matched:
                matched.update(self._domain_matches(domains, lead_ids))
            return matched[rule_id]

        return engine.allocate(
            leads, rules, queues, continuity=continuity, domain_matcher=domain_matcher,
            matrix_resolver=matrices.resolver if matrices else None,
            user_active=self._user_active(user_ids), load_of=load_of)

    @api.model
    def _handoff_decisions(self, decisions, previous, trigger):
        """A hand-off only acts where a rule of its trigger matched and the owner (or
        pool) changes; its reasons start with the hand-off that caused it."""
        handoff = (("handoff_%s" % trigger, {}),)
        return [decision._replace(reasons=handoff + decision.reasons)
                for decision in decisions
                if decision.rule_id and (decision.pool_id
                                         or decision.user_id != previous.get(
                                             decision.lead_id))]

    @api.model
    def _extra_followers(self, decisions, previous, trigger):
        """(lead, user) pairs to follow besides the new owners: a matrix cell's
        product specialist, and on a hand-off the previous owner (he keeps an eye on
        the deal he passed on)."""
        pairs = []
        for decision in decisions:
            if trigger != "create" and previous.get(decision.lead_id):
                pairs.append((decision.lead_id, previous[decision.lead_id]))
            for code, params in decision.reasons:
                if code == "matrix" and params.get("specialist_user_id"):
                    pairs.append((decision.lead_id, params["specialist_user_id"]))
        return pairs

    # ------------------------------------------------------------------ gathering

    @api.model
    def _lead_facts(self, lead_ids):
        """Plain facts for the engine, the current owners, the leads per company, and
        the ids of the open leads (as ``_open_lead_counts`` counts them)."""
        cr = self.env.cr
        ids = _int_array(lead_ids)
        cr.execute("""
            SELECT l.id, l.country_id, l.state_id, l.source_id,
                   COALESCE(l.industry_id, cp.industry_id),
                   CASE WHEN cp.is_company OR (l.partner_id IS NULL
                                               AND COALESCE(l.partner_name, '') <> '')
                        THEN 'company' ELSE 'individual' END,
                   l.customer_segment, COALESCE(l.planned_revenue, 0),
                   p.commercial_partner_id, l.user_id, l.company_id,
                   l.product_category_id, l.stage_id,
                   l.active AND COALESCE(l.probability, 0) < 100
              FROM crm_lead l
              LEFT JOIN res_partner p ON p.id = l.partner_id
              LEFT JOIN res_partner cp ON cp.id = p.commercial_partner_id
             WHERE l.id = ANY(%s::int[])
        """, [ids])
        # In the caller's order (the backlog passes oldest first), not in the order
        # PostgreSQL happens to return rows: it decides who gets a seat under a cap.
        position = {lead_id: index for index, lead_id in enumerate(lead_ids)}
        rows = sorted(cr.fetchall(), key=lambda row: position[row[0]])
        tags = defaultdict(set)
        cr.execute("SELECT lead_id, tag_id FROM crm_lead_tag_rel "
                   "WHERE lead_id = ANY(%s::int[])", [ids])
        for lead_id, tag_id in cr.fetchall():
            tags[lead_id].add(tag_id)
        facts, previous, companies, open_ids = {}, {}, defaultdict(list), set()
        for (lead_id, country_id, state_id, source_id, industry_id, customer_type,
             segment, revenue, partner_key, user_id, company_id, product_category_id,
             stage_id, is_open) in rows:
            lead = engine.Lead(
                id=lead_id, country_id=country_id, state_id=state_id,
                tag_ids=frozenset(tags.get(lead_id, ())), source_id=source_id,
                industry_id=industry_id, customer_type=customer_type, segment=segment,
                revenue=revenue, partner_key=partner_key,
                product_category_id=product_category_id, stage_id=stage_id)
            facts[lead_id] = lead
            previous[lead_id] = user_id
            companies[company_id].append(lead)
            if is_open:
                open_ids.add(lead_id)
        return facts, previous, companies, open_ids

    @api.model
    def _load_queues(self, queue_ids, lock, lazy_loads=False):
        """Engine queues with their rotation state and members' loads.

        With ``lazy_loads`` the loads are left at 0 and not counted: the caller passes
        ``_open_lead_counts`` to the engine as ``load_of``, which counts them only for
        the queues a decision consults (see ``engine.rotation``, "Lazy loads").

        Returns ``(queues, meta)``: engine queues by id, and what the writes need
        besides: ``meta['members']`` (queue id, user id) -> member record id,
        ``meta['teams']`` queue id -> sales channel id, and the rotation state as read
        (``meta['last_users']`` queue id -> last user, ``meta['weights']`` member id ->
        current weight), so that ``_save_rotation`` writes only what changed.

        With ``lock`` the queue rows are locked (in id order, so two allocations cannot
        deadlock) until the transaction ends: a concurrent allocation through the same queue
        waits, then fails to serialize and is retried by Odoo, so no turn is skipped or
        doubled.
        """
        meta = {"members": {}, "teams": {}, "last_users": {}, "weights": {}}
        if not queue_ids:
            return {}, meta
        cr = self.env.cr
        ids = tuple(sorted(queue_ids))
        cr.execute("""
            SELECT id, strategy, last_user_id, name, team_id
              FROM sales_allocation_queue
             WHERE id IN %s AND active
             ORDER BY id
        """ + (" FOR UPDATE" if lock else ""), [ids])
        queue_rows = cr.fetchall()
        cr.execute("""
            SELECT m.queue_id, m.id, m.user_id, m.weight, m.max_open_leads, m.available,
                   u.active, m.current_weight
              FROM sales_allocation_queue_member m
              JOIN res_users u ON u.id = m.user_id
             WHERE m.queue_id IN %s
             ORDER BY m.queue_id, m.sequence, m.id
        """, [ids])
        member_rows = cr.fetchall()
        loads = {} if lazy_loads else self._open_lead_counts({row[2] for row in member_rows})
        members = defaultdict(list)
        for queue_id, member_id, user_id, weight, cap, available, active, current in member_rows:
            member = engine.Member(
                user_id=user_id, weight=weight or 1, max_open=cap or 0,
                available=available, active=active, load=loads.get(user_id, 0),
                current_weight=current or 0)
            members[queue_id].append(member)
            meta["members"][(queue_id, user_id)] = member_id
            meta["weights"][member_id] = current
        queues = {}
        for queue_id, strategy, last_user_id, name, team_id in queue_rows:
            queue = engine.Queue(
                id=queue_id, strategy=strategy, members=members[queue_id],
                last_user_id=last_user_id, name=name)
            meta["teams"][queue_id] = team_id
            meta["last_users"][queue_id] = last_user_id
            queues[queue_id] = queue
        return queues, meta

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
             WHERE user_id IN %s AND active AND COALESCE(probability, 0) < 100
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
             WHERE c.user_id IS NOT NULL AND c.active
               AND COALESCE(c.probability, 0) < 100
               AND c.id <> ALL(%s::int[])
             ORDER BY c.key, c.create_date, c.id
        """, [_int_array(keys), _int_array(exclude_lead_ids)])
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
            params + [_int_array(lead_ids), min(lead_ids), max(lead_ids)])
        for row in self.env.cr.fetchall():
            for rule_id, hit in zip(combined, row[1:]):
                if hit:
                    result[rule_id].add(row[0])
        return result

    # ------------------------------------------------------------------ writing

    @api.model
    def _apply(self, decisions, previous, queues, meta):
        """Write owners, log rows, followers and rotation state in set-based statements.

        Returns the owner changes written: lead id -> (owner before, owner after).
        """
        if not decisions:
            return {}
        now = fields.Datetime.now()
        texts = self._reason_texts(decisions, queues)
        teams = meta["teams"]
        lead_rows, kept_rows = [], []
        for decision, text in zip(decisions, texts):
            lead_id, user_id, pool_id = decision.lead_id, decision.user_id, decision.pool_id
            before = previous.get(lead_id)
            if user_id:
                state = "allocated"
                event = "reassigned" if before and before != user_id else "assigned"
            elif pool_id:
                state, event = "pool", "pooled"
            elif before:
                # Nothing places it but it has an owner already: keep him, say so.
                kept_rows.append((lead_id, before, before, "unallocated",
                                  None, None, None, text))
                continue
            else:
                state = event = "unallocated"
            lead_rows.append((lead_id, user_id, decision.team_id or teams.get(
                decision.queue_id), decision.rule_id, state, text, pool_id,
                decision.queue_id, before, event))
        if lead_rows:
            self._write_leads(lead_rows, now)
        self._insert_logs(kept_rows, now)
        self._save_rotation(queues, meta)
        _invalidate_leads(self.env, LEAD_WRITTEN_FIELDS,
                          [decision.lead_id for decision in decisions])
        return {row[0]: (row[8], row[1]) for row in lead_rows if row[8] != row[1]}

    @api.model
    def _write_leads(self, lead_rows, now):
        """One statement for a batch's leads: the owner columns, a log row each and
        the new owner as a follower.

        ``lead_rows``: (lead, user, team, rule, allocation state, reason, pool, queue,
        previous user, log event). The rows go to PostgreSQL once, as arrays, and
        every table is written from them there: no log row travels back and forth,
        and a lead that vanished meanwhile gets no log row.
        """
        values, params = _unnest_sql(lead_rows, [
            "int", "int", "int", "int", "varchar", "text", "int", "int", "int",
            "varchar"])
        self.env.cr.execute("""
            WITH v AS (
                SELECT * FROM """ + values + """
                    AS v(id, user_id, team_id, rule_id, state, reason, pool_id,
                         queue_id, previous_user_id, event)
            ), updated AS (
                UPDATE crm_lead l
                   SET user_id = v.user_id,
                       team_id = COALESCE(v.team_id, u.sale_team_id, l.team_id),
                       allocation_rule_id = v.rule_id,
                       allocation_state = v.state,
                       allocation_reason = v.reason,
                       allocation_date = %(now)s,
                       date_open = CASE WHEN v.user_id IS NOT NULL THEN %(now)s
                                        ELSE l.date_open END,
                       pool_id = v.pool_id,
                       owner_activity_date = CASE WHEN v.user_id IS NOT NULL
                                                  THEN %(now)s::timestamp END,
                       reclaim_deadline = NULL, reclaim_warn_date = NULL,
                       reclaim_timer = NULL, reclaim_warned_deadline = NULL,
                       write_uid = %(uid)s, write_date = %(now)s
                  FROM v
                  LEFT JOIN res_users u ON u.id = v.user_id
                 -- The id range is redundant for the result; it lets PostgreSQL read
                 -- the batch through the primary key instead of the whole table.
                 WHERE l.id = v.id AND l.id BETWEEN %(first)s AND %(last)s
             RETURNING l.id, l.team_id, v.user_id, v.previous_user_id, v.event,
                       v.rule_id, v.queue_id, v.reason, v.pool_id
            ), logged AS (
                -- The log names the channel the lead ended in (the owner's, when
                -- neither the rule nor the queue names one).
                INSERT INTO sales_allocation_log (""" + ", ".join(LOG_COLUMNS) + """)
                SELECT id, user_id, previous_user_id, event, rule_id, queue_id, team_id,
                       reason, pool_id, %(now)s, %(uid)s
                  FROM updated
            ), """ + _FOLLOW_SQL % "updated" + """
        """, dict(params, now=now, uid=self.env.uid,
                  subtypes=self._default_subtype_ids(),
                  first=min(row[0] for row in lead_rows),
                  last=max(row[0] for row in lead_rows)))
        self._followers_changed([row[0] for row in lead_rows if row[1]])

    @api.model
    def _manual_reason(self):
        return _("Salesperson set by hand by %s.") % self.env.user.name

    @api.model
    def _log_manual(self, leads, previous):
        """Log owners set by hand; ``previous`` maps lead id -> owner id before."""
        if not leads:
            return
        text = self._manual_reason()
        self._insert_logs([
            (lead.id, lead.user_id.id or None, previous.get(lead.id) or None, "manual",
             None, None, lead.team_id.id or None, text)
            for lead in leads
        ], fields.Datetime.now())

    @api.model
    def _insert_logs(self, log_rows, now):
        """Insert log rows (lead, user, previous, event, rule, queue, team, reason
        [, pool]); rows without a pool may leave it out."""
        if not log_rows:
            return
        uid = self.env.uid
        copy_rows(self.env.cr, "sales_allocation_log", LOG_COLUMNS, [
            row if len(row) == 9 else tuple(row) + (None,) * (9 - len(row))
            for row in log_rows], constants=(now, uid))

    @api.model
    def _add_followers(self, lead_user_pairs):
        """Make each user a follower of his lead, with the default subtypes."""
        if not lead_user_pairs:
            return
        values, params = _unnest_sql(lead_user_pairs, ["int", "int"])
        self.env.cr.execute(
            "WITH pairs AS (SELECT * FROM " + values + " AS v(id, user_id)), " +
            _FOLLOW_SQL % "pairs", dict(params, subtypes=self._default_subtype_ids()))
        self._followers_changed([pair[0] for pair in lead_user_pairs])

    @api.model
    def _default_subtype_ids(self):
        """What a new follower of a lead is subscribed to (as ``message_subscribe``
        does when no subtype is given)."""
        self.env.cr.execute("""
            SELECT id FROM mail_message_subtype
             WHERE "default" AND (res_model IS NULL OR res_model = 'crm.lead')
        """)
        return _int_array([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _followers_changed(self, lead_ids):
        self.env["mail.followers"].invalidate_cache()
        _invalidate_leads(self.env, [
            "message_follower_ids", "message_partner_ids", "message_channel_ids"],
            lead_ids)

    @api.model
    def _save_rotation(self, queues, meta):
        """Persist where each queue's rotation stands (last user, weighted state).

        Only what moved is written (``meta`` holds the state as read, see
        ``_load_queues``): one lead touches one queue, not every queue of the rules.
        """
        if not queues:
            return
        cr = self.env.cr
        last_users, weights = meta.get("last_users", {}), meta.get("weights", {})
        queue_rows = [(queue.id, queue.last_user_id) for queue in queues.values()
                      if last_users.get(queue.id, _UNREAD) != queue.last_user_id]
        if queue_rows:
            values, params = _values_sql(queue_rows, ["int", "int"])
            cr.execute("""
                UPDATE sales_allocation_queue q SET last_user_id = v.user_id
                  FROM (VALUES """ + values + """) AS v(id, user_id) WHERE q.id = v.id
            """, params)
        member_rows = [
            (member_id, member.current_weight)
            for queue in queues.values() if queue.strategy == "weighted"
            for member in queue.members
            for member_id in [meta["members"][(queue.id, member.user_id)]]
            if weights.get(member_id, _UNREAD) != member.current_weight]
        if member_rows:
            values, params = _values_sql(member_rows, ["int", "int"])
            cr.execute("""
                UPDATE sales_allocation_queue_member m SET current_weight = v.weight
                  FROM (VALUES """ + values + """) AS v(id, weight) WHERE m.id = v.id
            """, params)
        self.env["sales.allocation.queue"].invalidate_cache(["last_user_id"])
        self.env["sales.allocation.queue.member"].invalidate_cache(["current_weight"])

    @api.model
    def _count(self, decisions, previous):
        counts = defaultdict(int)
        for decision in decisions:
            if decision.user_id:
                before = previous.get(decision.lead_id)
                counts["reassigned" if before and before != decision.user_id
                       else "assigned"] += 1
            elif decision.pool_id:
                counts["pool"] += 1
            else:
                counts["unallocated"] += 1
        return counts

    # ------------------------------------------------------------------ explaining

    @api.model
    @tools.ormcache("self.env.context.get('lang')")
    def _reason_templates(self):
        """Translated sentence templates, looked up once per language, not per lead
        (cached until translations change: that clears the registry's caches).
        Shared: read it, never change it."""
        return {
            "rule": _("Rule \"%(rule)s\" matched."),
            "continuity": _("Kept with %(user)s, who already owns an open lead of this "
                            "customer."),
            "queue": _("Queue \"%(queue)s\" (%(strategy)s) chose %(user)s."),
            "skipped": _("Skipped %(user)s: %(why)s."),
            "user": _("Sent to %(user)s."),
            "user_archived": _("Rule \"%(rule)s\" matched but %(user)s is archived."),
            "queue_full": _("Rule \"%(rule)s\" matched but nobody in queue \"%(queue)s\" "
                            "could take the lead."),
            "pool": _("Placed in pool \"%(pool)s\"."),
            "unallocated": _("No rule placed this lead: it waits for the backlog run."),
            "why_archived": _("archived"),
            "why_unavailable": _("unavailable"),
            "why_cap": _("cap of open leads reached"),
            "sequential": _("sequential"),
            "weighted": _("weighted"),
            "least_loaded": _("least loaded"),
            "matrix": _("Matrix cell %(cell)s applies."),
            "matrix_specialist": _("Matrix cell %(cell)s applies; product specialist "
                                   "%(specialist)s follows the lead."),
            "handoff_convert": _("Hand-off: the lead became an opportunity."),
            "handoff_stage": _("Hand-off: the opportunity entered a new stage."),
            "handoff_won": _("Hand-off: the opportunity was won."),
            "rotation": _("Territory rotation: taken over from %(user)s."),
        }

    @api.model
    def _reason_texts(self, decisions, queues):
        """One readable sentence per decision, in the acting user's language."""
        templates = self._reason_templates()
        user_ids, rule_ids, pool_ids, queue_ids = set(), set(), set(), set()
        # The engine shares one reasons tuple between equal decisions: read each once.
        distinct = {id(decision.reasons): decision.reasons for decision in decisions}
        for reasons in distinct.values():
            for _code, params in reasons:
                if params.get("user_id"):
                    user_ids.add(params["user_id"])
                if params.get("rule_id"):
                    rule_ids.add(params["rule_id"])
                if params.get("pool_id"):
                    pool_ids.add(params["pool_id"])
                if params.get("queue_id"):
                    queue_ids.add(params["queue_id"])
        queue_names = {queue.id: queue.name for queue in queues.values()}
        # Queues that were not loaded (archived) are named too.
        queue_names.update(self._names(
            "sales.allocation.queue", queue_ids - set(queue_names)))
        names = {
            "user": self._names("res.users", user_ids),
            "rule": self._names("sales.allocation.rule", rule_ids),
            "pool": self._names("sales.allocation.pool", pool_ids)
            if pool_ids and "sales.allocation.pool" in self.env else {},
            "queue": queue_names,
        }
        # The engine shares one reasons tuple between equal decisions; key by identity
        # (the decisions keep the tuples alive, so ids are not reused meanwhile).
        cache = {}
        texts = []
        for decision in decisions:
            text = cache.get(id(decision.reasons))
            if text is None:
                text = cache[id(decision.reasons)] = " ".join(
                    self._reason_sentence(templates, names, code, params)
                    for code, params in decision.reasons)
            texts.append(text)
        return texts

    @staticmethod
    def _reason_sentence(templates, names, code, params):
        values = {
            "rule": names["rule"].get(params.get("rule_id"), ""),
            "user": names["user"].get(params.get("user_id"), ""),
            "queue": names["queue"].get(params.get("queue_id"), ""),
            "pool": names["pool"].get(params.get("pool_id"), ""),
            "strategy": templates.get(params.get("strategy"), ""),
            "why": templates.get("why_%s" % params.get("why"), params.get("why", "")),
            "cell": params.get("cell", ""),
            "specialist": params.get("specialist", ""),
        }
        if code == "matrix" and params.get("specialist"):
            code = "matrix_specialist"
        template = templates.get(code)
        return template % values if template else ""

    @api.model
    def _names(self, model, ids):
        if not ids:
            return {}
        if model == "res.users":
            # What name_get gives (the partner's name), without computing the related
            # field through the ORM: one join instead of two reads per batch.
            self.env.cr.execute("""
                SELECT u.id, COALESCE(p.name, '') FROM res_users u
                  JOIN res_partner p ON p.id = u.partner_id WHERE u.id IN %s
            """, [tuple(ids)])
            return dict(self.env.cr.fetchall())
        # prefetch_fields=False: read the name only, not every column of the model (for
        # res.users that is ~70 fields and costs more than the whole batch's reasons).
        records = self.env[model].sudo().with_context(
            active_test=False, prefetch_fields=False).browse(list(ids))
        return dict(records.name_get())
