#!/usr/bin/env bash
# Every test suite of sales_allocation, on a fresh throw-away database (`make test`).
#
#   tools/test.sh [--only PHASE[,PHASE...]] [TEST_DB]    default TEST_DB: sales_allocation_test
#
# --only: run setup and the phases named (e.g. `tools/test.sh --only oca`); addon, crm,
# rpc and browser bring the install phase along.
#
# Phases (each timed; a failing phase does not stop the later ones, except that
# nothing runs on a database whose install failed):
#   setup    tools/setup.sh
#   engine   plain pytest on sales_allocation/engine/tests (no database)
#   install  drop + create TEST_DB with sales_allocation and demo data, and a copy
#            TEST_DB_rpc for the RPC tests
#   addon    pytest-odoo on sales_allocation/tests
#   crm      pytest-odoo on Odoo's own crm tests, same database (must pass as without
#            the addon; the PhantomJS tour skips: there is no PhantomJS here)
#   rpc      plain pytest on tests/rpc against a real server on TEST_DB_rpc
#   browser  Playwright + headless Chromium on tests/browser against a real server on
#            TEST_DB_browser (the admin's and the rep's paths; README screenshots)
#   upgrade  tools/upgrade_check.sh on TEST_DB_upgrade: a database made by the previous
#            release (tools/previous_release) with demo data and a realistic state, upgraded
#            with -u sales_allocation: no ERROR logged, nothing lost (snapshot compared),
#            a new lead still allocated; the database is dropped afterwards
#   oca      OCA's sales_team_security, crm_industry (+ partner_industry_secondary) and
#            crm_phonecall from their 11.0 wheels (tools/oca.sh) installed beside the addon
#            in TEST_DB_oca with demo data; pytest-odoo on their own tests and on
#            sales_allocation/tests there; the database is dropped afterwards
#   lint     flake8 and pylint-odoo (tools/lint.sh)
# Exit status: 0 only when every phase passed. Last line: "test: N passed, N failed, ...".
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PHASES=setup,engine,install,addon,crm,rpc,browser,upgrade,oca,lint
ONLY=""
while [ $# -gt 0 ]; do
    case "$1" in
        --only) ONLY="${2:-}"; shift 2 || { echo "test: --only needs phase names" >&2; exit 2; } ;;
        --only=*) ONLY="${1#*=}"; shift ;;
        -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
        -*) echo "test: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
for phase in ${ONLY//,/ }; do
    case ",$PHASES," in
        *",$phase,"*) ;;
        *) echo "test: unknown phase $phase (phases: $PHASES)" >&2; exit 2 ;;
    esac
done
TEST_DB="${1:-sales_allocation_test}"
RPC_DB="${TEST_DB}_rpc"
BROWSER_DB="${TEST_DB}_browser"
OCA_DB="${TEST_DB}_oca"
PY="$ROOT/.venv/bin/python"
CONF="$ROOT/.run/odoo.conf"
LOGS="$ROOT/.run/logs"
export PATH="$ROOT/.tools/node_modules/.bin:$PATH"
# A stray ODOO_RC / OPENERP_SERVER would switch pytest-odoo on for the plain runs.
unset ODOO_RC OPENERP_SERVER

T_START=$SECONDS
SUMMARY=()
N_PASSED=0 N_FAILED=0 N_SKIPPED=0 N_ERRORS=0
FAILED_PHASES=()

banner() { printf '\n===== %s =====\n' "$*"; }

# want PHASE...: is any of these phases to run (all of them without --only)?
want() {
    local phase
    [ -z "$ONLY" ] && return 0
    for phase in "$@"; do
        case ",$ONLY," in *",$phase,"*) return 0 ;; esac
    done
    return 1
}

# record NAME STATUS SECONDS [DETAIL]
record() {
    SUMMARY+=("$(printf '%-8s %-8s %5ss  %s' "$1" "$2" "$3" "${4:-}")")
    [ "$2" = FAIL ] && FAILED_PHASES+=("$1")
    return 0
}

