# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Matching before routing (issue 14): ``sales.allocation.match``.

``_find(lead_ids)``: the strongest match of each lead among the open leads and
opportunities that have an owner, in ONE query per batch. Every key of the batch is
looked up through the partial index of its column (``crm_lead_match_*_idx``), one
``LATERAL ... LIMIT 1`` per key returning the best lead of that key (an opportunity
before a lead, then the oldest); the engine's ``dedupe.best_match`` then ranks the
strengths. The result feeds ``engine.allocate(matches=...)``; the rule's
``match_policy`` decides what a match does.

``_rows(decisions)``: what the decisions that used a match store on the lead
(``match_lead_id``, ``match_reason``, ``match_flagged``); the ledger writes it in the
statement that writes the owner (a second UPDATE of the batch's rows would cost as
much again).

Settings (``ir.config_parameter``, edited in the CRM settings): which strengths are on
(``sales_allocation.match_strengths``, all when unset) and the public mail domains
(``sales_allocation.public_mail_domains``, ``dedupe.PUBLIC_MAIL_DOMAINS`` when unset).
"""
from odoo import _, api, models

from ..engine import dedupe
from ..sql import int_array, open_lead_sql, unnest_sql

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
        """lead id -> ``dedupe.Candidate`` of its strongest match (with an owner), for
        those of ``lead_ids`` that have one. One read of the batch's keys, one query."""
        enabled = self._enabled_strengths()
        if not lead_ids or not enabled:
            return {}
        cr = self.env.cr
        public = self._public_domains() if "domain" in enabled else frozenset()
        cr.execute("""
            SELECT id, company_id, match_email, match_domain, match_phone,
                   match_mobile, match_company, match_vat
              FROM crm_lead WHERE id = ANY(%s::int[])
        """, [int_array(lead_ids)])
        keys = []
        for (lead_id, company_id, email, domain, phone, mobile, company,
             vat) in cr.fetchall():
            wanted = (("email", email),
                      ("domain", domain if domain and dedupe.email_domain(
                          "x@" + domain, public) else None),
                      ("phone", phone), ("phone", mobile if mobile != phone else None),
                      ("company", company), ("vat", vat))
            keys.extend((lead_id, company_id, strength, key) for strength, key in wanted
                        if key and strength in enabled)
        if not keys:
            return {}
        values, params = unnest_sql(keys, ["int", "int", "varchar", "varchar"])
        branches = []
        for strength, column in _LOOKUPS:
            if strength not in enabled:
                continue
            # Behind LIMIT 1, the key's leads come from the column's partial index.
            branches.append("""
                SELECT k.lead_id, k.strength, c.*
                  FROM k CROSS JOIN LATERAL (
                       SELECT l.id, l.type = 'opportunity', l.create_date, l.user_id
                         FROM crm_lead l
                        WHERE l.%(column)s = k.key AND l.id <> k.lead_id
                          AND l.user_id IS NOT NULL AND %(open)s
                          AND l.company_id IS NOT DISTINCT FROM k.company_id
                        ORDER BY l.type = 'opportunity' DESC, l.create_date, l.id
                        LIMIT 1) AS c
                 WHERE k.strength = '%(strength)s'
            """ % {"column": column, "strength": strength, "open": open_lead_sql("l")})
        cr.execute("WITH k AS (SELECT * FROM " + values +
                   " AS k(lead_id, company_id, strength, key)) " +
                   " UNION ALL ".join(branches), params)
        candidates = {}
        for lead_id, strength, match_id, is_opportunity, create_date, user_id in \
                cr.fetchall():
            candidates.setdefault(lead_id, []).append(dedupe.Candidate(
                match_id, strength, is_opportunity, create_date, user_id))
        matches = {}
        for lead_id, found in candidates.items():
            best = dedupe.best_match(found, enabled)
            if best is not None:
                matches[lead_id] = best
        return matches

    # ------------------------------------------------------------------ words

    @api.model
    def _lead_names(self, lead_ids):
        """lead id -> the customer's name as a person reads it: the company of the
        lead, else its customer's, else the lead's own name."""
        if not lead_ids:
            return {}
        self.env.cr.execute("""
            SELECT l.id, COALESCE(NULLIF(l.partner_name, ''), cp.name, l.name)
              FROM crm_lead l
              LEFT JOIN res_partner p ON p.id = l.partner_id
              LEFT JOIN res_partner cp ON cp.id = p.commercial_partner_id
             WHERE l.id IN %s
        """, [tuple(lead_ids)])
        return dict(self.env.cr.fetchall())

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
    def _rows(self, decisions):
        """lead id -> (match lead id, match reason, flagged) of the decisions that used
        a match (owner, fall-back or flag): the ledger's ``Move.match``."""
        found = []
        for decision in decisions:
            for code, params in decision.reasons:
                if code in MATCH_CODES:
                    found.append((decision.lead_id, code, params))
                    break
        if not found:
            return {}
        names = self._lead_names({params["lead_id"] for _lead, _code, params in found})
        users = self.env["sales.allocation.reasons"].names(
            "res.users", {params["user_id"] for _lead, _code, params in found
                          if params.get("user_id")})
        words = self._words()
        return {lead_id: (params["lead_id"], self._phrase(
                    params["strength"], names.get(params["lead_id"], ""),
                    users.get(params.get("user_id"), ""), words), code == "duplicate")
                for lead_id, code, params in found}
