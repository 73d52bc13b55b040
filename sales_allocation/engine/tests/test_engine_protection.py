# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The protection period of a pool lead just claimed or assigned (issue 14)."""
from datetime import datetime, timedelta

from engine import reclaim as r


def test_protection_pushes_the_deadline_to_its_end():
    start = datetime(2026, 3, 2, 9, 0)
    plain = r.reclaim_timers(start, start, idle_days=3, warn_days=1)
    protected = r.reclaim_timers(start, start, idle_days=3, warn_days=1, protect_days=10)
    assert plain.deadline == start + timedelta(days=3)
    assert protected.deadline == start + timedelta(days=10)
    assert protected.warn_from == start + timedelta(days=9)
    status = r.reclaim_status(start, start, idle_days=3, now=start + timedelta(days=5),
                              protect_days=10)
    assert status.state == r.OK
    # A timer longer than the protection is left alone.
    assert r.reclaim_timers(start, start, idle_days=30, protect_days=10).deadline == \
        start + timedelta(days=30)
