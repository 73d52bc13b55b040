#!/usr/bin/env bash
# Regenerate sales_allocation/i18n/sales_allocation.pot from the code and merge it into
# zh_CN.po (new terms come in untranslated, vanished ones go).
#
#   tools/i18n.sh [DB]     DB: a database with sales_allocation installed and up to date
#                          (default: a throw-away copy made with tools/db.sh)
#
# Then translate the empty msgstr of zh_CN.po; the addon's test_i18n checks that none
# is left and that the .pot matches the code.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
I18N=sales_allocation/i18n
DB="${1:-}"
made=""
if [ -z "$DB" ]; then
    DB=sales_allocation_i18n
    tools/db.sh drop "$DB" >/dev/null
    tools/db.sh create "$DB"
    made=1
fi
echo "i18n: exporting the terms of sales_allocation from $DB"
# Odoo 11 writes a template (no language given) only to a name ending in .po.
tmp="$(mktemp -d)"
.venv/bin/python tools/odoo.py -c .run/odoo.conf -d "$DB" --log-level=warn \
    --i18n-export="$tmp/sales_allocation.po" --modules=sales_allocation --stop-after-init
mv "$tmp/sales_allocation.po" "$I18N/sales_allocation.pot"
rmdir "$tmp"
if [ -f "$I18N/zh_CN.po" ]; then
    msgmerge --quiet --update --no-fuzzy-matching --backup=none --no-wrap \
        "$I18N/zh_CN.po" "$I18N/sales_allocation.pot"
else
    msginit --no-translator --locale=zh_CN --input="$I18N/sales_allocation.pot" \
        --output-file="$I18N/zh_CN.po" --no-wrap
fi
msgattrib --untranslated "$I18N/zh_CN.po" | grep -c '^msgid "' | sed 's/^/i18n: untranslated entries (incl. header): /' || true
[ -n "$made" ] && tools/db.sh drop "$DB" >/dev/null
echo "i18n: done"