# Add up the counts of pytest's closing line ("3 passed, 1 skipped, 2 warnings in 1.2s").
count_pytest() {
    local line n word
    line="$(grep -E '^(=+ )?[0-9]+ [a-z]+.* in [0-9.]+s' "$1" | tail -1)"
    LAST_COUNTS="${line//=/}"
    LAST_COUNTS="$(echo "$LAST_COUNTS" | sed -E 's/^ +| +$//g')"
    while read -r n word; do
        case "$word" in
            passed) N_PASSED=$((N_PASSED + n)) ;;
            failed) N_FAILED=$((N_FAILED + n)) ;;
            skipped) N_SKIPPED=$((N_SKIPPED + n)) ;;
            error|errors) N_ERRORS=$((N_ERRORS + n)) ;;
        esac
    done < <(echo "$line" | grep -oE '[0-9]+ (passed|failed|skipped|errors?)')
}

# run_pytest NAME LOG ARGS...: run pytest from the venv, tee its output, record the phase.
# RUN_T0 (optional): the phase's start, when it did more before pytest; RUN_NOTE: appended
# to the phase's line.
run_pytest() {
    local name="$1" log="$2" t0=${RUN_T0:-$SECONDS} rc=0 note="${RUN_NOTE:+ ($RUN_NOTE)}"
    shift 2
    banner "$name: pytest $*"
    "$PY" -m pytest "$@" 2>&1 | tee "$log" || rc=$?
    LAST_COUNTS=""
    count_pytest "$log"
    case "$rc" in
        0) record "$name" PASS $((SECONDS - t0)) "$LAST_COUNTS$note" ;;
        5) record "$name" EMPTY $((SECONDS - t0)) "no tests collected$note" ;;
        *) record "$name" FAIL $((SECONDS - t0)) "pytest exit $rc: $LAST_COUNTS$note" ;;
    esac
}

mkdir -p "$LOGS"

# --- setup ---------------------------------------------------------------------------
banner "setup"
t0=$SECONDS
setup_opts=()
want browser && setup_opts=(--browser)
if tools/setup.sh "${setup_opts[@]}"; then
    record setup PASS $((SECONDS - t0))
else
    record setup FAIL $((SECONDS - t0))
    N_ERRORS=$((N_ERRORS + 1))
    printf '%s\n' "${SUMMARY[@]}"
    echo "test: setup failed, nothing was tested"
    echo "test: 0 passed, 1 failed"
    exit 1
fi

# --- engine (no database) ----------------------------------------------------------------
if ! want engine; then
    :
elif [ -d sales_allocation/engine/tests ]; then
    run_pytest engine "$LOGS/test-engine.log" -q sales_allocation/engine/tests
else
    record engine SKIP 0 "sales_allocation/engine/tests does not exist yet"
fi

# --- install ---------------------------------------------------------------------------------
install_ok=0
if want install addon crm rpc browser; then
    banner "install: fresh $TEST_DB"
    t0=$SECONDS
    if tools/db.sh drop "$TEST_DB" && tools/db.sh drop "$RPC_DB" \
            && tools/db.sh drop "$BROWSER_DB" \
            && tools/db.sh create "$TEST_DB" --strict && tools/db.sh copy "$TEST_DB" "$RPC_DB" \
            && tools/db.sh copy "$TEST_DB" "$BROWSER_DB"; then
        install_ok=1
        record install PASS $((SECONDS - t0)) "$TEST_DB (+ copies $RPC_DB, $BROWSER_DB)"
    else
        record install FAIL $((SECONDS - t0)) "see .run/logs/install-$TEST_DB.log"
        N_ERRORS=$((N_ERRORS + 1))
    fi
fi

if [ "$install_ok" = 1 ]; then
    ODOO_OPTS=(-p odoo "--odoo-config=$CONF" "--odoo-database=$TEST_DB")
    # --- addon tests ---------------------------------------------------------------------
    if ! want addon; then
        :
    elif [ -d sales_allocation/tests ]; then
        run_pytest addon "$LOGS/test-addon.log" -q -rs --disable-warnings "${ODOO_OPTS[@]}" --odoo-log-level=warn \
            sales_allocation/tests
    else
        record addon SKIP 0 "sales_allocation/tests does not exist"
    fi
    # --- Odoo's crm tests ----------------------------------------------------------------------
    if want crm; then
        CRM_TESTS="$("$PY" -c 'import os, odoo; print(os.path.join(os.path.dirname(odoo.__file__), "addons", "crm", "tests"))')"
        run_pytest crm "$LOGS/test-crm.log" -q -rs --disable-warnings "${ODOO_OPTS[@]}" "$CRM_TESTS"
    fi
    # --- XML-RPC against a real server ------------------------------------------------------------
    if want rpc; then
        SA_RPC_DB="$RPC_DB" run_pytest rpc "$LOGS/test-rpc.log" -q tests/rpc
    fi
    # --- the web client in headless Chromium ------------------------------------------------------
    if want browser; then
        PY_SAVED="$PY"
        PY="$ROOT/.venv-browser/bin/python"
        SA_BROWSER_DB="$BROWSER_DB" run_pytest browser "$LOGS/test-browser.log" -q tests/browser
        PY="$PY_SAVED"
    fi
