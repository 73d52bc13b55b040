"""Masked contact details in a real browser (issue 14): a rep sees a pool lead's phone
and email masked until he claims it, then in full.

A pool that hides contact details, a lead in it with phone 13800138000 and email
wang@huadong-steel.com.cn. The rep (a claimer of the pool, Sales "Own Documents
Only") logs in through /web/login, opens CRM > Lead Pool > Claimable in its list view:
the row is there, its phone and email are nowhere in the page's HTML; he
opens the lead: 138****8000 and w***@huadong-steel.com.cn. He clicks Claim in the
form: the same form now shows 13800138000 and wang@huadong-steel.com.cn. Screenshots
docs/screenshots/pool_masked.png and pool_unmasked.png.
"""
import uuid

from browser_helpers import login, open_action, screenshot, xmlid

PHONE = "13800138000"
EMAIL = "wang@huadong-steel.com.cn"
CONTACT = "王建国"


def _field_text(page, name):
    return page.locator(".o_form_view .o_field_widget[name=%s]" % name).inner_text().strip()


def test_a_rep_sees_a_masked_pool_lead_and_the_full_contact_after_the_claim(
        page, odoo_server, screenshots):
    tag = uuid.uuid4().hex[:6]
    rep_id = xmlid(odoo_server, "sales_allocation.res_users_wangfang_demo")
    pool_id = odoo_server.execute("sales.allocation.pool", "create", {
        "name": "华东钢贸公海 %s" % tag, "mask_contacts": True,
        "user_ids": [(6, 0, [rep_id])], "max_claims_per_day": 0})
    name = "华东钢铁 - 冷轧板询价 %s" % tag
    lead_id = odoo_server.execute("crm.lead", "create", {
        "name": name, "type": "lead", "pool_id": pool_id, "partner_name": "华东钢铁有限公司",
        "contact_name": CONTACT, "phone": PHONE, "email_from": EMAIL})
    [stored] = odoo_server.execute("crm.lead", "read", [lead_id],
                                   ["user_id", "pool_id", "phone", "email_from"])
    assert stored["user_id"] is False and stored["pool_id"][0] == pool_id
    assert (stored["phone"], stored["email_from"]) == (PHONE, EMAIL)  # admin: in full

    login(page, odoo_server, "wangfang")
    open_action(page, odoo_server, "sales_allocation.crm_lead_action_pool_claimable")
    page.click(".o_cp_switch_list")
    row = page.locator(".o_list_view tr.o_data_row:has-text('%s')" % name)
    row.wait_for()
    # Nothing on the page gives the number or the address away.
    assert PHONE not in page.content() and EMAIL not in page.content()
    row.locator("td:has-text('%s')" % name).click()
    page.wait_for_selector(".o_form_view .o_field_widget[name=phone]")
    assert _field_text(page, "phone") == "138****8000"
    assert _field_text(page, "email_from") == "w***@huadong-steel.com.cn"
    assert _field_text(page, "contact_name") == "王**"
    page.wait_for_selector(".o_form_view .o_thread_message")  # the chatter too
    html = page.content()  # texts, links (tel:, mailto:), titles
    assert PHONE not in html and EMAIL not in html and CONTACT not in html
    screenshot(page, screenshots / "pool_masked.png")

    # Claim from the form: the form reloads with the details in full.
    page.click(".o_form_statusbar .o_statusbar_buttons button:has-text('Claim')")
    page.wait_for_selector(".o_form_view .o_field_widget[name=phone]:has-text('%s')"
                           % PHONE)
    assert _field_text(page, "phone") == PHONE
    assert _field_text(page, "email_from") == EMAIL
    assert _field_text(page, "contact_name") == CONTACT
    assert page.locator(".o_form_statusbar button:has-text('Claim')").is_hidden()
    screenshot(page, screenshots / "pool_unmasked.png")
    [claimed] = odoo_server.execute("crm.lead", "read", [lead_id], ["user_id"])
    assert claimed["user_id"][0] == rep_id
    assert page.js_errors == []
