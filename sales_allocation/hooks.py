# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import SUPERUSER_ID, api

# crm's own domain of its "Personal Leads" rule (crm/security/crm_security.xml).
CRM_PERSONAL_LEADS_DOMAIN = "['|',('user_id','=',user.id),('user_id','=',False)]"


def uninstall_hook(cr, registry):
    """Give crm its "Personal Leads" rule back: ours names pool_id, which goes away."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    rule = env.ref("crm.crm_rule_personal_lead", raise_if_not_found=False)
    if rule:
        rule.write({"domain_force": CRM_PERSONAL_LEADS_DOMAIN})
