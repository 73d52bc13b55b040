# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Who may change who owns a lead.

Record rules decide which leads a salesman sees and edits; they cannot say "you may edit
this lead but not its owner". A salesman (group "User: Own Documents Only") works the
leads he owns; ownership changes through the allocation rules, a pool claim or release
(which check limits and cooldowns and write as superuser), or a manager. So, for users
outside "User: All Documents" (sales and allocation managers are in it):

- setting the salesperson to someone else (create or write) is refused;
- setting it to himself on a lead he does not own is refused (claim it from its pool);
- clearing it on a pool lead is refused (release it, so the pool's cooldown applies);
- the fields the allocation writes (pool, allocation state, rule, date, reason) are
  read-only for him, over RPC too.

No context key lifts any of this: a context can be sent by any RPC caller. The
addon's own code marks its internal calls with ``internal_context`` (a value no RPC
caller can produce) or runs as superuser; ``is_internal`` is the only test of such a
mark, and ``skips_allocation`` the only test of ``sales_allocation_skip``.

The buttons RPC clients call (claim, release, allocate) first check the ids they were
given (``rpc.check_ids``): integers, of leads that exist.
"""
from odoo import _, api, models
from odoo.exceptions import AccessError

from ..access import ALLOCATION_FIELDS, explicit_owner, sees_all_leads
from ..rpc import check_ids


class CrmLead(models.Model):
    _inherit = "crm.lead"

    @api.model
    def _sa_check_create(self, vals):
        """Refuse what a salesman may not do in a create (see the module's doc)."""
        if sees_all_leads(self.env):
            return
        owner = explicit_owner(self.env, vals)
        if owner and owner != self.env.uid:
            raise AccessError(_(
                "You can only create leads for yourself or leave the salesperson "
                "empty (the assignment rules then choose one). Ask a sales manager to "
                "assign a lead to someone else."))
        self._check_allocation_fields(vals)

    @api.multi
    def _sa_check_write(self, vals):
        """Refuse what a salesman may not do in a write (see the module's doc)."""
        if sees_all_leads(self.env):
            return
        self._check_allocation_fields(vals)
        if "user_id" in vals:
            self._check_owner_change(vals["user_id"] or False)

    @api.multi
    def action_claim(self):
        check_ids(self, _("leads"))
        return super(CrmLead, self).action_claim()

    @api.multi
    def action_release(self):
        check_ids(self, _("leads"))
        return super(CrmLead, self).action_release()

    @api.multi
    def action_allocate(self):
        check_ids(self, _("leads"))
        return super(CrmLead, self).action_allocate()

    @api.model
    def _check_allocation_fields(self, vals):
        protected = sorted(name for name in ALLOCATION_FIELDS
                           if name in vals and name in self._fields)
        if protected:
            raise AccessError(_(
                "Only users who see all leads (Sales access \"User: All Documents\" or "
                "above, such as sales managers and allocation managers) may set %s on a "
                "lead: the allocation rules and the pool's Claim and Release buttons "
                "maintain them.")
                % ", ".join(self._fields[name].string for name in protected))

    @api.multi
    def _check_owner_change(self, new_user_id):
        uid = self.env.uid
        has_pool = "pool_id" in self._fields
        # Current owners as stored, whatever the caller may read (the write itself
        # checks the record rules afterwards).
        for lead in self.sudo():
            owner_id = lead.user_id.id or False
            if owner_id == new_user_id:
                continue
            if new_user_id and new_user_id != uid:
                raise AccessError(_(
                    "You cannot give the lead \"%s\" to another salesperson. Ask a sales "
                    "manager to reassign it.") % lead.name)
            if new_user_id == uid:
                raise AccessError(_(
                    "The lead \"%s\" is not yours: you cannot take it by setting yourself "
                    "as its salesperson. Claim it from its lead pool, or ask a sales "
                    "manager to assign it to you.") % lead.name)
            if has_pool and lead.pool_id:
                raise AccessError(_(
                    "The lead \"%(lead)s\" belongs to the pool \"%(pool)s\": use Release to "
                    "give it back (the pool's cooldown then applies) instead of clearing "
                    "the salesperson.") % {"lead": lead.name, "pool": lead.pool_id.name})
