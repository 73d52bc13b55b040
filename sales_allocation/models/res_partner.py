# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""res.partner: the digest of new leads, and the match keys of a customer (issue 14).

A customer with a salesperson (``user_id``) is a match candidate of a new lead, as open
leads and opportunities are (``sales.allocation.match``): its keys are stored here,
normalized as the leads' are (``crm_lead_match.lead_keys``): email, email domain,
phone, mobile (in the partner's country, else its company's, else the country of the
partner's company in Odoo), the company name and VAT of its commercial entity (its
company, or itself). They are indexed for the partners with a salesperson only
(``res_partner_match_*_idx``), written set-based on ``create``/``write`` and filled for
the partners with a salesperson that existed before on install and upgrade (``init``,
batch by batch).
"""
import logging

from odoo import _, api, fields, models
from odoo.tools import split_every

from ..sql import int_array
from .crm_lead_match import FILL_BATCH, MATCH_KEY_COLUMNS, store_keys

_logger = logging.getLogger(__name__)

# The partner fields the keys are built from (and the salesperson: the keys of a
# partner given one are built then, if an upgrade's fill skipped him).
PARTNER_MATCH_FIELDS = frozenset((
    "email", "phone", "mobile", "name", "is_company", "parent_id", "vat",
    "country_id", "company_id", "user_id"))
# Those a commercial entity passes on to its contacts' keys (company name, VAT,
# country of their phones).
PARTNER_COMMERCIAL_FIELDS = frozenset((
    "name", "is_company", "parent_id", "vat", "country_id", "company_id"))


class ResPartner(models.Model):
    _inherit = "res.partner"

    match_email = fields.Char(string="Match Key: Email", readonly=True, copy=False)
    match_domain = fields.Char(string="Match Key: Email Domain", readonly=True,
                               copy=False)
    match_phone = fields.Char(string="Match Key: Phone", readonly=True, copy=False)
    match_mobile = fields.Char(string="Match Key: Mobile", readonly=True, copy=False)
    match_company = fields.Char(string="Match Key: Company", readonly=True, copy=False)
    match_vat = fields.Char(string="Match Key: VAT", readonly=True, copy=False)

    @api.model_cr
    def init(self):
        result = super(ResPartner, self).init()
        cr = self.env.cr
        # sales.allocation.match looks the keys of a batch up through these: only the
        # partners with a salesperson are candidates, so only they are indexed.
        # In the order the query ranks them (the oldest first): its LIMIT 1 reads
        # one entry whatever the number of partners sharing a key.
        for column in MATCH_KEY_COLUMNS:  # identifiers of a module constant
            cr.execute(  # pylint: disable=sql-injection
                "DROP INDEX IF EXISTS res_partner_%s_idx" % column)
            cr.execute(  # pylint: disable=sql-injection
                """
                CREATE INDEX IF NOT EXISTS res_partner_%(column)s_owner_idx
                    ON res_partner (%(column)s, create_date, id)
                 WHERE %(column)s IS NOT NULL AND user_id IS NOT NULL
            """ % {"column": column})
        self._match_fill_keys()
        return result

    @api.model
    def _match_fill_keys(self):
        """Build the keys of the partners with a salesperson that have none although
        they have contact details (install, upgrade; rows written past the ORM), batch
        by batch: one read and one update per ``FILL_BATCH`` partners, no ORM write.

        Only they are ever looked up (the indexes hold no other), and parsing phones
        costs about a millisecond per partner: the others get their keys when
        created or written, a salesperson included."""
        self.env.cr.execute("""
            SELECT id FROM res_partner
             WHERE user_id IS NOT NULL
               AND match_email IS NULL AND match_phone IS NULL
               AND match_mobile IS NULL AND match_company IS NULL AND match_vat IS NULL
               AND (COALESCE(email, '') <> '' OR COALESCE(phone, '') <> ''
                    OR COALESCE(mobile, '') <> '' OR COALESCE(vat, '') <> ''
                    OR is_company OR parent_id IS NOT NULL)
             ORDER BY id
        """)
        partner_ids = [row[0] for row in self.env.cr.fetchall()]
        for batch in split_every(FILL_BATCH, partner_ids):
            self.browse(list(batch))._match_store_keys()
        if partner_ids:
            _logger.info("sales_allocation: match keys built for %d partners",
                         len(partner_ids))

    @api.model
    def create(self, vals):
        partner = super(ResPartner, self).create(vals)
        partner._match_store_keys()
        return partner

    @api.multi
    def write(self, vals):
        result = super(ResPartner, self).write(vals)
        if PARTNER_MATCH_FIELDS.intersection(vals):
            self._match_store_keys(
                contacts=bool(PARTNER_COMMERCIAL_FIELDS.intersection(vals)))
        return result

    @api.multi
    def _match_store_keys(self, contacts=False):
        """Build and store the keys of these partners (and, ``contacts``, of the
        contacts of which they are the commercial entity): one read, one update."""
        if not self.ids:
            return
        cr = self.env.cr
        ids = int_array(self.ids)
        cr.execute("""
            SELECT p.id, p.email, p.phone, p.mobile,
                   CASE WHEN cp.is_company THEN cp.name END, cp.vat,
                   COALESCE(c.code, cpc.code, cc.code)
              FROM res_partner p
              LEFT JOIN res_partner cp ON cp.id = COALESCE(p.commercial_partner_id, p.id)
              LEFT JOIN res_country c ON c.id = p.country_id
              LEFT JOIN res_country cpc ON cpc.id = cp.country_id
              LEFT JOIN res_company co ON co.id = p.company_id
              LEFT JOIN res_partner cop ON cop.id = co.partner_id
              LEFT JOIN res_country cc ON cc.id = cop.country_id
             WHERE p.id = ANY(%(ids)s::int[])
                OR (%(contacts)s AND p.commercial_partner_id = ANY(%(ids)s::int[]))
        """, {"ids": ids, "contacts": contacts})
        written = store_keys(cr, "res_partner", cr.fetchall())
        if written:
            self.invalidate_cache(list(MATCH_KEY_COLUMNS), written)

    @api.multi
    def _sales_allocation_digest(self, count):
        """Notify this rep's partner by his own preference (inbox or email)."""
        self.ensure_one()
        if count == 1:
            body = _("A new lead was allocated to you.")
        else:
            body = _("%d new leads were allocated to you.") % count
        return self.with_context(mail_create_nosubscribe=True).message_post(
            body=body, subject=_("New leads"), partner_ids=[self.id],
            subtype="mail.mt_comment", message_type="notification")
