#!/usr/bin/env bash
# Bring this machine to the state sales_allocation needs to run and test:
#   system packages, the Python 3.7 venv in .venv/ with Odoo 11, lessc in .tools/,
#   a running PostgreSQL 15 with a superuser role for the current user, and the
#   generated Odoo config .run/odoo.conf.
# Idempotent: when everything is in place it only checks (well under 3 s).
#
#   tools/setup.sh             everything above
#   tools/setup.sh --browser   also Debian's chromium and a CJK font, and the browser
#                              test venv .venv-browser/ (Python 3.11 + Playwright)
#
# Environment: PYTHON (interpreter for the venv, default pyenv's 3.7.16),
#              PG_VERSION / PG_CLUSTER (default 15 / main).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
TOOLS="$ROOT/.tools"
RUN="$ROOT/.run"
PG_VERSION="${PG_VERSION:-15}"
PG_CLUSTER="${PG_CLUSTER:-main}"
PY_VERSION=3.7.16
# Bump when the install recipe below changes, so existing venvs are rebuilt.
RECIPE=1
# pip, setuptools and wheel in the venv: setuptools<58 because vatnumber's setup
# uses use_2to3; wheel because the source builds run without build isolation.
BOOTSTRAP_PINS=(pip==23.3.2 setuptools==57.5.0 wheel==0.42.0)
LESS_SPEC=less@3.13.1

WANT_BROWSER=0
for arg in "$@"; do
    case "$arg" in
        --browser) WANT_BROWSER=1 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "setup: unknown option $arg" >&2; exit 2 ;;
    esac
done

say() { echo "setup: $*"; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "need root for: $*"; fi
}

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"
    else sudo -u postgres "$@"; fi
}

# --- 1. system packages --------------------------------------------------------
# gcc, libpq-dev and postgresql are in the image; they are checked too so that a
# leaner machine fails here, early, rather than in the middle of a pip build.
APT_PKGS=(libldap2-dev libsasl2-dev libpq-dev gcc "postgresql-$PG_VERSION")
[ "$WANT_BROWSER" = 1 ] && APT_PKGS+=(chromium fonts-wqy-zenhei)
missing=()
for pkg in "${APT_PKGS[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing system packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
else
    say "system packages present (${APT_PKGS[*]})"
fi

# --- 2. Python venv with Odoo ----------------------------------------------------
find_python() {
    if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
    local root
    root="$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")"
    if [ -x "$root/versions/$PY_VERSION/bin/python" ]; then
        echo "$root/versions/$PY_VERSION/bin/python"; return
    fi
    command -v python3.7 || die "Python 3.7 not found (Odoo 11 needs 3.7; set PYTHON=/path/to/python3.7)"
}

req_hash() {
    { echo "recipe=$RECIPE ${BOOTSTRAP_PINS[*]}"; cat tools/requirements.txt tools/constraints.txt; } \
        | sha256sum | cut -d' ' -f1
}

# This machine's pip config lists local index folders that may not exist: pip warns
# once per package and folder. Those lines are dropped; everything else is shown.
pip_install() {
    "$VENV/bin/python" -m pip install -q "$@" 2>&1 \
        | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
}

STAMP="$VENV/.sales_allocation-requirements.sha256"
want_hash="$(req_hash)"
if [ -x "$VENV/bin/python" ] && ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 7))'; then
    say "venv $VENV is not Python 3.7: removing it"
    rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
    py="$(find_python)"
    say "creating venv $VENV with $py"
    "$py" -m venv "$VENV"
fi
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want_hash" ]; then
    say "installing Python packages into .venv (tools/requirements.txt changed or first run; ~1-2 min)"
    t0=$SECONDS
    pip_install "${BOOTSTRAP_PINS[@]}"
    pip_install --no-build-isolation -c tools/constraints.txt -r tools/requirements.txt
    "$VENV/bin/python" -c 'import odoo, pytest_odoo; assert odoo.release.version_info[:2] == (11, 0)'
    echo "$want_hash" > "$STAMP"
    say "Python packages installed in $((SECONDS - t0)) s"