else
    for phase in addon crm rpc browser; do
        want "$phase" && record "$phase" "NOT RUN" 0 "install failed"
    done
fi

# --- upgrade from the previous release -------------------------------------------------------------
if want upgrade; then
    banner "upgrade: the previous release's database, -u sales_allocation (tools/upgrade_check.sh)"
    t0=$SECONDS
    if tools/upgrade_check.sh "${TEST_DB}_upgrade" 2>&1 | tee "$LOGS/test-upgrade.log"; then
        record upgrade PASS $((SECONDS - t0)) "from $(grep -m1 -oE '^upgrade: previous release [0-9a-f]+' \
            "$LOGS/test-upgrade.log" | cut -d' ' -f4)"
        N_PASSED=$((N_PASSED + 1))
    else
        record upgrade FAIL $((SECONDS - t0)) "see .run/logs/test-upgrade.log"
        N_ERRORS=$((N_ERRORS + 1))
    fi
fi

# --- beside OCA modules: their tests and the addon's in a database of their own ---------------
if want oca; then
    banner "oca: sales_allocation beside OCA modules in $OCA_DB (tools/oca.sh)"
    t0=$SECONDS
    OCA_CONF="$ROOT/.run/odoo-oca.conf"
    if tools/oca.sh setup && tools/db.sh drop "$OCA_DB" \
            && tools/db.sh create "$OCA_DB" --strict --addons-path="$(tools/oca.sh addons)" \
                --modules="$(tools/oca.sh modules)"; then
        mapfile -t OCA_TESTS < <(tools/oca.sh tests)
        RUN_T0=$t0 RUN_NOTE="install $((SECONDS - t0))s" run_pytest oca "$LOGS/test-oca.log" \
            -q -rs --disable-warnings -p odoo "--odoo-config=$OCA_CONF" "--odoo-database=$OCA_DB" \
            --odoo-log-level=warn "${OCA_TESTS[@]}" sales_allocation/tests
    else
        record oca FAIL $((SECONDS - t0)) "install failed: see .run/logs/install-$OCA_DB.log"
        N_ERRORS=$((N_ERRORS + 1))
    fi
    tools/db.sh drop "$OCA_DB" || true
fi

# --- lint ------------------------------------------------------------------------------------------
if want lint; then
    banner "lint: flake8 + pylint-odoo"
    t0=$SECONDS
    if tools/lint.sh 2>&1 | tee "$LOGS/test-lint.log"; then
        record lint PASS $((SECONDS - t0))
    else
        record lint FAIL $((SECONDS - t0)) "see .run/logs/test-lint.log"
        N_ERRORS=$((N_ERRORS + 1))
    fi
fi

# --- summary ---------------------------------------------------------------------------------------
banner "summary (logs in .run/logs/)"
printf '%s\n' "${SUMMARY[@]}"
echo "total    $((SECONDS - T_START)) s"
if [ "${#FAILED_PHASES[@]}" -gt 0 ]; then
    echo "test: FAILED phases: ${FAILED_PHASES[*]}"
fi
# Phases that failed without a pytest count (setup, install) count as one failure.
n_failed=$((N_FAILED + N_ERRORS))
if [ "${#FAILED_PHASES[@]}" -gt 0 ] && [ "$n_failed" = 0 ]; then n_failed=${#FAILED_PHASES[@]}; fi
echo "test: $N_PASSED passed, $n_failed failed, $N_SKIPPED skipped"
[ "${#FAILED_PHASES[@]}" = 0 ]
