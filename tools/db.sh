#!/usr/bin/env bash
# Database helpers for the Makefile and tools/test.sh (run tools/setup.sh first).
#
#   tools/db.sh module-state DB      print sales_allocation's state in DB:
#                                    absent (no such database), empty (not an Odoo
#                                    database), not-listed, uninstalled, installed, ...
#   tools/db.sh create DB [--strict] [--addons-path=DIR] [--modules=A,B]
#                                    create DB with sales_allocation and demo data;
#                                    --strict: fail on ERROR/CRITICAL lines in the log;
#                                    --addons-path: one more addons folder (after the
#                                    config's); --modules: install these modules too
#   tools/db.sh drop DB              drop DB and its filestore
#   tools/db.sh copy SRC DST         DST := a copy of SRC (database and filestore)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
CONF="$ROOT/.run/odoo.conf"
FILESTORE="$ROOT/.run/data/filestore"
LOGS="$ROOT/.run/logs"
MODULE=sales_allocation
export PATH="$ROOT/.tools/node_modules/.bin:$PATH"

say() { echo "db: $*"; }
die() { echo "db: ERROR: $*" >&2; exit 1; }

db_exists() {
    [ "$(psql -d postgres -XAt -v db="$1" <<<"select 1 from pg_database where datname = :'db'")" = 1 ]
}

module_state() {
    local db="$1" state
    if ! db_exists "$db"; then echo absent; return; fi
    if ! state="$(psql -d "$db" -XAt -v ON_ERROR_STOP=1 -v m="$MODULE" \
            <<<"select state from ir_module_module where name = :'m'" 2>/dev/null)"; then
        echo empty; return
    fi
    echo "${state:-not-listed}"
}

drop() {
    local db="$1"
    if db_exists "$db"; then
        say "dropping database $db"
        dropdb --if-exists --force "$db"
    fi
    rm -rf "${FILESTORE:?}/$db"
}

create() {
    local db="$1" strict="" log rc=0 t0=$SECONDS arg extra_addons="" extra_modules=""
    shift
    for arg in "$@"; do
        case "$arg" in
            --strict) strict=--strict ;;
            --addons-path=?*) extra_addons="${arg#*=}" ;;
            --modules=?*) extra_modules="${arg#*=}" ;;
            *) die "create: unknown option $arg" ;;
        esac
    done
    local opts=(-c "$CONF" -d "$db" -i "$MODULE${extra_modules:+,$extra_modules}")
    if [ -n "$extra_addons" ]; then
        [ -d "$extra_addons" ] || die "no addons folder $extra_addons"
        local base
        base="$(sed -n 's/^addons_path *= *//p' "$CONF")"
        opts+=("--addons-path=$base,$extra_addons")
    fi
    db_exists "$db" && die "database $db already exists (drop it first: tools/db.sh drop $db)"
    mkdir -p "$LOGS"
    log="$LOGS/install-$db.log"
    say "creating database $db with $MODULE${extra_modules:+ and $extra_modules} and demo data (log: ${log#$ROOT/})"
    "$PY" "$ROOT/tools/odoo.py" "${opts[@]}" --stop-after-init --log-level=info >"$log" 2>&1 || rc=$?
    # Odoo's own YAML loader warns on every start; everything else is worth seeing.
    local notes
    notes="$(grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ' "$log" \
        | grep -v 'YAMLLoadWarning' || true)"
    if [ -n "$notes" ]; then
        say "warnings and errors logged during the install:"
        echo "$notes" | cut -c1-400 | head -40 | sed 's/^/    /'
    fi
    local state
    state="$(module_state "$db")"
    if [ "$rc" != 0 ] || [ "$state" != installed ]; then
        echo "db: --- last lines of ${log#$ROOT/} ---" >&2
        tail -40 "$log" >&2
        die "creating $db failed (Odoo exit code $rc, $MODULE state: $state)"
    fi
    local other
    for other in ${extra_modules//,/ }; do
        state="$(MODULE="$other" module_state "$db")"
        [ "$state" = installed ] || die "creating $db: module $other is $state, not installed"
    done
    if [ "$strict" = --strict ] && grep -qE '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$log"; then
        die "the install of $MODULE logged errors (see above and ${log#$ROOT/})"
    fi
    say "database $db created in $((SECONDS - t0)) s"
}

copy() {
    local src="$1" dst="$2"
    drop "$dst"
    say "copying database $src to $dst"
    createdb -T "$src" "$dst"
    if [ -d "$FILESTORE/$src" ]; then
        cp -a "$FILESTORE/$src" "$FILESTORE/$dst"
    fi
}

cmd="${1:-}"; shift || true
case "$cmd" in
    module-state) [ $# = 1 ] || die "usage: tools/db.sh module-state DB"; module_state "$1" ;;
    create) [ $# -ge 1 ] || die "usage: tools/db.sh create DB [--strict] [--addons-path=DIR] [--modules=A,B]"
        create "$@" ;;
    drop) [ $# = 1 ] || die "usage: tools/db.sh drop DB"; drop "$1" ;;
    copy) [ $# = 2 ] || die "usage: tools/db.sh copy SRC DST"; copy "$1" "$2" ;;
    *) sed -n '2,14p' "$0" >&2; exit 2 ;;
esac
