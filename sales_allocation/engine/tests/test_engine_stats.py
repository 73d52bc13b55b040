from math import sqrt

import pytest

from engine import Decision
from engine.stats import coefficient_of_variation, summarize


def _decision(lead_id, user_id=None, pool_id=None):
    return Decision(lead_id, user_id, None, None, pool_id, None, ())


@pytest.mark.parametrize("values, expected", [
    ([], 0.0),
    ([0, 0, 0], 0.0),
    ([5, 5, 5, 5], 0.0),
    ([1, 3], 0.5),
    ([2, 4, 6], sqrt(8.0 / 3) / 4),
])
def test_coefficient_of_variation(values, expected):
    assert coefficient_of_variation(values) == pytest.approx(expected)


def test_summarize_counts_loads_caps_and_unplaced():
    decisions = [_decision(1, 10), _decision(2, 10), _decision(3, 20),
                 _decision(4), _decision(5, pool_id=7)]
    result = summarize(decisions, loads_before={10: 1, 30: 4}, caps={10: 4, 20: 0})
    assert result["placed"] == 4
    assert result["unplaced"] == 1
    assert result["per_user"][10] == {
        "count": 2, "load_before": 1, "load_after": 3, "cap": 4, "cap_use": 75.0}
    assert result["per_user"][20]["load_after"] == 1
    assert result["per_user"][20]["cap_use"] == 0.0
    assert result["per_user"][30]["count"] == 0
    assert result["fairness"] == pytest.approx(coefficient_of_variation([3, 1, 4]))
