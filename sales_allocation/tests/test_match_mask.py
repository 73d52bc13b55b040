# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Masked contact details of pool leads (issue 14), as the server answers a rep."""
from odoo.exceptions import AccessError

from .test_pool import PoolCase

CONTACT = {"phone": "+86 138-0013-8000", "mobile": "13900139000",
           "email_from": "wang@huadong-steel.com.cn", "contact_name": "王小明"}
MASKED = {"phone": "+86 138****8000", "mobile": "139****9000",
          "email_from": "w***@huadong-steel.com.cn", "contact_name": "王**"}


class TestMask(PoolCase):

    def setUp(self):
        super(TestMask, self).setUp()
        self.pool.mask_contacts = True
        self.lead = self._pool_leads(**CONTACT)

    def _read(self, user, lead=None):
        [row] = (lead or self.lead).sudo(user).read(list(CONTACT))
        return {name: row[name] for name in CONTACT}

    def test_a_rep_reads_masked_details_until_he_claims(self):
        self.assertEqual(self._read(self.rep_a), MASKED)
        self.assertEqual(self.lead.sudo(self.rep_a).search_read(
            [("id", "=", self.lead.id)], ["phone"])[0]["phone"], MASKED["phone"])
        self._claim(self.lead, self.rep_a)
        self.assertEqual(self._read(self.rep_a), CONTACT)

    def test_managers_see_everything_and_other_pools_are_not_masked(self):
        self.assertEqual(self._read(self.manager), CONTACT)
        self.pool.mask_contacts = False
        self.assertEqual(self._read(self.rep_a), CONTACT)

    def test_searching_by_a_hidden_value_finds_nothing(self):
        Lead = self.Lead.sudo(self.rep_a)
        for domain in ([("phone", "ilike", "0013")], [("email_from", "=", CONTACT["email_from"])],
                       [("contact_name", "ilike", "小明")],
                       ["|", ("name", "=", "nothing"), ("mobile", "ilike", "139")],
                       [("phone", "not ilike", "9999")]):
            self.assertNotIn(self.lead.id, Lead.search(domain).ids, domain)
        self.assertIn(self.lead.id, Lead.search([("name", "=", self.lead.name)]).ids)
        self.assertFalse(Lead.name_search("x", args=[("phone", "ilike", "8000")]))
        self._claim(self.lead, self.rep_a)
        self.assertIn(self.lead.id, Lead.search([("phone", "ilike", "0013")]).ids)

    def test_exports_are_masked_in_order(self):
        visible = self._pool_leads(phone="13511112222")
        self._claim(visible, self.rep_a)
        rows = (visible | self.lead).sudo(self.rep_a).export_data(
            ["name", "phone", "email_from"])["datas"]
        self.assertEqual([row[1] for row in rows], ["13511112222", MASKED["phone"]])
        self.assertEqual(rows[1][2], MASKED["email_from"])

    def test_grouping_by_a_hidden_field_is_refused(self):
        with self.assertRaises(AccessError):
            self.Lead.sudo(self.rep_a).read_group([], ["phone"], ["phone"])
        self.assertTrue(self.Lead.sudo(self.manager).read_group([], ["phone"], ["phone"]))
