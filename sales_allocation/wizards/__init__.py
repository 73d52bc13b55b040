from . import sales_allocation_simulation
from . import sales_allocation_simulation_diff
from . import sales_allocation_simulation_worktime
from . import crm_lead_to_opportunity
from . import sales_allocation_territory_rotation
from . import sales_allocation_pool_release
from . import sales_allocation_pool_move
from . import sales_allocation_pool_assign
