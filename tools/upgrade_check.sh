#!/usr/bin/env bash
# Upgrade in place (issue 12): a database made by the previous release must upgrade to
# this code with `-u sales_allocation`, with no error and nothing lost. Run by
# tools/test.sh (phase "upgrade"); run tools/setup.sh first.
#
#   tools/upgrade_check.sh [DB] [--keep]   default DB: ${TEST_DB:-sales_allocation_test}_upgrade
#
#   1. the previous release (commit in tools/previous_release) is extracted with
#      git archive into a temporary folder;
#   2. DB is created with THAT sales_allocation and its demo data (a temporary Odoo
#      config whose addons_path has the old copy instead of this checkout);
#   3. tools/upgrade_check.py before: with the old code, leads allocated by the rules,
#      pool leads, claims, a release, owners set by hand and a reclaim run, committed;
#      then a JSON snapshot of the leads, log, rules, queues and members (rotation state),
#      pools, regions and matrices (.run/logs/upgrade-DB.snapshot.json);
#   4. `-u sales_allocation` with this code (.run/logs/upgrade-DB.log): Odoo must exit 0,
#      leave the module installed and log no ERROR or CRITICAL line;
#   5. tools/upgrade_check.py after: the same reads with this code must give the same
#      values (fields the old release had may only disappear through the allow-list in
#      upgrade_check.py), and a new lead must be allocated, logged, and get its turn;
#   6. DB, its filestore and the temporary folder are removed, even on failure (--keep
#      keeps DB for a look). Only a database this script created (its PostgreSQL comment
#      says so) is ever dropped.
# Logs in .run/logs/: upgrade-install-DB.log (old install), upgrade-before-DB.log,
# upgrade-DB.log (the upgrade), upgrade-after-DB.log; every one must be free of ERROR
# and CRITICAL lines.
# Exit status 0 only when every check passed. Last line: "upgrade: 1 passed, 0 failed"
# or "upgrade: 0 passed, 1 failed".
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
CONF="$ROOT/.run/odoo.conf"
LOGS="$ROOT/.run/logs"
MODULE=sales_allocation
MARK="sales_allocation upgrade check (tools/upgrade_check.sh): throw-away database"
export PATH="$ROOT/.tools/node_modules/.bin:$PATH"
unset ODOO_RC OPENERP_SERVER

DB="" KEEP=0
for arg in "$@"; do
    case "$arg" in
        --keep) KEEP=1 ;;
        -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
        -*) echo "upgrade: unknown option $arg" >&2; exit 2 ;;
        *) DB="$arg" ;;
    esac
done
DB="${DB:-${TEST_DB:-sales_allocation_test}_upgrade}"
T_START=$SECONDS
TMP="" CREATED=0 RESULT=1

say() { echo "upgrade: $*"; }
fail() { echo "upgrade: FAIL: $*" >&2; exit 1; }

db_exists() {
    [ "$(psql -d postgres -XAt -v db="$1" <<<"select 1 from pg_database where datname = :'db'")" = 1 ]
}
db_comment() {
    psql -d postgres -XAt -v db="$1" \
        <<<"select shobj_description(oid, 'pg_database') from pg_database where datname = :'db'"
}

