# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import random

import pytest

from engine import Lead, Rule, RuleIndex


def matches(rule_kwargs, lead_kwargs):
    rule = Rule(1, 10, "pool", pool_id=1, **rule_kwargs)
    return RuleIndex([rule]).matching(Lead(1, **lead_kwargs)) == [rule]


CONDITIONS = [
    # (rule condition, lead value that matches, lead values that do not)
    ({"country_ids": {1, 2}}, {"country_id": 2}, [{"country_id": 3}, {},
                                                  {"country_id": False}]),
    ({"state_ids": [10]}, {"state_id": 10}, [{"state_id": 11}, {"state_id": None}]),
    ({"tag_ids": {5, 6}}, {"tag_ids": {6, 9}}, [{"tag_ids": {7}}, {"tag_ids": ()},
                                                {"tag_ids": None}]),
    ({"source_ids": {3}}, {"source_id": 3}, [{"source_id": 4}, {"source_id": None}]),
    ({"industry_ids": {8}}, {"industry_id": 8}, [{"industry_id": 9}, {}]),
    ({"customer_types": {"company"}}, {"customer_type": "company"},
     [{"customer_type": "individual"}, {"customer_type": None},
      {"customer_type": False}]),
    ({"segments": {"key_account", "mid_market"}}, {"segment": "mid_market"},
     [{"segment": "small_business"}, {"segment": None}]),
    ({"revenue_min": 100.0}, {"revenue": 100.0}, [{"revenue": 99.99},
                                                  {"revenue": None},
                                                  {"revenue": False}]),
    ({"revenue_max": 100.0}, {"revenue": 100.0}, [{"revenue": 100.01},
                                                  {"revenue": None}]),
]


@pytest.mark.parametrize("condition, good, bad", CONDITIONS)
def test_each_condition_matches_and_rejects(condition, good, bad):
    assert matches(condition, good)
    for lead_kwargs in bad:
        assert not matches(condition, lead_kwargs), lead_kwargs


@pytest.mark.parametrize("condition, good, _bad", CONDITIONS)
def test_empty_condition_accepts_any_value(condition, good, _bad):
    empty = {key: (None if key.startswith("revenue") else frozenset())
             for key in condition}
    assert matches(empty, good)
    assert matches(empty, {})


@pytest.mark.parametrize("revenue, expected", [
    (99.99, False), (100, True), (100.0, True), (150.5, True), (200.0, True),
    (200.01, False), (0.0, False), (None, False), (False, False),
])
def test_revenue_bounds_are_inclusive(revenue, expected):
    assert matches({"revenue_min": 100, "revenue_max": 200.0},
                   {"revenue": revenue}) is expected


def test_zero_revenue_is_a_value_not_a_missing_one():
    assert matches({"revenue_max": 10.0}, {"revenue": 0.0})
    assert matches({"revenue_min": 0.0}, {"revenue": 0})
    assert not matches({"revenue_max": 10.0}, {"revenue": False})


def test_conditions_combine_with_and():
    rule = {"country_ids": {1}, "state_ids": {10}, "tag_ids": {5}, "source_ids": {3},
            "industry_ids": {8}, "customer_types": {"company"},
            "segments": {"key_account"}, "revenue_min": 10, "revenue_max": 20}
    lead = {"country_id": 1, "state_id": 10, "tag_ids": {5}, "source_id": 3,
            "industry_id": 8, "customer_type": "company", "segment": "key_account",
            "revenue": 15}
    assert matches(rule, lead)
    for field, other in [("country_id", 2), ("state_id", 11), ("tag_ids", {6}),
                         ("source_id", 4), ("industry_id", 9),
                         ("customer_type", "individual"), ("segment", "mid_market"),
                         ("revenue", 21)]:
        assert not matches(rule, dict(lead, **{field: other})), field


def test_rule_without_condition_matches_an_empty_lead():
    assert matches({}, {})


def test_rules_sorted_by_sequence_then_id():
    rules = [Rule(5, 20, "pool"), Rule(3, 10, "pool"), Rule(1, 20, "pool"),
             Rule(4, 5, "pool")]
    index = RuleIndex(rules)
    assert [rule.id for rule in index.rules] == [4, 3, 1, 5]
    assert [rule.id for rule in index.matching(Lead(1))] == [4, 3, 1, 5]


