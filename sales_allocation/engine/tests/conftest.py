# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Make the engine importable as the top-level package ``engine``.

The tests run without Odoo (no ``odoo.addons`` namespace), so the directory holding
``engine/`` goes first on ``sys.path``.  This folder has no ``__init__.py`` on purpose:
Odoo must not load it as part of the addon.
"""
import os
import sys

ADDON_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if sys.path[:1] != [ADDON_DIR]:
    sys.path.insert(0, ADDON_DIR)
