from . import sales_allocation_simulation
