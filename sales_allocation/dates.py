# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Dates as Odoo 11 hands them around."""
from odoo import fields


def to_datetime(value):
    """A naive UTC datetime from what Odoo 11 hands around (string or datetime)."""
    if not value:
        return None
    if isinstance(value, str):
        return fields.Datetime.from_string(value)
    return value
