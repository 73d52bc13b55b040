# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The allocation engine: plain Python, no Odoo import (see STYLE.md section 3).

The Odoo models gather rules, queues and leads with a few grouped reads, build these
plain objects, call ``allocate`` and apply the returned decisions in batched writes.
Only relative imports are used so that the package works both as
``odoo.addons.sales_allocation.engine`` and as a top-level ``engine`` in its tests.
"""
from .allocator import REASON_CODES, Decision, allocate
from .matching import Lead, Rule, RuleIndex
from .rotation import STRATEGIES, Absence, Member, Queue, Rotation, pick

__all__ = [
    "Absence", "Decision", "Lead", "Member", "Queue", "REASON_CODES", "Rotation", "Rule",
    "RuleIndex", "STRATEGIES", "allocate", "pick",
]
