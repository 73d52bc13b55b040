# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Customers with a salesperson as match candidates, and the leads of one batch as
candidates of each other (issue 14)."""
import datetime

import pytest

from engine.dedupe import (
    Candidate, batch_candidates, best_match, customer_candidate, customer_id)

T0 = datetime.datetime(2026, 1, 5, 9, 0)
T1 = T0 + datetime.timedelta(days=1)


def test_a_customer_candidate_carries_its_partner_id_negated():
    found = customer_candidate(42, "domain", T0, 7)
    assert found == Candidate(-42, "domain", False, T0, 7)
    assert customer_id(found.lead_id) == 42
    assert customer_id(42) is None
    assert customer_id(None) is None
    for wrong in (0, None, -3):
        with pytest.raises(ValueError):
            customer_candidate(wrong, "domain", T0, 7)


def test_within_a_strength_opportunity_then_lead_then_customer():
    opportunity = Candidate(9, "domain", True, T1, 1)
    lead = Candidate(8, "domain", False, T1, 2)
    # Older than both: the kind still comes first.
    customer = customer_candidate(1, "domain", T0, 3)
    for order in ([customer, lead, opportunity], [opportunity, customer, lead]):
        assert best_match(order) == opportunity
    assert best_match([customer, lead]) == lead
    assert best_match([lead, customer]) == lead


def test_a_stronger_customer_beats_a_weaker_opportunity():
    opportunity = Candidate(9, "domain", True, T0, 1)
    customer = customer_candidate(5, "email", T1, 3)
    assert best_match([opportunity, customer]) == customer
    assert best_match([opportunity, customer], enabled=("domain",)) == opportunity


def test_the_oldest_customer_then_the_lowest_partner_id_wins():
    young = customer_candidate(1, "phone", T1, 1)
    old = customer_candidate(9, "phone", T0, 2)
    assert best_match([young, old]) == old
    low = customer_candidate(3, "phone", T0, 3)
    assert best_match([old, low]) == low
    undated = customer_candidate(2, "phone", None, 4)
    assert best_match([undated, young]) == young


def test_batch_candidates_point_to_the_first_lead_of_each_key():
    found = batch_candidates([
        (3, 1, False, T0, [("domain", "acme.cn"), ("company", "acme")]),
        (1, 1, False, T0, [("domain", "acme.cn")]),
        (2, 1, True, T1, [("company", "acme"), ("phone", "2161234567")]),
        (4, 1, False, T1, [("phone", "2161234567"), ("phone", "13800138000")]),
    ])
    # Key by key, the oldest lead, then the lowest id: 1 for the domain, 3 for the
    # company (lead 1 has none), 2 for the phone.
    assert found == {
        3: [Candidate(1, "domain", False, T0, None)],
        2: [Candidate(3, "company", False, T0, None)],
        4: [Candidate(2, "phone", True, T1, None)],
    }
    assert 1 not in found


def test_batch_candidates_stay_within_a_scope_and_skip_empty_keys():
    found = batch_candidates([
        (1, 1, False, T0, [("email", "a@acme.cn"), ("vat", None)]),
        (2, 2, False, T0, [("email", "a@acme.cn"), ("vat", None)]),
        (3, None, False, T0, [("email", "a@acme.cn")]),
        (4, None, False, None, [("email", "a@acme.cn")]),
    ])
    assert found == {4: [Candidate(3, "email", False, T0, None)]}


def test_batch_candidates_never_point_back():
    leads = [(lead_id, 1, False, None if lead_id % 2 else T0,
              [("company", "acme"), ("phone", str(lead_id % 3))])
             for lead_id in range(1, 30)]
    found = batch_candidates(leads)
    order = {lead_id: (date is None, date, lead_id)
             for lead_id, _scope, _opportunity, date, _keys in leads}
    for lead_id, candidates in found.items():
        for candidate in candidates:
            assert order[candidate.lead_id] < order[lead_id]
            assert candidate.owner_id is None
    assert best_match(found[5]).lead_id == 2  # dated leads are older than undated
