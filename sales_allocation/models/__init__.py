# The services (no crm.lead override): the ledger writes owners, the turns keep the
# rotation, gather/reasons feed and explain the engine, the allocator runs them.
from . import res_country_state
from . import sales_allocation_queue
from . import sales_allocation_queue_member
from . import sales_allocation_worktime
from . import sales_allocation_rule
from . import sales_allocation_log
from . import sales_allocation_ledger
from . import sales_allocation_turns
from . import sales_allocation_gather
from . import sales_allocation_reasons
from . import sales_allocation_allocator
from . import sales_allocation_match
from . import res_config_settings
from . import res_partner
from . import sales_allocation_region
from . import sales_allocation_matrix
from . import sales_allocation_matrix_cell
from . import sales_allocation_pool
from . import sales_allocation_pool_timer
from . import sales_allocation_pool_claim_lock
from . import sales_allocation_reclaim
from . import sales_allocation_response
from . import sales_allocation_followup
from . import sales_allocation_log_why
from . import sales_allocation_audit
from . import sales_allocation_run
from . import mail_activity
from . import sales_allocation_demo
# crm.lead, one concern per file; none of them overrides create or write...
from . import crm_lead
from . import crm_lead_matrix
from . import crm_lead_pool
from . import crm_lead_response
from . import crm_lead_worktime
from . import crm_lead_access
from . import crm_lead_match
from . import crm_lead_mask
# ...but this one, the outermost, which calls the concerns in a commented order: keep it
# last, so that its create/write run first and see every field.
from . import crm_lead_flow
