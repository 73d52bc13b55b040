from . import test_simulation
from . import test_reports
