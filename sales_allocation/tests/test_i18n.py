# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import os
import re
from collections import Counter, OrderedDict

from babel.messages.pofile import read_po

from odoo import fields
from odoo.modules.module import get_module_path
from odoo.tests.common import TransactionCase
from odoo.tools.translate import trans_generate

MODULE = "sales_allocation"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]")


def _is_term(term):
    # trans_generate's own filter: empty and one-letter terms are not exported.
    return bool(term) and len(term.strip()) > 1


class TestTranslations(TransactionCase):
    """Chinese teams are first-class users: every term of the addon is translated.

    The terms checked are the addon's own: those Odoo exports for the addon
    (``--i18n-export --modules=sales_allocation``, as tools/i18n.sh does), except for a
    field that the addon adds to a model and a module installed beside it (not one it
    depends on) defines too: Odoo exports such a field with the other module's string,
    or with the other module's terms only, whichever module was loaded first. Those
    fields count with the addon's own definition. Beside OCA's crm_industry, for
    instance, ``crm.lead.industry_id`` ("Main Industry" there) is the addon's
    "Industry" with its help. With the addon alone, the terms are exactly Odoo's export.
    """

    def _catalog(self, name):
        path = os.path.join(get_module_path(MODULE), "i18n", name)
        with open(path, "rb") as po_file:
            return read_po(po_file)

    def _own_modules(self):
        """The addon and every module it depends on, directly or not."""
        self.env.cr.execute("""
            WITH RECURSIVE own(name) AS (
                SELECT %s::varchar
                 UNION
                SELECT dep.name
                  FROM ir_module_module_dependency dep
                  JOIN ir_module_module mod ON mod.id = dep.module_id
                  JOIN own ON own.name = mod.name
            )
            SELECT name FROM own
        """, [MODULE])
        return {name for name, in self.env.cr.fetchall()}

    def _definitions(self, model_name, field_name):
        """The definitions of a field in the modules' classes, from the first loaded
        to the last (not the registry's own class, which has no module)."""
        definitions = []
        for cls in reversed(type(self.env[model_name]).__mro__):
            field = vars(cls).get(field_name)
            if isinstance(field, fields.Field) and field.args.get("_module"):
                definitions.append(field)
        return definitions

    def _shared_fields(self, own_modules):
        """[(model, field)] that the addon adds (no module it depends on defines them)
        and that a module outside own_modules defines too."""
        shared = []
        for model_name in self.env.registry:
            for field_name in self.env[model_name]._fields:
                modules = {field.args.get("_module")
                           for field in self._definitions(model_name, field_name)}
                if MODULE in modules and not modules & (own_modules - {MODULE}) \
                        and modules - own_modules:
                    shared.append((model_name, field_name))
        return shared

    def _own_field_terms(self, model_name, field_name, own_modules):
        """The terms of a field as the addon and its dependencies define it: its
        string, help and selection labels, resolved as Odoo does (fields.py,
        _get_attrs, _setup_attrs and Selection._setup_attrs) over their classes only."""
        attrs, selection = {}, None
        for field in self._definitions(model_name, field_name):
            if field.args.get("_module") not in own_modules:
                continue
            attrs.update(field.args)
            if isinstance(field.args.get("selection"), (list, tuple)):
                selection = list(field.args["selection"])
            if selection is not None and field.args.get("selection_add"):
                selection = list(OrderedDict(selection + field.args["selection_add"]).items())
        string = attrs.get("string") or (
            field_name[:-4] if field_name.endswith("_ids") else
            field_name[:-3] if field_name.endswith("_id") else field_name
        ).replace("_", " ").title()
        terms = {string, attrs.get("help")}
        terms.update(label for _value, label in selection or ())
        return {term for term in terms if _is_term(term)}

    def _exported_terms(self):
        """The addon's terms: see the class docstring."""
        own_modules = self._own_modules()
        shared = self._shared_fields(own_modules)
        # Their export rows, if the addon's module holds their ir.model.fields xml ids.
        xmlids = {"%s.%s" % (data.module, data.name) for data in self.env["ir.model.data"].search([
            ("model", "=", "ir.model.fields"),
            ("res_id", "in", [self.env["ir.model.fields"]._get(model_name, field_name).id
                              for model_name, field_name in shared]),
        ])}
        selections = {"%s,%s" % name for name in shared}
        terms = set()
        for _module, kind, name, res_id, source, _value, _comments in trans_generate(
                False, [MODULE], self.env.cr):
            if kind == "model" and name.startswith("ir.model.fields,") and res_id in xmlids:
                continue
            if kind == "selection" and name in selections:
                continue
            terms.add(source)
        for model_name, field_name in shared:
            terms |= self._own_field_terms(model_name, field_name, own_modules)
        return terms

    def test_own_terms_of_a_field_come_from_the_addons_definition(self):
        # crm.lead.industry_id is the addon's (crm_industry defines it too, with
        # another string): its own terms are the addon's, whoever else is installed.
        own_modules = self._own_modules()
        self.assertIn("crm", own_modules)
        self.assertNotIn("crm_industry", own_modules)
        self.assertEqual(
            self._own_field_terms("crm.lead", "industry_id", own_modules),
            {"Industry", "Used by assignment rules; taken from the customer when empty."})
        self.assertEqual(
            self._own_field_terms("crm.lead", "allocation_state", own_modules)
            - {"Allocation", "Not allocated: no rule could place this lead yet; "
               "the backlog run retries."},
            {"Set by hand", "Allocated", "Not allocated", "In pool", "Claimed from pool"})
        # Alone, no field is shared; beside crm_industry, crm.lead.industry_id is.
        shared = self._shared_fields(own_modules)
        installed = self.env["ir.module.module"].search(
            [("name", "=", "crm_industry"), ("state", "=", "installed")])
        self.assertEqual(("crm.lead", "industry_id") in shared, bool(installed))

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
