from . import test_simulation
from . import test_reports
from . import test_rotation
from . import test_rules
from . import test_pool
