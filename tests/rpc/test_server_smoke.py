"""The server the RPC tests talk to is Odoo 11 with sales_allocation installed."""


def test_server_is_odoo_11(odoo_server):
    version = odoo_server.common.version()
    assert version["server_version_info"][:2] == [11, 0], version


def test_admin_logs_in(odoo_server):
    assert odoo_server.uid
    [user] = odoo_server.execute("res.users", "read", [odoo_server.uid], ["login"])
    assert user["login"] == "admin"


def test_sales_allocation_is_installed(odoo_server):
    modules = odoo_server.execute(
        "ir.module.module", "search_read", [("name", "=", "sales_allocation")], ["state"])
    assert [m["state"] for m in modules] == ["installed"]


def test_other_user_logs_in(odoo_server):
    demo = odoo_server.login("demo", "demo")  # Odoo's demo user (demo data is installed)
    assert demo.uid != odoo_server.uid
    assert demo.execute("res.users", "read", [demo.uid], ["login"])[0]["login"] == "demo"
