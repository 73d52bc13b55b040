from . import sales_allocation_report
from . import sales_allocation_fairness_report
from . import sales_allocation_territory_report
