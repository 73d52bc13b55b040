from . import test_simulation
from . import test_reports
from . import test_rotation
from . import test_rules
from . import test_pool
from . import test_matrix
from . import test_handoff
from . import test_territory
