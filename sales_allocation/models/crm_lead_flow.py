# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The outermost ``crm.lead`` ``create`` and ``write`` of the addon: the only overrides
of the two, imported last in ``models/__init__.py``. Each concern of the addon keeps its
own methods in its own file; this file calls them in an explicit order.

create:
  1. access: a salesman names no one but himself, sets no allocation field
     (``crm_lead_access``);
  2. intent: an explicit salesperson is kept (``manual``), a lead created straight into
     a pool waits there (``pooled``), anything else goes through the rules;
  3. crm creates the record; its match keys are built (``crm_lead_match``);
  4. the log row of a manual or pooled lead, or the allocation (``allocator.allocate``).

write:
  1. access: no handing leads around, no allocation fields (``crm_lead_access``);
  2. before: the owners (a change is logged ``manual``) and what hand-offs compare;
  3. crm writes; a new salesperson restarts the owner's clock (``owner_activity_date``);
     the match keys follow the contact fields (``crm_lead_match``);
  4. the ``manual`` log of changed owners; the owner's own edit is work on the lead
     (``_pool_touch_owner``); hand-offs (``crm_lead_matrix``).

The addon's own owner changes do not come through here: they are written by the
ledger (``sales.allocation.ledger``), which logs them. ``sales_allocation_skip`` (a
plain create or write, for set-ups of tests and benchmarks) is honoured for the
superuser only and means nothing from anybody else (``skips_allocation``).
"""
from odoo import _, api, fields, models

from ..access import explicit_owner, skips_allocation
from .sales_allocation_ledger import LogRow


class CrmLead(models.Model):
    _inherit = "crm.lead"

    @api.model
    def create(self, vals):
        if skips_allocation(self.env):
            lead = super(CrmLead, self).create(vals)
            lead._match_store_keys()
            return lead
        self._sa_check_create(vals)
        now = fields.Datetime.now()
        reasons = self.env["sales.allocation.reasons"]
        owner = explicit_owner(self.env, vals)
        # crm's default salesperson (the current user) is not a choice: dropped.
        vals = dict(vals, user_id=owner)
        if owner:
            vals.setdefault("allocation_state", "manual")
            vals.setdefault("allocation_reason", reasons.manual())
            vals.setdefault("owner_activity_date", now)
        elif vals.get("pool_id"):
            vals.update(allocation_state="pool", allocation_date=now)
        lead = super(CrmLead, self).create(vals)
        lead._match_store_keys()
        ledger = self.env["sales.allocation.ledger"]
        if owner:
            ledger.log([LogRow(lead.id, lead.user_id.id, None, "manual", reasons.manual(),
                               team_id=lead.team_id.id or None)], now)
        elif lead.pool_id:
            pool = lead.pool_id.sudo()
            ledger.log([LogRow(lead.id, None, None, "pooled",
                               _("Created in pool \"%s\".") % pool.name,
                               team_id=lead.team_id.id or None, pool_id=pool.id)], now)
        else:
            self.env["sales.allocation.allocator"].allocate(lead.ids)
        return lead

    @api.multi
    def write(self, vals):
        if skips_allocation(self.env):
            result = super(CrmLead, self).write(vals)
            self._match_keys_after_write(vals)
            return result
        self._sa_check_write(vals)
        owner_change = "user_id" in vals
        previous = {lead.id: lead.user_id.id for lead in self} if owner_change else {}
        handoff = self._sa_handoff_before(vals)
        if owner_change and "owner_activity_date" not in vals:
            vals = dict(vals, owner_activity_date=vals["user_id"] and fields.Datetime.now())
        result = super(CrmLead, self).write(vals)
        self._match_keys_after_write(vals)
        if owner_change:
            changed = self.filtered(lambda lead: previous[lead.id] != lead.user_id.id)
            manual = self._sa_manual_vals(vals)
            if changed and manual:
                super(CrmLead, changed).write(manual)
            changed._sa_log_owner_changes(previous)
        elif "owner_activity_date" not in vals:
            self._pool_touch_owner()
        self._sa_handoffs(handoff)
        return result

    @api.model
    def _sa_manual_vals(self, vals):
        """What an owner changed by hand (form, import, RPC) sets besides: state
        ``manual`` and its reason, unless the write sets them itself."""
        manual = {"allocation_state": "manual", "allocation_rule_id": False,
                  "allocation_reason": self.env["sales.allocation.reasons"].manual()}
        return {key: value for key, value in manual.items() if key not in vals}

    @api.multi
    def _sa_log_owner_changes(self, previous):
        """Log these leads' owners, changed by hand, as ``manual``. Only leads whose
        owner really changed come here: rewriting the same owner (an integration's
        sync) keeps the allocation and its reason."""
        if not self:
            return
        text = self.env["sales.allocation.reasons"].manual()
        self.env["sales.allocation.ledger"].log([
            LogRow(lead.id, lead.user_id.id or None, previous.get(lead.id) or None,
                   "manual", text, team_id=lead.team_id.id or None)
            for lead in self])
