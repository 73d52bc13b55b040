# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""``dates.to_datetime`` reads what Odoo 11 hands around exactly as Odoo does."""
from datetime import datetime

from odoo import fields
from odoo.tests.common import TransactionCase

from ..dates import to_datetime


class TestToDatetime(TransactionCase):

    def test_same_as_odoo_for_what_odoo_writes(self):
        for text in ("2026-02-14 09:30:00", "2026-12-31 23:59:59", "2026-02-14",
                     "2026-02-14 09:30:00.123456", "2024-02-29 00:00:01"):
            self.assertEqual(to_datetime(text), fields.Datetime.from_string(text), text)

    def test_datetimes_pass_through_and_empty_is_none(self):
        moment = datetime(2026, 2, 14, 9, 30, 15, 42)
        self.assertIs(to_datetime(moment), moment)
        for empty in (None, False, ""):
            self.assertIsNone(to_datetime(empty))

    def test_what_neither_reads_is_refused(self):
        with self.assertRaises(ValueError):
            to_datetime("14/02/2026 09:30")

    def test_the_timestamps_postgresql_returns(self):
        self.env.cr.execute("SELECT '2026-02-14 09:30:00'::timestamp, "
                            "'2026-02-14 09:30:00.5'::timestamp")
        whole, fraction = self.env.cr.fetchone()
        self.assertEqual(to_datetime(whole), datetime(2026, 2, 14, 9, 30))
        self.assertEqual(to_datetime(fraction), fields.Datetime.from_string(fraction))
