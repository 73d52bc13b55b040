# The allocation report's view reads the territory report's view: create it first.
from . import sales_allocation_territory_report
from . import sales_allocation_report
from . import sales_allocation_fairness_report
from . import sales_allocation_unplaced
from . import sales_allocation_response_report
