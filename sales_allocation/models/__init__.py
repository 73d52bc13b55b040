from . import res_country_state
from . import sales_allocation_queue
from . import sales_allocation_queue_member
from . import sales_allocation_rule
from . import sales_allocation_log
from . import sales_allocation_allocator
from . import crm_lead
from . import res_partner
