# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import io
import os
import re
from collections import Counter

from babel.messages.pofile import read_po

from odoo.modules.module import get_module_path
from odoo.tests.common import TransactionCase
from odoo.tools.translate import trans_export

PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]")


class TestTranslations(TransactionCase):
    """Chinese teams are first-class users: every term of the addon is translated."""

    def _catalog(self, name):
        path = os.path.join(get_module_path("sales_allocation"), "i18n", name)
        with open(path, "rb") as po_file:
            return read_po(po_file)

    def _exported_terms(self):
        buffer = io.BytesIO()
        trans_export(False, ["sales_allocation"], buffer, "po", self.env.cr)
        buffer.seek(0)
        return {message.id for message in read_po(buffer) if message.id}

    def test_template_matches_the_code(self):
        current = self._exported_terms()
        committed = {message.id for message in self._catalog("sales_allocation.pot")
                     if message.id}
        if current != committed:
            self.fail("i18n/sales_allocation.pot is out of date (run tools/i18n.sh): "
                      "%d terms missing, e.g. %s; %d gone, e.g. %s" % (
                          len(current - committed), sorted(current - committed)[:3],
                          len(committed - current), sorted(committed - current)[:3]))

    def test_zh_cn_translates_every_term(self):
        current = self._exported_terms()
        catalog = self._catalog("zh_CN.po")
        translated = {message.id: message.string for message in catalog
                      if message.id and message.string and not message.fuzzy}
        missing = sorted(current - set(translated))
        if missing:
            self.fail("%d terms untranslated in i18n/zh_CN.po, e.g. %s" % (
                len(missing), missing[:10]))

    def test_zh_cn_keeps_the_placeholders(self):
        wrong = [
            message.id for message in self._catalog("zh_CN.po")
            if message.id and message.string
            and Counter(PLACEHOLDER.findall(message.id))
            != Counter(PLACEHOLDER.findall(message.string))
        ]
        if wrong:
            self.fail("placeholders differ in i18n/zh_CN.po: %s" % wrong[:10])
