# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Sales Lead Allocation",
    "summary": "Assign leads automatically: rules, round-robin queues, "
               "region x product matrix and a public lead pool",
    "version": "11.0.1.0.0",
    "category": "Sales",
    "website": "https://github.com/sales-allocation/sales_allocation",
    "author": "sales_allocation contributors",
    "license": "LGPL-3",
    "development_status": "Beta",
    "application": False,
    "installable": True,
    "depends": ["crm"],
    "data": [
        "security/sales_allocation_security.xml",
        "security/ir.model.access.csv",
        "data/res_country_state.xml",
        "data/ir_cron.xml",
        "views/sales_allocation_queue.xml",
        "views/sales_allocation_rule.xml",
        "views/sales_allocation_log.xml",
        "views/crm_lead.xml",
        "views/menus.xml",
        "views/sales_allocation_simulation.xml",
        "views/sales_allocation_report.xml",
    ],
    "demo": [
        "demo/sales_allocation_demo.xml",
    ],
}
