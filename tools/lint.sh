#!/usr/bin/env bash
# flake8 and pylint-odoo (the OCA checks, for Odoo 11.0) on the addon, the client and
# the tools. Linters run from their own venv (.venv-lint, Python 3.11): current
# pylint-odoo needs Python >= 3.8, and the code they read is not imported.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv-lint"
PINS=(flake8==7.5.0 pylint==4.0.10 pylint-odoo==10.0.12)
say() { echo "lint: $*"; }

if [ ! -x "$VENV/bin/flake8" ] || [ "$(cat "$VENV/.pins" 2>/dev/null)" != "${PINS[*]}" ]; then
    say "creating .venv-lint with ${PINS[*]}"
    python311="$(pyenv root 2>/dev/null)/versions/3.11.7/bin/python"
    [ -x "$python311" ] || python311="$(command -v python3)"
    rm -rf "$VENV"
    "$python311" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q "${PINS[@]}" 2>&1 \
        | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
    echo "${PINS[*]}" > "$VENV/.pins"
fi

targets=(sales_allocation)
for extra in sales_allocation_client bench tests tools; do
    [ -d "$extra" ] && targets+=("$extra")
done
rc=0
say "flake8 ${targets[*]}"
"$VENV/bin/flake8" "${targets[@]}" || rc=1
say "pylint-odoo sales_allocation"
# crm.lead is inherited once per concern (pool, matrix, access) on purpose: one file
# each keeps the concerns apart; the check would have them merged.
"$VENV/bin/pylint" --rcfile=.pylintrc --disable=consider-merging-classes-inherited \
    sales_allocation || rc=1
if [ "$rc" = 0 ]; then say "clean"; fi
exit "$rc"
