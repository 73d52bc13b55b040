# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import pytest

from engine.masking import mask_email, mask_name, mask_phone, mask_value


@pytest.mark.parametrize("value, masked", [
    ("13800138000", "138****8000"),
    ("138-0013-8000", "138****8000"),
    ("+86 138-0013-8000", "+86 138****8000"),
    ("0086 13800138000", "0086 138****8000"),
    ("021-6123 4567", "021****4567"),
    ("12345", "****45"),
    ("n/a", "****"),
    ("", False), (None, False), (False, False),
])
def test_phones_keep_three_and_four_digits(value, masked):
    assert mask_phone(value) == masked


@pytest.mark.parametrize("value, masked", [
    ("wang@huadong-steel.com.cn", "w***@huadong-steel.com.cn"),
    ("王 <wang@huadong-steel.com.cn>", "w***@huadong-steel.com.cn"),
    ("no address", "***"),
    ("", False), (None, False),
])
def test_emails_keep_the_first_letter_and_the_domain(value, masked):
    assert mask_email(value) == masked


def test_names_keep_the_first_character():
    assert mask_name("王小明") == "王**"
    assert mask_name("Li") == "L*"
    assert mask_name("Alexander Hamilton") == "A****"
    assert mask_name("") is False
    assert mask_value("mobile", "13800138000") == "138****8000"


def test_a_masked_value_never_contains_the_hidden_digits():
    assert "0013" not in mask_phone("+86 138-0013-8000")
    assert "ang" not in mask_email("wang@huadong-steel.com.cn")
