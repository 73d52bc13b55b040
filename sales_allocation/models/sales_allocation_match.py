# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Matching before routing (issue 14): ``sales.allocation.match``.

``_find_batch(lead_ids)`` (``_find``: its first half): the strongest match of each
lead among the open leads and opportunities that have an owner (outside the batch) and
the customers with a salesperson (``res.partner.user_id``, active, of the lead's
company or shared), in ONE query per batch (after one that reads which strengths the
batch has keys of, and its email domains: the admin's list of public mail domains
leaves some out). Every key of the batch is looked up through the partial index of its
column (``crm_lead_match_*_idx``, ``res_partner_match_*_idx``), one ``LATERAL ...
LIMIT 1`` per key and table returning the best lead of that key (an opportunity before
a lead, then the oldest) and the oldest customer; the engine's ``dedupe.best_match``
then ranks them: the strongest key wins, and within one strength
an opportunity beats a lead, which beats a customer (his salesperson was given him
once; an open lead is being worked now), then the oldest. A customer travels as a
``Candidate`` whose ``lead_id`` is his partner id negated (``dedupe.customer_id``);
the reason names him ("same email domain as 华东钢铁有限公司 (李娜)") and
``match_lead_id`` stays empty. The rule's ``match_policy`` decides what a match does,
and a salesperson archived, away or over his cap falls back as a lead's owner does.