else
    say "venv up to date ($(basename "$STAMP") matches)"
fi

# --- 3. lessc for the web client's .less assets -------------------------------------
if [ ! -x "$TOOLS/node_modules/.bin/lessc" ]; then
    command -v npm >/dev/null || die "npm not found: install Node.js (Debian: apt-get install npm)"
    say "installing $LESS_SPEC into .tools/"
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error "$LESS_SPEC"
else
    say "lessc present (.tools/node_modules/.bin/lessc)"
fi

# --- 3b. browser tests (--browser only): Playwright drives Debian's chromium -------------
# Its own venv: Playwright needs Python >= 3.8, Odoo 11 needs 3.7. Never
# `playwright install`: the tests launch the system chromium (tests/browser/conftest.py).
BROWSER_VENV="$ROOT/.venv-browser"
BROWSER_PINS=(playwright==1.65.2 pytest==9.2.0)
if [ "$WANT_BROWSER" = 1 ]; then
    if ! "$BROWSER_VENV/bin/python" -c 'import playwright, pytest' 2>/dev/null; then
        browser_py="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")/versions/3.11.7/bin/python"
        [ -x "$browser_py" ] || browser_py="$(command -v python3.11 || command -v python3)"
        say "creating browser test venv $BROWSER_VENV with $browser_py"
        "$browser_py" -m venv "$BROWSER_VENV"
        "$BROWSER_VENV/bin/python" -m pip install -q "${BROWSER_PINS[@]}"
    else
        say "browser test venv present (.venv-browser)"
    fi
fi

# --- 4. PostgreSQL ---------------------------------------------------------------
if ! pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c {f=1} END {exit !f}'; then
    say "creating PostgreSQL cluster $PG_VERSION/$PG_CLUSTER"
    as_root pg_createcluster "$PG_VERSION" "$PG_CLUSTER"
fi
if ! pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c && $4 ~ /^online/ {f=1} END {exit !f}'; then
    say "starting PostgreSQL $PG_VERSION/$PG_CLUSTER"
    as_root pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PG_CLUSTER" start
else
    say "PostgreSQL $PG_VERSION/$PG_CLUSTER running"
fi
ME="$(id -un)"
# Odoo refuses to run as the postgres role: it needs a superuser role of its own.
if [ "$(psql -d postgres -XAtc 'select rolsuper from pg_roles where rolname = current_user' 2>/dev/null || true)" = t ]; then
    say "PostgreSQL superuser role '$ME' present"
else
    say "creating PostgreSQL superuser role '$ME'"
    if as_postgres psql -XAtc "select 1 from pg_roles where rolname = '$ME'" | grep -q 1; then
        as_postgres psql -Xqc "alter role \"$ME\" superuser login"
    else
        as_postgres psql -Xqc "create role \"$ME\" superuser login"
    fi
fi

# --- 5. Odoo configuration ---------------------------------------------------------
mkdir -p "$RUN/data" "$RUN/logs"
ODOO_ADDONS="$("$VENV/bin/python" - <<'EOF' 2>/dev/null || true
import os, sysconfig
print(os.path.join(sysconfig.get_paths()["purelib"], "odoo", "addons"))
EOF
)"
[ -d "$ODOO_ADDONS" ] || die "Odoo addons not found in the venv ($ODOO_ADDONS)"
conf="$(cat <<EOF
# Generated by tools/setup.sh: do not edit, it is rewritten on every run.
[options]
addons_path = $ODOO_ADDONS,$ROOT
data_dir = $RUN/data
db_host =
db_port = False
db_user = False
db_password = False
admin_passwd = admin
logfile =
without_demo = False
EOF
)"
if [ "$(cat "$RUN/odoo.conf" 2>/dev/null || true)" != "$conf" ]; then
    printf '%s\n' "$conf" > "$RUN/odoo.conf"
    say "wrote .run/odoo.conf"
fi
say "ready"
