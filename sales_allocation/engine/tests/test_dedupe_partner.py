# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Customers with a salesperson as match candidates (issue 14). The leads of one
batch as candidates of each other are found by the adapter's query
(``sales.allocation.match._candidates``) and tested there."""
import datetime

import pytest

from engine.dedupe import (
    Candidate, best_match, customer_candidate, customer_id)

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
