# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One customer, one owner: match keys and the ranking of matches (issue 14)."""
import itertools
from datetime import datetime, timedelta

import pytest

from engine.dedupe import (
    PUBLIC_MAIL_DOMAINS, STRENGTHS, Candidate, Contact, best_match, digits_only,
    email_domain, match_keys, normalize_company, normalize_email, normalize_vat,
    parse_domain_list, public_domain, shared_strength)

NOT_TEXT = [None, False, 0, 12, b"a@b.com", ["a@b.com"]]
BLANK = ["", " ", "\t\n", "\u3000"]


# ---------------------------------------------------------------- normalize_email

EMAILS = [
    ("alice@example.com", "alice@example.com"),
    ("Alice@Example.COM", "alice@example.com"),
    ("  alice@example.com \n", "alice@example.com"),
    ("Alice Smith <Alice@Example.com>", "alice@example.com"),
    ('"Smith, Alice" <alice@example.com>', "alice@example.com"),
    ('"alice@other.com" <alice@example.com>', "alice@example.com"),
    ("张三 <zhangsan@huadong-steel.com>", "zhangsan@huadong-steel.com"),
    ("张三＜zhangsan@huadong-steel.com＞", "zhangsan@huadong-steel.com"),
    ("<alice@example.com>", "alice@example.com"),
    ("alice＠example.com", "alice@example.com"),
    ("alice@example．com", "alice@example.com"),
    ("alice@example。com", "alice@example.com"),
    ("alice@example｡com", "alice@example.com"),
    ("ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "alice@example.com"),
    ("\u3000alice@example.com\u3000", "alice@example.com"),
    ("alice@example.com。", "alice@example.com"),
    ("alice@example.com.", "alice@example.com"),
    ("mailto:Alice@Example.com", "alice@example.com"),
    ("'alice@example.com'", "alice@example.com"),
    ("(alice@example.com)", "alice@example.com"),
    ("alice@example.com, bob@example.org", "alice@example.com"),
    ("alice@example.com; bob@example.org", "alice@example.com"),
    ("alice@example.com、bob@example.org", "alice@example.com"),
    ("Alice alice@example.com", "alice@example.com"),
    ("alice smith@example.com", "smith@example.com"),  # a name without brackets
    ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
    ("o'brien@example.ie", "o'brien@example.ie"),
    ("a_b-c@my-company.com.cn", "a_b-c@my-company.com.cn"),
    ("12345@qq.com", "12345@qq.com"),
    ("sales@华东钢铁.中国", "sales@华东钢铁.中国"),
    ("sales@xn--fiqs8s.xn--fiqs8s", "sales@xn--fiqs8s.xn--fiqs8s"),
]

BAD_EMAILS = [
    "alice", "alice@", "@example.com", "alice@example", "alice@@example.com",
    "alice@bob@example.com", "alice@example..com", "alice@-example.com",
    "alice@example-.com", "alice@.example.com", "alice@example.c", "alice@example.123",
    ".alice@example.com", "alice.@example.com", "al..ice@example.com",
    "Alice <>", "Alice <alice>", "<not an address>",
    "alice@exa_mple.com", "a@" + "b" * 250 + ".com", "N/A", "无", "-",
]


@pytest.mark.parametrize("text, expected", EMAILS)
def test_normalize_email(text, expected):
    assert normalize_email(text) == expected


@pytest.mark.parametrize("text", BAD_EMAILS + BLANK + NOT_TEXT)
def test_normalize_email_rejects(text):
    assert normalize_email(text) is None


@pytest.mark.parametrize("text, expected", EMAILS)
def test_normalize_email_is_idempotent(text, expected):
    assert normalize_email(normalize_email(text)) == expected


# ---------------------------------------------------------------- email_domain

DOMAINS = [
    ("sales@huadong-steel.com", "huadong-steel.com"),
    ("Wang Wei <WANG@Huadong-Steel.COM>", "huadong-steel.com"),
    ("a@sales.acme.com", "sales.acme.com"),  # kept whole: not acme.com
    ("a@acme.com.cn", "acme.com.cn"),
    ("a@qq.com.evil.com", "qq.com.evil.com"),  # the public domain is not a suffix here
    ("a@myqq.com", "myqq.com"),  # nor a label boundary
    ("a@华东钢铁.中国", "华东钢铁.中国"),
]

PUBLIC = [
    "12345@qq.com", "a@vip.qq.com", "a@foxmail.com", "a@163.com", "a@126.com",
    "a@yeah.net", "a@sina.com", "a@sina.cn", "a@sohu.com", "a@aliyun.com", "a@139.com",
    "a@189.cn", "a@gmail.com", "a@googlemail.com", "a@outlook.com", "a@hotmail.com",
    "a@live.com", "a@msn.com", "a@yahoo.com", "a@yahoo.com.cn", "a@icloud.com",
    "a@me.com", "a@protonmail.com", "A@GMAIL.COM", "Bob <bob＠ｇｍａｉｌ．ｃｏｍ>",
    "a@vip.163.com", "a@vip.sina.com", "a@mail.vip.163.com",  # subdomains too
]


@pytest.mark.parametrize("email, expected", DOMAINS)
def test_email_domain_of_a_company(email, expected):
    assert email_domain(email) == expected
    assert email_domain(email, PUBLIC_MAIL_DOMAINS) == expected


@pytest.mark.parametrize("email", PUBLIC)
def test_email_domain_of_a_public_provider_is_none(email):
    assert email_domain(email) is None


@pytest.mark.parametrize("email", BAD_EMAILS + BLANK + NOT_TEXT)
def test_email_domain_of_no_address_is_none(email):
    assert email_domain(email) is None


def test_email_domain_with_an_admin_list():
    admin = parse_domain_list("partner-mail.com\nqq.com")
    assert email_domain("a@partner-mail.com", admin) is None
    assert email_domain("a@qq.com", admin) is None
    # The admin list replaces the defaults; gmail is a company domain for it.
    assert email_domain("a@gmail.com", admin) == "gmail.com"
    # An empty list makes every domain a company domain; None means the defaults.
    assert email_domain("a@gmail.com", frozenset()) == "gmail.com"
    assert email_domain("a@gmail.com", None) is None


@pytest.mark.parametrize("email", PUBLIC)
def test_public_domain_agrees_with_email_domain_on_public_providers(email):
    domain = normalize_email(email).rsplit("@", 1)[1]
    assert public_domain(domain)
    assert public_domain(domain, PUBLIC_MAIL_DOMAINS)


@pytest.mark.parametrize("email, expected", DOMAINS)
def test_public_domain_agrees_with_email_domain_on_company_domains(email, expected):
    assert not public_domain(expected)
    assert email_domain(email) == expected


def test_public_domain_checks_parents_at_label_boundaries_only():
    listed = frozenset(["163.com", "corp-mail.cn"])
    assert public_domain("163.com", listed)
    assert public_domain("vip.163.com", listed)
    assert public_domain("a.b.corp-mail.cn", listed)
    assert not public_domain("my163.com", listed)
    assert not public_domain("163.com.cn", listed)
    assert not public_domain("com", listed)
    assert not public_domain("mail.cn", listed)
    # An empty list: nothing is public; None: the defaults.
    assert not public_domain("qq.com", frozenset())
    assert public_domain("qq.com", None)


def test_public_mail_domains_are_normalized():
    assert isinstance(PUBLIC_MAIL_DOMAINS, frozenset)
    assert parse_domain_list(" ".join(PUBLIC_MAIL_DOMAINS)) == PUBLIC_MAIL_DOMAINS
    assert {"qq.com", "vip.qq.com", "foxmail.com", "163.com", "126.com", "yeah.net",
            "sina.com", "sina.cn", "sohu.com", "aliyun.com", "139.com", "189.cn",
            "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com",
            "msn.com", "yahoo.com", "yahoo.com.cn", "icloud.com", "me.com",
            "protonmail.com"} <= PUBLIC_MAIL_DOMAINS


# ---------------------------------------------------------------- parse_domain_list

DOMAIN_LISTS = [
    ("qq.com", {"qq.com"}),
    ("QQ.com, 163.COM\nGmail.com  sina.cn;yeah.net",
     {"qq.com", "163.com", "gmail.com", "sina.cn", "yeah.net"}),
    ("qq.com,,\n\n, ,163.com,", {"qq.com", "163.com"}),
    ("qq.com\r\n163.com\r\n", {"qq.com", "163.com"}),
    ("\tqq.com\t163.com|126.com", {"qq.com", "163.com", "126.com"}),
    ("qq.com，163.com；126.com、sina.cn", {"qq.com", "163.com", "126.com", "sina.cn"}),
    ("ＱＱ．ＣＯＭ　１６３．ｃｏｍ", {"qq.com", "163.com"}),
    ("@qq.com *.163.com .126.com sina.cn.", {"qq.com", "163.com", "126.com", "sina.cn"}),
    ("someone@Partner-Mail.com", {"partner-mail.com"}),
    ('"qq.com" <163.com>', {"qq.com", "163.com"}),
    ("qq.com qq.com QQ.COM", {"qq.com"}),
    ("qq.com not_a_domain localhost -bad.com 163.com", {"qq.com", "163.com"}),
    ("华东钢铁.中国", {"华东钢铁.中国"}),
]


@pytest.mark.parametrize("text, expected", DOMAIN_LISTS)
def test_parse_domain_list(text, expected):
    result = parse_domain_list(text)
    assert isinstance(result, frozenset)
    assert result == expected


@pytest.mark.parametrize("text", BLANK + NOT_TEXT + [",;\n", "not_a_domain"])
def test_parse_domain_list_of_nothing_is_empty(text):
    assert parse_domain_list(text) == frozenset()


# ---------------------------------------------------------------- normalize_company

# Each group gives one key.
COMPANY_GROUPS = [
    ("华东钢铁", [
        "华东钢铁股份有限公司", "华东钢铁有限公司", "（华东钢铁）有限公司 ", "华东钢铁",
        "华东钢铁有限责任公司", "华东钢铁集团有限公司", "华东钢铁集团股份有限公司",
        "华东钢铁集团", "华东钢铁公司", "华东钢铁股份公司", "华东钢铁（集团）有限公司",
        "华东钢铁(集团)股份有限公司", "【华东钢铁】有限公司", "华东 钢铁 有限 公司",
        "华东·钢铁有限公司", "华东钢铁，有限公司。", "「华东钢铁」有限公司",
        "  华东钢铁有限公司\n", "\u3000华东钢铁\u3000有限公司", "华东钢铁有限公司 Co., Ltd.",
        "华东钢铁 Co.,Ltd", "华东钢铁Co., Ltd.", "华东钢铁集团公司", "华东钢铁總公司",
        "华东钢铁集團有限公司", "华东钢铁有限責任公司", "华东钢铁分公司",
    ]),
    ("acme", [
        "ACME Co., Ltd.", "Acme Ltd", "ACME", "acme", "ACME Co.,Ltd", "ACME Co Ltd",
        "ACME CO., LTD", "Acme Company Limited", "Acme Limited", "Acme Inc.", "Acme, Inc",
        "ACME Incorporated", "Acme Corp.", "Acme Corporation", "ACME LLC", "Acme L.L.C.",
        "Acme GmbH", "ACME AG", "Acme S.A.", "Acme SAS", "Acme PLC", "Acme Pte Ltd",
        "Acme Pte. Ltd.", "Acme Pty Ltd", "Acme GmbH & Co. KG", "Acme S.p.A.",
        "Acme S.à r.l.", "Acme Group", "Acme Group Co., Ltd.", "Acme Sdn. Bhd.", "Acme B.V.",
        "Acme Company", "Acme & Co.", "Acme Ltd.",
        "ＡＣＭＥ　Ｃｏ．，Ｌｔｄ．", "  acme  ", "(Acme) Limited", "Acme Ltd. Co., Ltd.",
        "Acme Limited Liability Company", "Acme Aktiengesellschaft",
    ]),
    ("acmesteel", [
        "ACME-Steel Co., Ltd.", "Acme Steel Ltd", "A.C.M.E. Steel Inc.", "acme_steel",
        "ACME/STEEL", "ACME STEEL (GROUP) CO., LTD.",
    ]),
]

COMPANY_KEYS = [
    ("Müller GmbH", "müller"),
    ("MÜLLER GMBH", "müller"),
    ("Straße AG", "strasse"),  # casefold
    ("Société Générale S.A.", "sociétégénérale"),
    ("Ford Motor Company", "fordmotor"),
    ("3M Company", "3m"),
    ("Ｈ＆Ｍ", "hm"),
    ("华东钢铁（上海）有限公司", "华东钢铁上海"),  # the place stays: another entity
    ("上海华东钢铁有限公司", "上海华东钢铁"),
    ("华东钢铁控股有限公司", "华东钢铁控股"),
    ("华为技术有限公司", "华为技术"),
    ("中铁有限公司", "中铁"),
    ("１２３有限公司", "123"),
    ("Visa", "visa"),  # a suffix only counts as a whole word
    ("Tag AG", "tag"),
    ("Atlas Copco AB", "atlascopco"),
    ("Sunshine Spa", "sunshinespa"),  # "Spa" is a word; "S.p.A." is not
    ("Sunshine S.p.A.", "sunshine"),
    ("Coinc Ltd", "coinc"),
    ("Limited Brands Inc.", "limitedbrands"),
    ("株式会社", "株式会社"),  # nothing else is rewritten
]

NO_COMPANY = [
    "有限公司", "股份有限公司", "集团有限公司", "（有限公司）", "公司", "集团",
    "Co., Ltd.", "Ltd", "Company Limited", "Inc.", "L.L.C.", "GmbH", "AG", "S.A.",
    "Group Co., Ltd.", "华", "华有限公司", "A", "A Ltd", "（）", "【】，。、·", "...",
    "-", "&", "1",
]


@pytest.mark.parametrize("key, names", COMPANY_GROUPS)
def test_normalize_company_groups(key, names):
    assert {name: normalize_company(name) for name in names} == {
        name: key for name in names}


@pytest.mark.parametrize("name, expected", COMPANY_KEYS)
def test_normalize_company(name, expected):
    assert normalize_company(name) == expected


@pytest.mark.parametrize("name", NO_COMPANY + BLANK + NOT_TEXT)
def test_normalize_company_without_a_name(name):
    assert normalize_company(name) is None


def test_the_two_names_of_the_issue_are_one_customer():
    assert normalize_company("华东钢铁股份有限公司") == normalize_company("华东钢铁有限公司")
    assert normalize_company("（华东钢铁）有限公司 ") == normalize_company("华东钢铁有限公司")
    assert normalize_company("ACME Co., Ltd.") == normalize_company("Acme Ltd") == (
        normalize_company("ACME"))


def test_different_companies_stay_apart():
    names = ["华东钢铁有限公司", "华北钢铁有限公司", "华东钢铁（上海）有限公司",
             "ACME Ltd", "ACME Steel Ltd", "Acne Ltd", "Visa", "Visax"]
    keys = [normalize_company(name) for name in names]
    assert None not in keys
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("key, names", COMPANY_GROUPS)
def test_normalize_company_is_idempotent(key, names):
    assert normalize_company(key) == key


# ---------------------------------------------------------------- normalize_vat

VATS = [
    ("91310000MA1FL1AB2X", "91310000MA1FL1AB2X"),
    ("91310000ma1fl1ab2x", "91310000MA1FL1AB2X"),
    (" 9131 0000 MA1F L1AB 2X ", "91310000MA1FL1AB2X"),
    ("91310000-MA1FL1AB-2X", "91310000MA1FL1AB2X"),
    ("９１３１００００ＭＡ１ＦＬ１ＡＢ２Ｘ", "91310000MA1FL1AB2X"),
    ("统一社会信用代码：91310000MA1FL1AB2X", "91310000MA1FL1AB2X"),
    ("DE 123.456.789", "DE123456789"),
    ("fr 40 303 265 045", "FR40303265045"),
    ("GB123456789", "GB123456789"),
    ("10", "10"),
]


@pytest.mark.parametrize("text, expected", VATS)
def test_normalize_vat(text, expected):
    assert normalize_vat(text) == expected
    assert normalize_vat(expected) == expected


@pytest.mark.parametrize("text", BLANK + NOT_TEXT + [
    "N/A", "n/a", "ｎ／ａ", "无", "none", "TBD", "-", "/", "000000", "0", "111111111111111111",
    "0-0-0", "统一社会信用代码",
])
def test_normalize_vat_rejects_placeholders(text):
    assert normalize_vat(text) is None


# ---------------------------------------------------------------- digits_only

PHONES = [
    # Chinese mobiles: their 11 digits, whatever the prefix and separators.
    ("13800138000", "13800138000"),
    ("138-0013-8000", "13800138000"),
    ("138 0013 8000", "13800138000"),
    ("+86 138 0013 8000", "13800138000"),
    ("+86-13800138000", "13800138000"),
    ("(+86) 138 0013 8000", "13800138000"),
    ("0086 138 0013 8000", "13800138000"),
    ("8613800138000", "13800138000"),
    ("013800138000", "13800138000"),
    ("１３８００１３８０００", "13800138000"),
    ("手机：138-0013-8000", "13800138000"),
    ("Mobile: +86 199 0000 1111", "19900001111"),
    ("13800138000, 13900139000", "13800138000"),  # the first number only
    ("13800138000；13900139000", "13800138000"),
    ("13800138000、13900139000", "13800138000"),
    # Chinese landlines: without country code and trunk zero.
    ("021-6123 4567", "2161234567"),
    ("(021) 61234567", "2161234567"),
    ("+86 21 6123 4567", "2161234567"),
    ("+86 (0)21 6123 4567", "2161234567"),
    ("0086-21-61234567", "2161234567"),
    ("010-8888 6666", "1088886666"),
    ("0755-12345678", "75512345678"),
    ("Tel: 021-61234567", "2161234567"),
    ("Fax: 021-61234567", "2161234567"),
    ("021-61234567 ext. 123", "2161234567"),
    ("021-61234567 x123", "2161234567"),
    ("021-61234567转123", "2161234567"),
    ("021-61234567分机123", "2161234567"),
    ("021-61234567#123", "2161234567"),
    ("61234567", "61234567"),  # no area code: another key
    # Other countries: "00" + country code + number.
    ("+44 20 7946 0000", "00442079460000"),
    ("0044 20 7946 0000", "00442079460000"),
    ("+1 (650) 253-0000", "0016502530000"),
    ("+49 30 1234567", "0049301234567"),
]

NO_PHONES = [
    "123", "12345-6", "+86 123", "+1 234", "Tel:", "N/A", "无", "ext 123",
    "1234567890123456", "13800138000/13900139000",  # too many digits for one number
    "+86 0", "0000000",
]


@pytest.mark.parametrize("text, expected", PHONES)
def test_digits_only(text, expected):
    assert digits_only(text) == expected


@pytest.mark.parametrize("text", NO_PHONES + BLANK + NOT_TEXT)
def test_digits_only_without_a_number(text):
    assert digits_only(text) is None


def test_domestic_and_international_keys_never_meet():
    assert digits_only("+44 20 7946 0000") != digits_only("020 7946 0000")
    assert digits_only("+1 650 253 0000") != digits_only("650 253 0000")
    assert digits_only("021-61234567") != digits_only("010-61234567")


# ---------------------------------------------------------------- match_keys

def test_match_keys_of_a_full_contact():
    contact = Contact(email="Wang Wei <WANG@Huadong-Steel.com>",
                      phone_keys=("+8613800138000", "+862161234567"),
                      company="（华东钢铁）股份有限公司", vat="91310000 MA1FL1AB2X")
    assert match_keys(contact) == {
        "email": "wang@huadong-steel.com",
        "domain": "huadong-steel.com",
        "phone": frozenset({"+8613800138000", "+862161234567"}),
        "company": "华东钢铁",
        "vat": "91310000MA1FL1AB2X",
    }


def test_match_keys_skips_a_public_domain():
    keys = match_keys(Contact(email="12345@QQ.com"))
    assert keys == {"email": "12345@qq.com"}


def test_match_keys_with_an_admin_list():
    contact = Contact(email="a@gmail.com")
    assert match_keys(contact, frozenset()) == {"email": "a@gmail.com",
                                                "domain": "gmail.com"}
    assert match_keys(contact, parse_domain_list("GMAIL.com")) == {"email": "a@gmail.com"}


@pytest.mark.parametrize("contact", [
    Contact(),
    Contact(None, None, None, None),
    Contact(False, False, False, False),
    Contact("", (), "", ""),
    Contact("not an address", ("", None, False), "有限公司", "N/A"),
    Contact(" ", frozenset(), "  ", " "),
])
def test_match_keys_of_nothing(contact):
    assert match_keys(contact) == {}


@pytest.mark.parametrize("contact, expected", [
    (Contact(phone_keys="+8613800138000"), {"phone": frozenset({"+8613800138000"})}),
    (Contact(phone_keys=["+8613800138000", "+8613800138000", None]),
     {"phone": frozenset({"+8613800138000"})}),
    (Contact(company="Acme Ltd"), {"company": "acme"}),
    (Contact(vat="de123456789"), {"vat": "DE123456789"}),
    (Contact(email="x@acme.com"), {"email": "x@acme.com", "domain": "acme.com"}),
])
def test_match_keys_of_one_value(contact, expected):
    assert match_keys(contact) == expected


def test_match_keys_only_knows_the_strengths():
    contact = Contact("a@acme.com", ("k",), "Acme", "DE123456789")
    assert set(match_keys(contact)) == set(STRENGTHS)


# ---------------------------------------------------------------- shared_strength

FULL = match_keys(Contact("a@acme.com", ("k1", "k2"), "Acme Ltd", "DE123456789"))


@pytest.mark.parametrize("other, enabled, expected", [
    (Contact("A@ACME.com"), STRENGTHS, "email"),
    (Contact("b@acme.com"), STRENGTHS, "domain"),
    (Contact("b@acme.com", ("k2",)), STRENGTHS, "domain"),
    (Contact("b@other.com", ("k2", "k3")), STRENGTHS, "phone"),
    (Contact("b@other.com", ("k3",), "ACME Co., Ltd."), STRENGTHS, "company"),
    (Contact(vat="de 123 456 789"), STRENGTHS, "vat"),
    (Contact("a@acme.com", ("k1",), "Acme", "DE123456789"), ("vat",), "vat"),
    (Contact("a@acme.com", ("k1",), "Acme"), ("company", "phone"), "phone"),
    (Contact("a@acme.com"), ("phone", "company", "vat"), None),
    (Contact("a@acme.com"), (), None),
    (Contact("a@acme.com"), None, None),
    (Contact("b@other.com", ("k3",), "Other", "DE987654321"), STRENGTHS, None),
    (Contact(), STRENGTHS, None),
    (Contact("a@acme.com"), "email", "email"),
])
def test_shared_strength(other, enabled, expected):
    other_keys = match_keys(other)
    assert shared_strength(FULL, other_keys, enabled) == expected
    assert shared_strength(other_keys, FULL, enabled) == expected


def test_shared_strength_defaults_to_all_strengths():
    assert shared_strength(FULL, FULL) == "email"
    assert shared_strength({}, {}) is None


def test_shared_strength_rejects_an_unknown_strength():
    with pytest.raises(ValueError, match="emial"):
        shared_strength(FULL, FULL, ("emial",))


# ---------------------------------------------------------------- best_match

T0 = datetime(2026, 1, 5, 8, 0)
DAY = timedelta(days=1)


def cand(lead_id, strength="email", opportunity=False, created=T0, owner=7):
    return Candidate(lead_id, strength, opportunity, created, owner)


def best_id(candidates, enabled=STRENGTHS):
    found = best_match(candidates, enabled)
    return None if found is None else found.lead_id


def test_strengths_follow_the_issue_order():
    assert STRENGTHS == ("email", "domain", "phone", "company", "vat")
    assert Candidate._fields == (
        "lead_id", "strength", "is_opportunity", "create_date", "owner_id")
    assert Contact._fields == ("email", "phone_keys", "company", "vat")


@pytest.mark.parametrize("stronger, weaker", list(itertools.combinations(STRENGTHS, 2)))
def test_a_stronger_match_wins_whatever_its_type_and_age(stronger, weaker):
    strong = cand(1, stronger, opportunity=False, created=T0 + 30 * DAY)
    weak = cand(2, weaker, opportunity=True, created=T0)
    assert best_match([strong, weak]) == strong
    assert best_match([weak, strong]) == strong


@pytest.mark.parametrize("strength", STRENGTHS)
def test_an_opportunity_beats_a_lead_of_the_same_strength(strength):
    lead = cand(1, strength, opportunity=False, created=T0)
    opportunity = cand(2, strength, opportunity=True, created=T0 + 10 * DAY)
    assert best_match([lead, opportunity]) == opportunity
    assert best_match([opportunity, lead]) == opportunity


@pytest.mark.parametrize("opportunity", [False, True])
def test_the_oldest_wins_among_equals(opportunity):
    old = cand(5, "phone", opportunity, T0)
    new = cand(3, "phone", opportunity, T0 + DAY)
    newer = cand(1, "phone", opportunity, T0 + 2 * DAY)
    for order in itertools.permutations([old, new, newer]):
        assert best_match(order) == old


def test_the_lowest_id_wins_among_leads_of_the_same_age():
    for order in itertools.permutations([cand(9), cand(4), cand(6)]):
        assert best_id(order) == 4


def test_a_lead_without_date_comes_after_dated_ones():
    assert best_id([cand(1, created=None), cand(2, created=T0 + 99 * DAY)]) == 2
    assert best_id([cand(2, created=None), cand(1, created=None)]) == 1


def test_odoo_datetime_strings_sort_too():
    assert best_id([cand(1, created="2026-02-01 08:00:00"),
                    cand(2, created="2026-01-31 23:59:59")]) == 2


def test_the_full_ranking():
    candidates = [
        cand(1, "vat", True, T0 - 300 * DAY),
        cand(2, "company", True, T0 - 200 * DAY),
        cand(3, "domain", False, T0 - 100 * DAY),
        cand(4, "domain", True, T0 + 5 * DAY),
        cand(5, "domain", True, T0 + 1 * DAY),
        cand(6, "domain", True, T0 + 1 * DAY),
        cand(7, "phone", True, T0 - 400 * DAY),
    ]
    assert best_id(candidates) == 5
    assert best_id(candidates, ("phone", "company", "vat")) == 7
    assert best_id(candidates, ("company", "vat")) == 2
    assert best_id(candidates, ("vat",)) == 1
    assert best_id(candidates, ("email",)) is None


@pytest.mark.parametrize("enabled, expected", [
    (STRENGTHS, 1),
    (("domain", "phone", "company", "vat"), 2),
    (("phone", "company", "vat"), 3),
    (("company", "vat"), 4),
    (("vat",), 5),
    (("email", "vat"), 1),
    (frozenset({"vat", "phone"}), 3),
    (["company"], 4),
    ("company", 4),
    ((), None),
    (None, None),
])
def test_disabled_strengths_are_ignored(enabled, expected):
    candidates = [cand(5, "vat", True, T0 - 9 * DAY), cand(4, "company", True),
                  cand(3, "phone"), cand(2, "domain"), cand(1, "email")]
    assert best_id(candidates, enabled) == expected


@pytest.mark.parametrize("candidates", [[], (), None, iter(())])
def test_no_candidate_no_match(candidates):
    assert best_match(candidates) is None


def test_best_match_takes_any_iterable_and_keeps_the_candidate():
    found = best_match(cand(i, owner=100 + i) for i in (3, 2, 8))
    assert found == Candidate(2, "email", False, T0, 102)


def test_an_unowned_best_match_is_returned_as_is():
    assert best_match([cand(1, owner=None), cand(2, "domain")]).owner_id is None


def test_best_match_defaults_to_all_strengths():
    assert best_match([cand(1, "vat")]) == cand(1, "vat")


def test_unknown_strengths_raise():
    with pytest.raises(ValueError, match="fax"):
        best_match([cand(1, "fax")])
    with pytest.raises(ValueError, match="emial"):
        best_match([cand(1)], ("emial",))
    with pytest.raises(ValueError, match="fax"):
        best_match([cand(1, "fax")], ("email",))
