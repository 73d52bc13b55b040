#!/usr/bin/env bash
# Database helpers for the Makefile and tools/test.sh (run tools/setup.sh first).
#
#   tools/db.sh module-state DB      print sales_allocation's state in DB:
#                                    absent (no such database), empty (not an Odoo
#                                    database), not-listed, uninstalled, installed, ...
#   tools/db.sh create DB [--strict] [--addons-path=DIR] [--modules=A,B] [--lang=CODE]
#                                    create DB with sales_allocation and demo data;
#                                    --strict: fail on ERROR/CRITICAL lines in the log;
#                                    --addons-path: one more addons folder (after the
#                                    config's); --modules: install these modules too;
#                                    --lang: load language CODE (e.g. zh_CN), as `lang`
#   tools/db.sh lang DB CODE         load language CODE into DB (unless loaded already)
#                                    and make it the language of the administrator and
#                                    of the addon's demo users
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
    local db="$1" strict="" log rc=0 t0=$SECONDS arg extra_addons="" extra_modules="" lang=""
    shift
    for arg in "$@"; do
        case "$arg" in
            --strict) strict=--strict ;;
            --addons-path=?*) extra_addons="${arg#*=}" ;;
            --modules=?*) extra_modules="${arg#*=}" ;;
            --lang=?*) lang="${arg#*=}" ;;
            *) die "create: unknown option $arg" ;;
        esac
    done
    local opts=(-c "$CONF" -d "$db" -i "$MODULE${extra_modules:+,$extra_modules}")
    # Loaded before the modules are installed, so each module's translations load too.
    [ -z "$lang" ] || opts+=("--load-language=$lang")
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
    # The demo history was bulk-written a moment ago: vacuum the tables it filled, as
    # autovacuum would soon, so that the planner sees them as a live database's (index-
    # only scans of the open-lead index need the visibility map).
    vacuumdb -q --analyze -t crm_lead -t sales_allocation_log -d "$db"
    [ -z "$lang" ] || set_lang "$db" "$lang"
    say "database $db created in $((SECONDS - t0)) s"
}

lang_loaded() {
    [ "$(psql -d "$1" -XAt -v code="$2" \
        <<<"select 1 from res_lang where code = :'code' and active")" = 1 ]
}

# The administrator and the addon's demo users speak CODE from now on.
set_lang() {
    local db="$1" code="$2"
    lang_loaded "$db" "$code" || die "language $code is not loaded in $db"
    psql -d "$db" -XAq -v ON_ERROR_STOP=1 -v code="$code" <<'SQL'
UPDATE res_partner p SET lang = :'code'
  FROM res_users u
 WHERE u.partner_id = p.id
   AND (u.login = 'admin'
        OR u.id IN (SELECT res_id FROM ir_model_data
                     WHERE module = 'sales_allocation' AND model = 'res.users'));
SQL
    say "$code is the language of admin and the demo users in $db"
}

lang() {
    local db="$1" code="$2" log
    [ "$(module_state "$db")" = installed ] || die "no $MODULE installed in $db"
    if ! lang_loaded "$db" "$code"; then
        mkdir -p "$LOGS"
        log="$LOGS/lang-$db.log"
        say "loading language $code into $db (log: ${log#$ROOT/})"
        "$PY" "$ROOT/tools/odoo.py" -c "$CONF" -d "$db" --load-language="$code" \
            --stop-after-init --log-level=info >"$log" 2>&1 \
            || { tail -20 "$log" >&2; die "loading $code into $db failed"; }
        lang_loaded "$db" "$code" || die "Odoo did not load language $code (see ${log#$ROOT/})"
    fi
    set_lang "$db" "$code"
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
    create) [ $# -ge 1 ] || die "usage: tools/db.sh create DB [--strict] [--addons-path=DIR] [--modules=A,B] [--lang=CODE]"
        create "$@" ;;
    lang) [ $# = 2 ] || die "usage: tools/db.sh lang DB CODE"; lang "$1" "$2" ;;
    drop) [ $# = 1 ] || die "usage: tools/db.sh drop DB"; drop "$1" ;;
    copy) [ $# = 2 ] || die "usage: tools/db.sh copy SRC DST"; copy "$1" "$2" ;;
    *) sed -n '2,17p' "$0" >&2; exit 2 ;;
esac
