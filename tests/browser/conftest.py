"""Fixtures for the browser tests: a real Odoo server and headless Chromium.

The tests run in the browser venv (Python >= 3.8 with Playwright, made by
`tools/setup.sh --browser`), while Odoo runs in the project venv (.venv, Python 3.7):

    SA_BROWSER_DB=<database> .venv-browser/bin/python -m pytest -q tests/browser

SA_BROWSER_DB must hold sales_allocation with its demo data (it is modified: use a
copy). The server is the one of tests/rpc (same class, same log directory), started
threaded (--workers=0), which is simpler for the web client.
"""
import importlib.util
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ODOO_PYTHON = ROOT / ".venv" / "bin" / "python"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _rpc_conftest():
    spec = importlib.util.spec_from_file_location(
        "sales_allocation_rpc_conftest", str(ROOT / "tests" / "rpc" / "conftest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_rpc = _rpc_conftest()


class BrowserOdooServer(_rpc.OdooServer):
    """The RPC tests' server, run by the project venv's Python (not this one)."""

    def command(self):
        cmd = super().command()
        cmd[0] = str(ODOO_PYTHON)
        return cmd

    def _wait_ready(self):
        """Send no request before the registry is loaded.

        The threaded server (--workers=0) listens before it preloads the database's
        registry. A first request meanwhile imports every addon's controllers while the
        preload imports the same modules: the import can fail half-way (seen:
        ``decimal_precision`` has no ``get_precision``), Odoo 11 never retries it, and
        the web client then never loads an action.
        """
        deadline = time.monotonic() + self.start_timeout
        while "Modules loaded." not in self.log_path.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                break  # the base class reports a dead or silent server
            time.sleep(0.3)
        super()._wait_ready()


def _is_odoo_database(db):
    result = subprocess.run(
        ["psql", "-d", db, "-XAtc",
         "select state from ir_module_module where name = 'sales_allocation'"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    return result.returncode == 0 and result.stdout.strip() == "installed"


@pytest.fixture(scope="session")
def odoo_server():
    db = os.environ.get("SA_BROWSER_DB")
    if not db:
        pytest.exit("SA_BROWSER_DB is not set: give a copy of a database with "
                    "sales_allocation and its demo data.", returncode=4)
    if not _is_odoo_database(db):
        pytest.exit("SA_BROWSER_DB=%s: no database with sales_allocation installed" % db,
                    returncode=4)
    server = BrowserOdooServer(db, workers=0, start_timeout=120)
    server.log_path = _rpc.LOG_DIR / ("browser-server-%s.log" % db)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("SA_CHROMIUM") or shutil.which("chromium")
    if not executable:
        pytest.exit("chromium not found: run tools/setup.sh --browser", returncode=4)
    # Playwright gives every launch a fresh temporary profile of its own.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (its own cookies) and page, 1400 x 900."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