def test_candidates_are_cached_per_key_and_keep_only_other_checks():
    by_state = Rule(1, 1, "pool", state_ids={10})
    by_tag = Rule(2, 2, "pool", tag_ids={5})
    by_type = Rule(3, 3, "pool", customer_types={"company"})
    index = RuleIndex([by_state, by_tag, by_type])
    lead = Lead(1, country_id=1, state_id=10, customer_type="company")
    found = index.candidates(lead)
    assert [rule for rule, _check in found] == [by_state, by_tag, by_type]
    assert [check is None for _rule, check in found] == [True, False, True]
    assert index.candidates(Lead(2, country_id=1, state_id=10,
                                 customer_type="company", tag_ids={5})) is found
    assert [rule for rule, _check in index.candidates(Lead(3, state_id=11))] == [by_tag]


def test_make_entry_wraps_and_drops_rules():
    kept, dropped = Rule(1, 1, "pool"), Rule(2, 2, "matrix")
    index = RuleIndex([dropped, kept], lambda rule, check: (
        None if rule.target_type == "matrix" else ("entry", rule.id)))
    assert index.candidates(Lead(1)) == (("entry", 1),)


def test_rule_and_lead_normalize_sql_values():
    rule = Rule(1, 1, "queue", country_ids=[1, 1, 2], tag_ids=(3,), has_domain=1)
    assert rule.country_ids == frozenset({1, 2})
    assert rule.tag_ids == frozenset({3})
    assert rule.has_domain is True
    lead = Lead(1, tag_ids=[4, 4], revenue=False)
    assert lead.tag_ids == frozenset({4})
    assert lead.revenue is None
    with pytest.raises(ValueError):
        Rule(1, 1, "team")


def reference_match(rule, lead):
    """The specification, written plainly."""
    def within(allowed, value):
        return not allowed or (value not in (None, False) and value in allowed)
    revenue = lead.revenue
    return (within(rule.country_ids, lead.country_id)
            and within(rule.state_ids, lead.state_id)
            and (not rule.tag_ids or bool(rule.tag_ids & lead.tag_ids))
            and within(rule.source_ids, lead.source_id)
            and within(rule.industry_ids, lead.industry_id)
            and within(rule.customer_types, lead.customer_type)
            and within(rule.segments, lead.segment)
            and (rule.revenue_min is None
                 or (revenue is not None and revenue >= rule.revenue_min))
            and (rule.revenue_max is None
                 or (revenue is not None and revenue <= rule.revenue_max)))


def random_rule(rnd, rule_id):
    def some(values):
        return rnd.sample(values, rnd.randint(1, 2)) if rnd.random() < 0.3 else ()
    low = rnd.choice([None, None, 0.0, 50.0, 100.0])
    return Rule(
        rule_id, rnd.randint(1, 5), "pool",
        country_ids=some([1, 2, 3]), state_ids=some([10, 11, 20, 30]),
        tag_ids=some([1, 2, 3, 4]), source_ids=some([1, 2]),
        industry_ids=some([1, 2, 3]), customer_types=some(["company", "individual"]),
        segments=some(["key_account", "mid_market", "small_business"]),
        revenue_min=low,
        revenue_max=rnd.choice([None, None, 100.0, 150.0]))


def random_lead(rnd, lead_id):
    def maybe(values):
        return rnd.choice(list(values) + [None])
    return Lead(
        lead_id, country_id=maybe([1, 2, 3]), state_id=maybe([10, 11, 20, 30]),
        tag_ids=rnd.sample([1, 2, 3, 4, 5], rnd.randint(0, 2)),
        source_id=maybe([1, 2]), industry_id=maybe([1, 2, 3]),
        customer_type=maybe(["company", "individual"]),
        segment=maybe(["key_account", "mid_market", "small_business"]),
        revenue=rnd.choice([None, False, 0.0, 50.0, 100.0, 120.0, 150.0, 300.0]))


@pytest.mark.parametrize("seed", range(10))
def test_index_agrees_with_the_plain_specification(seed):
    rnd = random.Random(seed)
    rules = [random_rule(rnd, rule_id) for rule_id in range(1, 30)]
    index = RuleIndex(rules)
    ordered = sorted(rules, key=lambda rule: (rule.sequence, rule.id))
    for lead_id in range(200):
        lead = random_lead(rnd, lead_id)
        expected = [rule for rule in ordered if reference_match(rule, lead)]
        assert index.matching(lead) == expected
        # candidates() is a superset, in order, of what matches.
        candidates = [rule for rule, _check in index.candidates(lead)]
        assert [rule for rule in candidates if rule in expected] == expected
