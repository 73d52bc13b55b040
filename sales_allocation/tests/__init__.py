from . import test_simulation
