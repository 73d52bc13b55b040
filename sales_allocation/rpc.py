# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Input checks for the buttons that XML-RPC clients call directly.

Odoo 11 hands a button whatever ids the caller sent: strings end as a PostgreSQL syntax
error, ids of deleted records often as a silent no-op. The buttons of this module call
``check_ids`` first, so a bad call gets a message that says what to change.
"""
from odoo import _
from odoo.exceptions import MissingError, UserError


def check_ids(records, what):
    """Raise unless every id of ``records`` is an integer of an existing record.

    ``what`` names the records in the message, e.g. ``_("leads")``.
    """
    ids = records._ids
    bad = [value for value in ids if isinstance(value, bool) or not isinstance(value, int)]
    if bad:
        raise UserError(_("The ids of %(what)s are whole numbers; got %(bad)s. Send the "
                          "ids as integers.") % {
                              "what": what,
                              "bad": ", ".join(repr(value) for value in bad)})
    if not ids:
        return
    records.env.cr.execute(
        'SELECT id FROM "%s" WHERE id IN %%s' % records._table, [tuple(set(ids))])
    missing = set(ids) - {row[0] for row in records.env.cr.fetchall()}
    if missing:
        raise MissingError(_("These %(what)s do not exist or were deleted: %(ids)s. Reload "
                             "the list and choose again.") % {
                                 "what": what,
                                 "ids": ", ".join(str(value) for value in sorted(missing))})
