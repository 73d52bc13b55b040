"""What every browser test does: find demo records, log in, open an action, take a
screenshot once the web client has settled."""
import itertools

from playwright.sync_api import TimeoutError as PlaywrightTimeout

_LOADS = itertools.count(1)


def xmlid(odoo_server, full_id):
    """The database id of a record named by its XML id (demo data)."""
    module, name = full_id.split(".")
    rows = odoo_server.execute("ir.model.data", "search_read",
                               [("module", "=", module), ("name", "=", name)], ["res_id"])
    assert rows, "demo record %s is missing" % full_id
    return rows[0]["res_id"]


def login(page, odoo_server, user="admin", password=None):
    """Log in (demo users' passwords are their logins) and hide the onboarding tips,
    which would cover the screen in screenshots."""
    page.goto(odoo_server.url + "/web/login")
    page.fill("input[name=login]", user)
    page.fill("input[name=password]", password or user)
    page.click("button[type=submit]")
    # The first page of a fresh server compiles the assets (lessc): give it time.
    page.wait_for_selector(".o_web_client .o_main_navbar, .o_web_client .o_main",
                           timeout=120000)
    page.add_style_tag(content=".o_tooltip { display: none !important; }")


VIEW = ".o_list_view, .o_form_view, .o_pivot, .o_graph, .o_kanban_view"


def open_action(page, odoo_server, action_xmlid, debug=False):
    """Open a window action and wait for its view (``debug``: in developer mode).

    A full page load (the query string differs), not a hash change: right after the
    login the client may still be opening its home action, which would win the race.
    On a server that has just compiled its assets the first start of the client
    sometimes never loads the action (no request for it reaches the server): reload
    once before giving up.
    """
    page.goto(odoo_server.url + "/web?%s#action=%s" % (
        _query(debug) if debug else "reload=1", action_xmlid))
    try:
        page.wait_for_selector(VIEW, timeout=60000)
    except PlaywrightTimeout:
        page.reload()
        page.wait_for_selector(VIEW, timeout=120000)


def screenshot(page, path, **kw):
    """After the client's "Loading" bubble is gone."""
    page.wait_for_selector(".o_loading", state="hidden")
    page.screenshot(path=str(path), **kw)


def _query(debug):
    """A query string never used before on this page: ``goto`` then loads the page
    anew instead of changing the hash under a client that is still busy (the old
    view would satisfy the wait)."""
    return "%sreload=p%d" % ("debug=1&" if debug else "", next(_LOADS))


def open_record(page, odoo_server, model, res_id, action_xmlid=None, debug=False):
    """Open one record's form (in an action, for its breadcrumb and buttons); with
    ``debug``, in developer mode (the domain editor's code field, technical menus)."""
    fragment = "model=%s&id=%d&view_type=form" % (model, res_id)
    if action_xmlid:
        fragment = "action=%s&%s" % (action_xmlid, fragment)
    page.goto(odoo_server.url + "/web?%s#%s" % (_query(debug), fragment))
    try:
        page.wait_for_selector(".o_form_view", timeout=60000)
    except PlaywrightTimeout:
        page.reload()
        page.wait_for_selector(".o_form_view", timeout=120000)


def pick(page, scope, field, text):
    """Type ``text`` in the many2one (or many2many_tags) ``field`` under ``scope`` and
    choose the suggestion that shows it."""
    page.fill("%s .o_field_widget[name=%s] input" % (scope, field), text)
    page.click(".ui-autocomplete:visible li:has-text('%s')" % text)


def wait_saved(page):
    """After Save: the form is back in read mode and the client has settled."""
    page.wait_for_selector(".o_form_view.o_form_readonly")
    page.wait_for_selector(".o_loading", state="hidden")
