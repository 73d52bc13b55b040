# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Masked contact details of pool leads (issue 14), enforced on the server.

A pool with ``mask_contacts`` hides the phone, mobile, email and contact name of its
leads from every user who neither owns the lead nor sees all leads (managers): a rep
sees ``138****8000`` and ``w***@huadong-steel.com.cn`` until he claims the lead. The
masks (``engine.masking``) apply to ``read`` (forms, lists, kanban, ``search_read``,
XML-RPC) and ``export_data``; a search condition on one of these fields never matches
a masked lead (``_where_calc``: search, ``search_count``, ``name_search``,
``read_group``), and grouping by one of them is refused: the group would show the
value.
"""
from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.osv import expression

from ..access import sees_all_leads
from ..engine.masking import mask_value

# Field -> kind of mask. The partner's own contact fields shown on the lead count too.
MASKED_FIELDS = {
    "phone": "phone", "mobile": "mobile", "email_from": "email",
    "contact_name": "name", "partner_address_email": "email",
    "partner_address_name": "name", "partner_address_phone": "phone",
    "partner_address_mobile": "mobile",
}


class CrmLead(models.Model):
    _inherit = "crm.lead"

    pool_contacts_masked = fields.Boolean(
        string="Contact Details Hidden", compute="_compute_pool_contacts_masked",
        search="_search_pool_contacts_masked",
        help="The lead's pool hides its contact details from you until you claim it.")

    def _compute_pool_contacts_masked(self):
        masked = self._pool_masked_ids()
        for lead in self:
            lead.pool_contacts_masked = lead.id in masked

    def _search_pool_contacts_masked(self, operator, value):
        if operator not in ("=", "!="):
            raise ValueError(_("Unsupported search on Contact Details Hidden: %s")
                             % operator)
        positive = (operator == "=") == bool(value)
        if sees_all_leads(self.env):
            return [("id", "=", 0)] if positive else []
        query = ("SELECT l.id FROM crm_lead l"
                 " JOIN sales_allocation_pool p ON p.id = l.pool_id"
                 " WHERE p.mask_contacts AND (l.user_id IS NULL OR l.user_id <> %s)")
        return [("id", "inselect" if positive else "not inselect",
                 (query, [self.env.uid]))]

    def _pool_masked_ids(self):
        """The ids of these leads whose contact details the current user may not see."""
        ids = [lead_id for lead_id in self.ids if isinstance(lead_id, int)]
        if not ids or sees_all_leads(self.env):
            return set()
        self.env.cr.execute("""
            SELECT l.id FROM crm_lead l
              JOIN sales_allocation_pool p ON p.id = l.pool_id
             WHERE l.id IN %s AND p.mask_contacts
               AND (l.user_id IS NULL OR l.user_id <> %s)
        """, [tuple(ids), self.env.uid])
        return {row[0] for row in self.env.cr.fetchall()}

    @api.multi
    def read(self, fields=None, load="_classic_read"):
        result = super(CrmLead, self).read(fields=fields, load=load)
        names = [name for name in MASKED_FIELDS
                 if name in self._fields and (not fields or name in fields)]
        if not names or not result:
            return result
        masked = self._pool_masked_ids()
        if masked:
            for row in result:
                if row["id"] in masked:
                    for name in names:
                        if name in row:
                            row[name] = mask_value(MASKED_FIELDS[name], row[name])
        return result

    @api.multi
    def export_data(self, fields_to_export, raw_data=False):
        masked = self._pool_masked_ids()
        columns = [index for index, path in enumerate(fields_to_export)
                   if path.split("/")[0] in MASKED_FIELDS
                   and "/" not in path.rstrip("/")]
        if not masked or not columns:
            return super(CrmLead, self).export_data(fields_to_export, raw_data=raw_data)
        # Runs of masked and visible leads, in the caller's order.
        rows, run, run_masked = [], [], None
        for lead in self:
            hidden = lead.id in masked
            if run and hidden != run_masked:
                rows += self._export_run(run, run_masked, fields_to_export, raw_data,
                                         columns)
                run = []
            run.append(lead.id)
            run_masked = hidden
        if run:
            rows += self._export_run(run, run_masked, fields_to_export, raw_data, columns)
        return {"datas": rows}

    def _export_run(self, ids, hidden, fields_to_export, raw_data, columns):
        # The export of crm (below this override), for one run of leads.
        rows = super(  # pylint: disable=super-method-mismatch
            CrmLead, self.browse(ids)).export_data(
            fields_to_export, raw_data=raw_data)["datas"]
        if hidden:
            for row in rows:
                for index in columns:
                    kind = MASKED_FIELDS[fields_to_export[index].split("/")[0]]
                    row[index] = mask_value(kind, row[index]) if row[index] else row[index]
        return rows

    @api.model
    def _where_calc(self, domain, active_test=True):
        if domain and not sees_all_leads(self.env):
            domain = self._pool_mask_domain(domain)
        return super(CrmLead, self)._where_calc(domain, active_test=active_test)

    @api.model
    def _pool_mask_domain(self, domain):
        """``domain`` where a condition on a masked field never matches a masked lead."""
        if not any(isinstance(term, (list, tuple)) and len(term) == 3
                   and isinstance(term[0], str) and term[0].split(".")[0] in MASKED_FIELDS
                   for term in domain):
            return domain
        result = []
        for term in expression.normalize_domain(list(domain)):
            if (isinstance(term, (list, tuple)) and len(term) == 3
                    and isinstance(term[0], str)
                    and term[0].split(".")[0] in MASKED_FIELDS):
                result += ["&", tuple(term), ("pool_contacts_masked", "=", False)]
            else:
                result.append(term)
        return result

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False,
                   lazy=True):
        groups = [groupby] if isinstance(groupby, str) else list(groupby or [])
        if not sees_all_leads(self.env) and any(
                name.split(":")[0] in MASKED_FIELDS for name in groups):
            raise AccessError(_(
                "Leads cannot be grouped by phone, mobile, email or contact name: pool "
                "leads hide them until they are claimed. Group by another field."))
        return super(CrmLead, self).read_group(
            domain, fields, groupby, offset=offset, limit=limit, orderby=orderby,
            lazy=lazy)
