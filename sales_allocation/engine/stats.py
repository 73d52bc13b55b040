# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Figures that describe an allocation, for the simulation and the dashboards."""
from collections import Counter
from math import sqrt

__all__ = ["coefficient_of_variation", "summarize"]


def coefficient_of_variation(values):
    """Standard deviation over mean (population), 0.0 for no values or a zero mean.

    0 means perfectly even loads; 0.5 means loads typically differ from the mean by
    half of it.
    """
    values = list(values)
    if not values:
        return 0.0
    mean = sum(values) / float(len(values))
    if not mean:
        return 0.0
    variance = sum((value - mean) ** 2 for value in values) / len(values)
    return sqrt(variance) / mean


def summarize(decisions, loads_before, caps):
    """Per-rep outcome of a list of decisions.

    ``loads_before``: user id -> open leads before; ``caps``: user id -> the smallest
    positive cap among his queue memberships (0 = none).  Returns a dict with
    ``per_user`` (user id -> dict(count, load_before, load_after, cap, cap_use)),
    ``placed``, ``unplaced`` and ``fairness`` (coefficient of variation of the loads
    after, over every user who holds or receives leads).
    """
    counts = Counter(d.user_id for d in decisions if d.user_id is not None)
    users = set(counts) | set(loads_before)
    per_user = {}
    for user_id in users:
        before = loads_before.get(user_id, 0)
        after = before + counts.get(user_id, 0)
        cap = caps.get(user_id, 0)
        per_user[user_id] = {
            "count": counts.get(user_id, 0),
            "load_before": before,
            "load_after": after,
            "cap": cap,
            "cap_use": (100.0 * after / cap) if cap else 0.0,
        }
    placed = sum(1 for d in decisions if d.user_id is not None or d.pool_id is not None)
    return {
        "per_user": per_user,
        "placed": placed,
        "unplaced": len(decisions) - placed,
        "fairness": coefficient_of_variation(
            [row["load_after"] for row in per_user.values()]),
    }
