# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""crm.lead: the normalized match keys of a lead, and its match (issue 14).

The keys (``match_*`` columns, built by the pure ``engine.dedupe``) are stored on the
lead and indexed, so that ``sales.allocation.match`` finds the matches of a whole
batch with one query. They are written set-based: ``_match_store_keys`` reads the raw
values of many leads in one query and updates them in one statement. The outermost
``create``/``write`` (``crm_lead_flow.py``) call it; ``init`` fills the leads that
existed before (install or upgrade).

The email domain is stored whatever the domain (public mail providers included): the
list of public domains is a setting, applied when matching, so changing it needs no
rewrite of the keys.
"""
import logging

from odoo import _, api, fields, models
from odoo.tools import split_every

from ..engine import dedupe
from ..sql import int_array, open_lead_sql, unnest_sql

_logger = logging.getLogger(__name__)

# Odoo's phone_validation parses with phonenumbers. Its tools are imported, not the
# module installed: a new dependency would stop "-u sales_allocation" of an installed
# database ("Unmet dependencies"), and the tools need none of its models.
try:
    import phonenumbers
    from odoo.addons.phone_validation.tools import phone_validation
except ImportError:  # pragma: no cover - phonenumbers ships with the venv
    phonenumbers = phone_validation = None

# The lead fields the keys are built from: a write of one of them rebuilds the keys.
MATCH_SOURCE_FIELDS = frozenset((
    "email_from", "phone", "mobile", "partner_name", "partner_id", "country_id",
    "company_id"))
MATCH_KEY_COLUMNS = ("match_email", "match_domain", "match_phone", "match_mobile",
                     "match_company", "match_vat")
FILL_BATCH = 10000


def phone_key(number, country_code):
    """One phone key for ``number``, whichever way it is written.

    Parsed with Odoo's ``phone_validation`` (phonenumbers) in the lead's country, then
    written as ``dedupe.digits_only`` writes keys, so that a number parsed and one that
    could not be (no country, odd format) give the same key when they are the same.
    """
    if not isinstance(number, str) or not number.strip():
        return None
    if phone_validation is not None and country_code:
        try:
            parsed = phone_validation.phone_parse(number, country_code)
            if parsed:
                return dedupe.digits_only(phonenumbers.format_number(
                    parsed, phonenumbers.PhoneNumberFormat.E164))
        except Exception:  # any parse failure: the digits fallback below
            _logger.debug("phone %r not parsed for %s", number, country_code)
    return dedupe.digits_only(number)


def store_keys(cr, table, sources):
    """Write the match keys of ``sources`` (rows of id and ``lead_keys``' arguments)
    into ``table`` (crm_lead or res_partner), one statement, rows whose keys did not
    change left alone; returns the ids of ``sources``."""
    rows = [(row[0],) + lead_keys(*row[1:]) for row in sources]
    if not rows:
        return []
    values, params = unnest_sql(rows, ["int"] + ["varchar"] * len(MATCH_KEY_COLUMNS))
    # The table is one of two constants of the callers; the columns a module constant.
    cr.execute(  # pylint: disable=sql-injection
        "UPDATE " + table + " t SET " + ", ".join(
            "%s = v.%s" % (column, column) for column in MATCH_KEY_COLUMNS) +
        " FROM " + values + " AS v(id, " + ", ".join(MATCH_KEY_COLUMNS) + ")"
        " WHERE t.id = v.id AND (" + " OR ".join(
            "t.%s IS DISTINCT FROM v.%s" % (column, column)
            for column in MATCH_KEY_COLUMNS) + ")", params)
    return [row[0] for row in rows]


def lead_keys(email, phone, mobile, company, vat, country_code):
    """The stored keys of one lead, in ``MATCH_KEY_COLUMNS`` order."""
    email_key = dedupe.normalize_email(email)
    domain = dedupe.email_domain(email_key, frozenset()) if email_key else None
    return (email_key, domain, phone_key(phone, country_code),
            phone_key(mobile, country_code), dedupe.normalize_company(company),
            dedupe.normalize_vat(vat))


class CrmLead(models.Model):
    _inherit = "crm.lead"

    match_email = fields.Char(string="Match Key: Email", readonly=True, copy=False)
    match_domain = fields.Char(string="Match Key: Email Domain", readonly=True,
                               copy=False)
    match_phone = fields.Char(string="Match Key: Phone", readonly=True, copy=False)
    match_mobile = fields.Char(string="Match Key: Mobile", readonly=True, copy=False)
    match_company = fields.Char(string="Match Key: Company", readonly=True, copy=False)
    match_vat = fields.Char(string="Match Key: VAT", readonly=True, copy=False)
    match_lead_id = fields.Many2one(
        "crm.lead", string="Matched Lead", readonly=True, copy=False,
        ondelete="set null",
        help="The open lead or opportunity of the same customer found when this lead "
             "was allocated (same email, email domain, phone, company name or VAT).")
    match_reason = fields.Char(
        string="Match", readonly=True, copy=False,
        help="What this lead shares with the matched lead, and who owns it.")
    match_flagged = fields.Boolean(
        string="Possible Duplicate", readonly=True, copy=False,
        help="Set by a rule whose match policy is \"Flag as duplicate\": review it in "
             "Duplicates and merge it with its match, or dismiss it.")
    match_owner_id = fields.Many2one(
        "res.users", string="Owner of the Match", related="match_lead_id.user_id",
        readonly=True)

    @api.model_cr
    def init(self):
        result = super(CrmLead, self).init()
        cr = self.env.cr
        # The match query looks each key up through these (sales.allocation.match):
        # the candidates only (an owner, open), in the order it ranks them (an
        # opportunity first, then the oldest), so that its LIMIT 1 reads one entry
        # even for a customer with thousands of leads. Replace the key-only indexes
        # of 11.0.2.0.0's first builds.
        for column in MATCH_KEY_COLUMNS:  # identifiers of a module constant
            cr.execute(  # pylint: disable=sql-injection
                "DROP INDEX IF EXISTS crm_lead_%s_idx" % column)
            cr.execute(  # pylint: disable=sql-injection
                """
                CREATE INDEX IF NOT EXISTS crm_lead_%(column)s_owner_idx
                    ON crm_lead (%(column)s, (COALESCE(company_id, 0)),
                                 (type = 'opportunity') DESC, create_date, id)
                 WHERE %(column)s IS NOT NULL AND user_id IS NOT NULL AND %(open)s
            """ % {"column": column, "open": open_lead_sql()})
        cr.execute("CREATE INDEX IF NOT EXISTS crm_lead_match_flagged_idx "
                   "ON crm_lead (id) WHERE match_flagged")
        self._match_fill_keys()
        return result

    @api.model
    def _match_fill_keys(self):
        """Build the keys of the leads that have none although they have contact
        details (install, upgrade, reinstall; rows written past the ORM), batch by
        batch. One scan of the table when every lead has its keys."""
        self.env.cr.execute("""
            SELECT id FROM crm_lead
             WHERE match_email IS NULL AND match_phone IS NULL
               AND match_mobile IS NULL AND match_company IS NULL AND match_vat IS NULL
               AND (COALESCE(email_from, '') <> '' OR COALESCE(phone, '') <> ''
                    OR COALESCE(mobile, '') <> '' OR COALESCE(partner_name, '') <> ''
                    OR partner_id IS NOT NULL)
             ORDER BY id
        """)
        lead_ids = [row[0] for row in self.env.cr.fetchall()]
        for batch in split_every(FILL_BATCH, lead_ids):
            self.browse(list(batch))._match_store_keys()
        if lead_ids:
            _logger.info("sales_allocation: match keys built for %d leads", len(lead_ids))

    # ------------------------------------------------------------------ keys

    @api.multi
    def _match_keys_after_write(self, vals):
        """Rebuild the keys of these leads when ``vals`` changed what they come from."""
        if MATCH_SOURCE_FIELDS.intersection(vals):
            self._match_store_keys()

    @api.multi
    def _match_store_keys(self):
        """Build and store the keys of these leads: one read, one update."""
        if not self.ids:
            return
        cr = self.env.cr
        ids = int_array(self.ids)
        # Country: the lead's, else its contact's, else its company's.
        cr.execute("""
            SELECT l.id, l.email_from, l.phone, l.mobile,
                   COALESCE(NULLIF(l.partner_name, ''),
                            CASE WHEN cp.is_company THEN cp.name END),
                   cp.vat, COALESCE(c.code, pc.code, cc.code)
              FROM crm_lead l
              LEFT JOIN res_partner p ON p.id = l.partner_id
              LEFT JOIN res_partner cp ON cp.id = p.commercial_partner_id
              LEFT JOIN res_country c ON c.id = l.country_id
              LEFT JOIN res_country pc ON pc.id = p.country_id
              LEFT JOIN res_company co ON co.id = l.company_id
              LEFT JOIN res_partner cop ON cop.id = co.partner_id
              LEFT JOIN res_country cc ON cc.id = cop.country_id
             WHERE l.id = ANY(%s::int[])
        """, [ids])
        if store_keys(cr, "crm_lead", cr.fetchall()):
            self.invalidate_cache(list(MATCH_KEY_COLUMNS), self.ids)

    # ------------------------------------------------------------------ buttons

    @api.multi
    def action_merge_match(self):
        """Open Odoo's merge wizard on this lead and its match."""
        self.ensure_one()
        self.env["sales.allocation.pool"]._check_pool_manager()
        leads = self | self.match_lead_id
        return {
            "name": _("Merge"),
            "type": "ir.actions.act_window",
            "res_model": "crm.merge.opportunity",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": "crm.lead", "active_ids": leads.ids,
                        "active_id": self.id},
        }

    @api.multi
    def action_match_dismiss(self):
        """Not a duplicate after all: take these leads off the Duplicates list."""
        self.env["sales.allocation.pool"]._check_pool_manager()
        self.sudo().write({"match_flagged": False})
        return True
