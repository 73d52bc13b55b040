# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Access rules of the addon, defined once (the ``crm.lead`` checks that use them are
in ``models/crm_lead_access.py``, whose docstring says who may do what).

Plain functions, no model: any file may import them without changing the order in
which Odoo stacks the ``crm.lead`` overrides.
"""
from odoo import SUPERUSER_ID
from odoo.exceptions import AccessError

from .models.sales_allocation_ledger import OWNER_COLUMNS

# Written only by the allocation (and by managers); never by a salesman directly.
ALLOCATION_FIELDS = tuple(
    name for name in OWNER_COLUMNS
    if name not in ("user_id", "team_id", "date_open", "write_uid", "write_date"))

ALL_LEADS_GROUP = "sales_team.group_sale_salesman_all_leads"
# Creates or writes leads without allocation, log or hand-off: honoured for the
# superuser only (the addon's own writes, bench and tests set-ups run as superuser).
SKIP_KEY = "sales_allocation_skip"
# A context value that only Python code of this addon holds: XML-RPC can send
# strings, numbers and booleans, never this object.
_INTERNAL = object()


def internal_context(key):
    """``{key: <internal mark>}`` for ``with_context``: a flag only this addon sets."""
    return {key: _INTERNAL}


def is_internal(env, key):
    """Whether the addon's own code set ``key`` (``internal_context``)."""
    return env.context.get(key) is _INTERNAL


def skips_allocation(env):
    """The superuser (the addon's own writes) may create or write leads without the
    allocation's own processing; for anybody else ``sales_allocation_skip`` is ignored."""
    return bool(env.context.get(SKIP_KEY)) and env.uid == SUPERUSER_ID


def sees_all_leads(env):
    """Superuser (sudo: claims, crons) and "User: All Documents" (sales and allocation
    managers) may assign leads, re-run allocation and manage pool leads."""
    return env.uid == SUPERUSER_ID or env.user.has_group(ALL_LEADS_GROUP)


def explicit_owner(env, vals):
    """The salesperson a create names: in ``vals`` or, as the pipeline's form sends it,
    as ``default_user_id`` in the context. False when the rules should choose."""
    return vals.get("user_id") or env.context.get("default_user_id") or False


def check_sees_all_leads(env, message):
    if not sees_all_leads(env):
        raise AccessError(message)
