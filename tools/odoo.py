"""Odoo's command line, from a real script file.

In prefork mode (--workers=N) Odoo re-launches its long-polling process as
[sys.executable, sys.argv[0], 'gevent', ...], so the server must be started from a
file, not with `python -c`. Run it with the venv's interpreter:

    .venv/bin/python tools/odoo.py -c .run/odoo.conf -d DB ...
"""
import os
import sys

# This file is itself called odoo.py: drop its folder from the import path so that
# `import odoo` finds the Odoo package, not this script.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]

import odoo.cli  # noqa: E402

if __name__ == "__main__":
    odoo.cli.main()