# On every exit (a failure, Ctrl-C): remove the temporary folder and the database, then
# print the count line last.
on_exit() {
    if [ -n "$TMP" ]; then rm -rf "$TMP"; fi
    if [ "$CREATED" = 1 ] && [ "$KEEP" = 1 ]; then
        say "kept database $DB (--keep): drop it with tools/db.sh drop $DB"
    elif [ "$CREATED" = 1 ]; then
        tools/db.sh drop "$DB" >/dev/null 2>&1 && say "dropped $DB" \
            || echo "upgrade: could not drop $DB" >&2
    fi
    if [ "$RESULT" = 0 ]; then
        echo "upgrade: 1 passed, 0 failed"
    else
        echo "upgrade: 0 passed, 1 failed"
    fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# Lines Odoo logged at ERROR or CRITICAL (as tools/db.sh --strict reads them).
errors_in() { grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$1"; }
# Warnings and errors worth showing (Odoo's YAML loader warns on every start).
notes_in() {
    grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ' "$1" \
        | grep -v 'YAMLLoadWarning' | cut -c1-400 | head -40 | sed 's/^/    /'
}
module_state() {
    psql -d "$DB" -XAt -v m="$MODULE" <<<"select state from ir_module_module where name = :'m'" \
        2>/dev/null
}

[ -x "$PY" ] && [ -f "$CONF" ] || fail "no venv or .run/odoo.conf: run tools/setup.sh first"
mkdir -p "$LOGS"

# --- 1. the previous release ------------------------------------------------------------
COMMIT="$(sed -e 's/#.*//' -e 's/[[:space:]]//g' tools/previous_release 2>/dev/null | grep -m1 . || true)"
[ -n "$COMMIT" ] || fail "tools/previous_release names no commit"
git -C "$ROOT" cat-file -e "$COMMIT^{commit}" 2>/dev/null \
    || fail "commit $COMMIT (tools/previous_release) is not in this repository"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/sa-upgrade.XXXXXX")"
mkdir -p "$TMP/addons"
git -C "$ROOT" archive "$COMMIT" "$MODULE" | tar -x -C "$TMP/addons" \
    || fail "could not extract $MODULE/ of $COMMIT"
[ -f "$TMP/addons/$MODULE/__manifest__.py" ] || fail "$COMMIT has no $MODULE/__manifest__.py"
OLD_CONF="$TMP/odoo-previous.conf"
# The same config, with the old copy in place of this checkout in addons_path.
awk -v root="$ROOT" -v old="$TMP/addons" '
    /^addons_path[[:space:]]*=/ {
        sub(/^addons_path[[:space:]]*=[[:space:]]*/, "")
        n = split($0, paths, ",")
        out = ""
        for (i = 1; i <= n; i++) {
            p = paths[i]; gsub(/^[[:space:]]+|[[:space:]]+$/, "", p); sub(/\/$/, "", p)
            if (p == root) { p = old; found = 1 }
            out = out (out == "" ? "" : ",") p
        }
        print "addons_path = " out
        next
    }
    { print }
    END { if (!found) exit 3 }
' "$CONF" >"$OLD_CONF" || fail "$ROOT is not in the addons_path of .run/odoo.conf"
say "previous release $(git -C "$ROOT" log -1 --format='%h %ad %s' --date=short "$COMMIT" | cut -c1-90)"
say "  extracted to $TMP/addons/$MODULE (version $("$PY" -c \
    "import ast, sys; print(ast.literal_eval(open(sys.argv[1]).read())['version'])" \
    "$TMP/addons/$MODULE/__manifest__.py"))"

# --- 2. a database made by the previous release ----------------------------------------------
if db_exists "$DB"; then
    [ "$(db_comment "$DB")" = "$MARK" ] \
        || fail "database $DB exists and was not made by this script: choose another name"
    say "dropping $DB, left by an earlier run"
    tools/db.sh drop "$DB" >/dev/null || fail "could not drop $DB"
fi
createdb -T template0 -E UTF8 "$DB" "$MARK" || fail "could not create database $DB"
CREATED=1
t0=$SECONDS
log="$LOGS/upgrade-install-$DB.log"
say "[1/4] installing the previous release's $MODULE with demo data in $DB (log: ${log#$ROOT/})"
rc=0
"$PY" tools/odoo.py -c "$OLD_CONF" -d "$DB" -i "$MODULE" --stop-after-init \
    --log-level=info >"$log" 2>&1 || rc=$?
notes_in "$log"
state="$(module_state)"
if [ "$rc" != 0 ] || [ "$state" != installed ] || errors_in "$log" >/dev/null; then
    tail -30 "$log" | sed 's/^/    /'
    fail "installing the previous release failed (Odoo exit $rc, $MODULE $state; ${log#$ROOT/})"
fi
say "      installed in $((SECONDS - t0)) s"

# --- 3. a realistic state, and its snapshot, with the old code -------------------------------------
t0=$SECONDS
SNAPSHOT="$LOGS/upgrade-$DB.snapshot.json"
say "[2/4] leads, claims, releases, a reclaim run with the previous release; snapshot"
log="$LOGS/upgrade-before-$DB.log"
"$PY" tools/upgrade_check.py -c "$OLD_CONF" -d "$DB" before "$SNAPSHOT" 2>&1 | tee "$log" \
    || fail "could not bring $DB to its state with the previous release"
errors_in "$log" >/dev/null && fail "Odoo logged errors while the state was made (${log#$ROOT/})"
say "      done in $((SECONDS - t0)) s"

# --- 4. the upgrade with this code ---------------------------------------------------------------------
t0=$SECONDS
log="$LOGS/upgrade-$DB.log"
say "[3/4] -u $MODULE with this checkout (log: ${log#$ROOT/})"
rc=0
"$PY" tools/odoo.py -c "$CONF" -d "$DB" -u "$MODULE" --stop-after-init \
    --log-level=info >"$log" 2>&1 || rc=$?
notes_in "$log"
state="$(module_state)"
if [ "$rc" != 0 ] || [ "$state" != installed ]; then
    tail -30 "$log" | sed 's/^/    /'
    fail "the upgrade failed (Odoo exit $rc, $MODULE $state; ${log#$ROOT/})"
fi
if errors_in "$log" >/dev/null; then
    fail "the upgrade logged ERROR or CRITICAL lines (above, and ${log#$ROOT/})"
fi
say "      upgraded in $((SECONDS - t0)) s"

# --- 5. nothing lost, and the new code allocates -------------------------------------------------------
t0=$SECONDS
say "[4/4] the snapshot read again with this code; one new lead"
log="$LOGS/upgrade-after-$DB.log"
"$PY" tools/upgrade_check.py -c "$CONF" -d "$DB" after "$SNAPSHOT" 2>&1 | tee "$log" \
    || fail "the upgraded database differs from the snapshot, or the new lead failed (above)"
errors_in "$log" >/dev/null && fail "Odoo logged errors after the upgrade (${log#$ROOT/})"
say "      checked in $((SECONDS - t0)) s"
say "passed in $((SECONDS - T_START)) s"
RESULT=0