The leads of one batch (a backlog batch, ``action_allocate``, a simulation) are matched
with each other too, in the same query (a window over the batch's keys): the first
lead of a key (oldest, lowest id) is routed as usual and the later ones
whose best match it is follow it (``_decide``: they are decided after it, with its
owner as their match's owner; the reason names it).

``_rows(decisions, names, users)``: what the decisions that used a match store on
the lead (``match_lead_id``, ``match_reason``, ``match_flagged``); the ledger writes it
in the statement that writes the owner (a second UPDATE of the batch's rows would cost
as much again).

Settings (``ir.config_parameter``, edited in the CRM settings): which strengths are on
(``sales_allocation.match_strengths``, all when unset) and the public mail domains
(``sales_allocation.public_mail_domains``, ``dedupe.PUBLIC_MAIL_DOMAINS`` when unset).
"""
from collections import defaultdict

from odoo import _, api, models

from ..engine import dedupe
from ..sql import int_array, open_lead_sql

STRENGTHS_PARAM = "sales_allocation.match_strengths"
PUBLIC_DOMAINS_PARAM = "sales_allocation.public_mail_domains"
MATCH_CODES = ("match", "match_fallback", "duplicate")

# strength -> the key columns of the existing leads a key of that strength is looked up
# in (a phone key is looked up in both phone columns).
_LOOKUPS = (
    ("email", "match_email"),
    ("domain", "match_domain"),
    ("phone", "match_phone"),
    ("phone", "match_mobile"),
    ("company", "match_company"),
    ("vat", "match_vat"),
)


class SalesAllocationMatch(models.AbstractModel):
    _name = "sales.allocation.match"
    _description = "Lead allocation: matching leads of one customer"

    # ------------------------------------------------------------------ settings

    @api.model
    def _enabled_strengths(self):
        value = self.env["ir.config_parameter"].sudo().get_param(STRENGTHS_PARAM)
        if value is False or value is None:
            return frozenset(dedupe.STRENGTHS)
        return frozenset(item.strip() for item in value.split(",")
                         if item.strip() in dedupe.STRENGTHS)

    @api.model
    def _public_domains(self):
        value = self.env["ir.config_parameter"].sudo().get_param(PUBLIC_DOMAINS_PARAM)
        if value is False or value is None:
            return dedupe.PUBLIC_MAIL_DOMAINS
        return dedupe.parse_domain_list(value)

    @api.model
    def _default_public_domains_text(self):
        return "\n".join(sorted(dedupe.PUBLIC_MAIL_DOMAINS))

    # ------------------------------------------------------------------ finding

    @api.model
    def _find(self, lead_ids):
        """lead id -> ``dedupe.Candidate`` of its strongest match (with an owner) among
        the open leads outside ``lead_ids`` and the customers with a salesperson, for
        those of ``lead_ids`` that have one. One read of the batch's keys, one query."""
        return self._find_batch(lead_ids)[0]

    @api.model
    def _find_batch(self, lead_ids):
        """``(matches, followers)`` of a batch of leads allocated together.

        ``matches``: as ``_find`` answers. ``followers``: lead id -> the
        ``dedupe.Candidate`` of an earlier lead of the same batch (owner ``None``: it
        has none yet) that is a better match than any in ``matches``: the lead goes
        where that lead goes (``_decide``). Two queries: which strengths the batch
        has keys of and its distinct email domains (which of them are public mail
        domains is decided here, by ``dedupe.public_domain``), then its matches
        (``_candidates``, for those strengths only); the second one not at all when
        the batch has no key.
        """
        enabled = self._enabled_strengths()
        if not lead_ids or not enabled:
            return {}, {}
        cr = self.env.cr
        batch = int_array(lead_ids)
        # Which strengths the batch has keys of, and its email domains: a lookup only
        # for those (one create usually has two or three), none without any key.
        cr.execute("""
            SELECT bool_or(match_email IS NOT NULL),
                   array_agg(DISTINCT match_domain)
                       FILTER (WHERE match_domain IS NOT NULL),
                   bool_or(match_phone IS NOT NULL OR match_mobile IS NOT NULL),
                   bool_or(match_company IS NOT NULL), bool_or(match_vat IS NOT NULL)
              FROM crm_lead WHERE id = ANY(%s::int[])
        """, [batch])
        email, domains, phone, company, vat = cr.fetchone()
        public = []
        if domains and "domain" in enabled:
            listed = self._public_domains()
            public = sorted(domain for domain in domains
                            if dedupe.public_domain(domain, listed))
        present = {strength for strength, keyed in (
            ("email", email), ("domain", len(domains or ()) > len(public)),
            ("phone", phone), ("company", company), ("vat", vat)) if keyed}
        if not enabled & present:
            return {}, {}
        found, mates = defaultdict(list), defaultdict(list)
        for (lead_id, in_batch, match_id, strength, is_opportunity, create_date,
             user_id) in self._candidates(batch, enabled & present, public,
                                          len(set(lead_ids)) > 1):
            (mates if in_batch else found)[lead_id].append(dedupe.Candidate(
                match_id, strength, is_opportunity, create_date, user_id))
        matches, followers = {}, {}
        for lead_id in set(found) | set(mates):
            best = dedupe.best_match(found.get(lead_id, ()), enabled)
            first = dedupe.best_match(found.get(lead_id, []) + mates[lead_id], enabled) \
                if lead_id in mates else best
            if best is not None:
                matches[lead_id] = best
            if first is not None and first is not best:
                followers[lead_id] = first
        return matches, followers

    @api.model
    def _candidates(self, batch, enabled, public=(), in_batch=True):
        """The candidates of the leads of ``batch`` (an ``int_array``) for the
        ``enabled`` strengths, their email domains in ``public`` left out (and of each
        other unless ``in_batch`` is false: one lead has no other): rows
        ``(lead id, in batch, candidate id, strength, is opportunity, create date,
        owner id)``, ONE query.

        Not in batch: for each key of a lead, the best open lead with an owner outside
        the batch (an opportunity before a lead, then the oldest) and the oldest
        active customer with a salesperson (candidate id: the partner id negated,
        ``dedupe.customer_id``). In batch (owner ``None``: none yet): for each key a
        lead shares with earlier leads of the batch, the first of them (the oldest,
        then the lowest id; within one company): the lead follows it.

        Each distinct (company, strength, key) of the batch is looked up once,
        whatever the number of its leads that share it (a big customer's domain may be
        on thousands of them), through the partial index of its column, one ``LATERAL
        ... LIMIT 1`` per key and column: ``crm_lead_match_*_idx`` for the leads and
        ``res_partner_match_*_idx`` (only partners with a salesperson are in it) for
        the customers. A phone key is looked up in both phone columns. The batch's own
        leads are left out through one hashed list of its ids, built once per query.
        """
        wanted = [(strength, column) for strength, column in _LOOKUPS
                  if strength in enabled]
        branches = []
        for strength, column in wanted:
            # LIMIT 1 reads the first entry of the column's index of candidates
            # (crm_lead_match_*_owner_idx: key, company, then this ORDER BY).
            branches.append("""
                SELECT k.company_id, k.strength, k.key, c.*
                  FROM k CROSS JOIN LATERAL (
                       SELECT l.id, l.type = 'opportunity', l.create_date, l.user_id
                         FROM crm_lead l
                        WHERE l.%(column)s = k.key
                          AND l.id NOT IN (SELECT b.id FROM b)
                          AND l.user_id IS NOT NULL AND %(open)s
                          AND COALESCE(l.company_id, 0) = k.company_id
                        ORDER BY l.type = 'opportunity' DESC, l.create_date, l.id
                        LIMIT 1) AS c
                 WHERE k.strength = '%(strength)s'
            """ % {"column": column, "strength": strength, "open": open_lead_sql("l")})
            # A customer with a salesperson: a partner of the lead's company or shared.
            branches.append("""
                SELECT k.company_id, k.strength, k.key, -c.id, FALSE, c.create_date,
                       c.user_id
                  FROM k CROSS JOIN LATERAL (
                       SELECT p.id, p.create_date, p.user_id
                         FROM res_partner p
                        WHERE p.%(column)s = k.key AND p.user_id IS NOT NULL
                          AND p.active
                          AND (p.company_id IS NULL OR p.company_id = k.company_id)
                        ORDER BY p.create_date, p.id
                        LIMIT 1) AS c
                 WHERE k.strength = '%(strength)s'
            """ % {"column": column, "strength": strength})
        # The batch's keys, one row per lead and key (a mobile equal to the phone is
        # one key).
        keys = ", ".join(
            "('%s', %s)" % (strength, "NULLIF(n.match_mobile, n.match_phone)"
                            if column == "match_mobile" else "n." + column)
            for strength, column in wanted)
        self.env.cr.execute("""
            WITH b AS (SELECT unnest(%(batch)s::int[]) AS id),
                 bk AS (SELECT n.id AS lead_id, COALESCE(n.company_id, 0) AS company_id,
                               s.strength, s.key, n.type = 'opportunity' AS opportunity,
                               n.create_date
                          FROM crm_lead n CROSS JOIN LATERAL (VALUES """ + keys + """)
                               AS s(strength, key)
                         WHERE n.id = ANY(%(batch)s::int[]) AND s.key IS NOT NULL
                           AND (s.strength <> 'domain'
                                OR s.key <> ALL(%(public)s::varchar[]))),
                 k AS (SELECT DISTINCT company_id, strength, key FROM bk),
                 m (company_id, strength, key, id, opportunity, create_date,
                    user_id) AS (""" + " UNION ALL ".join(branches) + """)
            SELECT bk.lead_id, FALSE, m.id, m.strength, m.opportunity, m.create_date,
                   m.user_id
              FROM bk JOIN m USING (company_id, strength, key)
        """ + ("""
            UNION ALL
            SELECT f.lead_id, TRUE, f.first_id, f.strength, f.opportunity,
                   f.create_date, NULL
              FROM (SELECT bk.lead_id, bk.strength,
                           first_value(bk.lead_id) OVER w AS first_id,
                           first_value(bk.opportunity) OVER w AS opportunity,
                           first_value(bk.create_date) OVER w AS create_date
                      FROM bk
                    WINDOW w AS (PARTITION BY bk.company_id, bk.strength, bk.key
                                 ORDER BY bk.create_date NULLS LAST, bk.lead_id)) AS f
             WHERE f.first_id <> f.lead_id
        """ if in_batch else ""), {"batch": batch, "public": list(public)})
        return self.env.cr.fetchall()

    # ------------------------------------------------------------------ deciding

    @api.model
    def _decide(self, deciders, queues, load_of=None, followers=None):
        """Run ``deciders`` (``sales.allocation.gather._decider``) over ``queues``:
        the decisions of their leads, ONE owner per customer of the batch.

        ``followers`` (``_find_batch``): a lead that matches an earlier lead of the
        batch better than anything else waits until that lead is decided, then goes
        to its owner as to a match's (the rule's ``match_policy`` applies, and an owner
        archived, away or over his cap falls back as usual). A lead whose earlier lead
        got no owner (pool, held, unallocated) is decided with its other match, if
        any. Passes: everything else first (in the batch's order), then the followers
        whose lead is decided, and so on (one pass more per link of a chain: leads
        A, B, C where only B shares a key with A and C with B).

        ``load_of`` (the engine's lazy loads) is asked once per user over all passes
        and deciders: the members keep the open leads counted by an earlier one.
        """
        if load_of is not None:
            load_of = self._load_once(load_of)
        pending = dict(followers or ())
        pick = (lambda lead_id: lead_id not in pending) if pending else None
        extra, decisions, owners = None, [], {}
        while True:
            done = [decision for run in deciders for decision in run(
                queues, load_of=load_of, pick=pick, extra_matches=extra)]
            decisions.extend(done)
            if not pending:
                return decisions
            owners.update((decision.lead_id, decision.user_id) for decision in done)
            decided = {lead_id: match for lead_id, match in pending.items()
                       if match.lead_id in owners}
            if not decided:  # a first lead no plan decided: the rest as they are
                decided = dict(pending)
            for lead_id in decided:
                del pending[lead_id]
            pick = decided.__contains__
            extra = {lead_id: match._replace(owner_id=owners[match.lead_id])
                     for lead_id, match in decided.items() if owners.get(match.lead_id)}

    @api.model
    def _load_once(self, load_of):
        """``load_of`` asked at most once per user: the later questions answer 0, the
        members' loads holding what the first answer added."""
        asked = set()

        def once(user_ids):
            fresh = [user_id for user_id in user_ids if user_id not in asked]
            asked.update(fresh)
            counts = load_of(fresh) if fresh else {}
            return {user_id: counts.get(user_id, 0) for user_id in user_ids}
        return once

    # ------------------------------------------------------------------ words

    @api.model
    def _lead_names(self, lead_ids):
        """lead id -> the customer's name as a person reads it: the company of the
        lead, else its customer's, else the lead's own name. The ids of customer
        candidates (``dedupe.customer_id``) give the partner's display name."""
        lead_ids = set(lead_ids or ())
        partner_ids = {dedupe.customer_id(lead_id) for lead_id in lead_ids} - {None}
        lead_ids = {lead_id for lead_id in lead_ids if lead_id and lead_id > 0}
        names = {}
        if lead_ids:
            self.env.cr.execute("""
                SELECT l.id, COALESCE(NULLIF(l.partner_name, ''), cp.name, l.name)
                  FROM crm_lead l
                  LEFT JOIN res_partner p ON p.id = l.partner_id
                  LEFT JOIN res_partner cp ON cp.id = p.commercial_partner_id
                 WHERE l.id IN %s
            """, [tuple(lead_ids)])
            names.update(self.env.cr.fetchall())
        if partner_ids:
            self.env.cr.execute("""
                SELECT -id, COALESCE(NULLIF(display_name, ''), name) FROM res_partner
                 WHERE id IN %s
            """, [tuple(partner_ids)])
            names.update(self.env.cr.fetchall())
        return names

    @api.model
    def _reason_names(self, reasons_tuples):
        """lead id -> name of the matched leads the reasons tuples mention."""
        return self._lead_names({
            params["lead_id"] for reasons in reasons_tuples for code, params in reasons
            if code in MATCH_CODES})

    @api.model
    def _phrase(self, strength, match_name, user_name, words=None):
        """``same email domain as 华东钢铁有限公司 (李娜)``; ``words``: ``_words()``,
        when phrasing many."""
        template, templates = words or self._words()
        return template % {
            "strength": templates.get("strength_%s" % strength, strength),
            "match": match_name, "user": user_name}

    @api.model
    def _words(self):
        """The translated phrase and reason templates, looked up once per batch."""
        return (_("same %(strength)s as %(match)s (%(user)s)"),
                self.env["sales.allocation.reasons"]._templates())

    # ------------------------------------------------------------------ recording

    @api.model
    def _rows(self, decisions, names, users):
        """lead id -> (match lead id, match reason, flagged) of the decisions that used
        a match (owner, fall-back or flag): the ledger's ``Move.match``. ``names``:
        the matched leads' names (``_reason_names``), ``users``: user id -> name, both
        as read once for the reasons too (``sales.allocation.reasons.read_names``)."""
        found = []
        for decision in decisions:
            for code, params in decision.reasons:
                if code in MATCH_CODES:
                    found.append((decision.lead_id, code, params))
                    break
        if not found:
            return {}
        words = self._words()
        rows, phrased = {}, {}  # many leads of a batch share their match: phrase once
        for lead_id, code, params in found:
            match_id, user_id, strength = (params["lead_id"], params.get("user_id"),
                                           params["strength"])
            phrase = phrased.get((match_id, user_id, strength))
            if phrase is None:
                phrase = phrased[(match_id, user_id, strength)] = self._phrase(
                    strength, names.get(match_id, ""), users.get(user_id, ""), words)
            # A customer's salesperson (no lead): the reason says who, the lead field
            # none.
            rows[lead_id] = (match_id if match_id > 0 else None, phrase,
                             code == "duplicate")
        return rows
