# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One customer, one owner: match keys and the ranking of matches.

A new lead whose customer is already being worked by a rep should go to that rep.  The
adapter reads the raw contact values of a lead (email, phones, company name, VAT),
turns them into match keys here, finds the existing leads sharing a key and hands
them back as ``Candidate`` tuples; ``best_match`` names the one whose owner wins.

Strengths, strongest first (``STRENGTHS``, the order of issue 14):

``'email'``    the normalized email address (``normalize_email``);
``'domain'``   its domain, for company domains only: public mail providers
               (``PUBLIC_MAIL_DOMAINS`` or the admin's list, ``parse_domain_list``)
               say nothing about the customer;
``'phone'``    phone and mobile; the adapter builds the keys with ``phonenumbers``
               (``digits_only`` is the fallback when that fails);
``'company'``  the company name without spaces, punctuation and legal suffixes
               (``normalize_company``);
``'vat'``      the VAT / 统一社会信用代码 (``normalize_vat``).

Every normalizer takes whatever the database holds (``None``, ``False``, text) and
returns a non-empty string or ``None``: a ``None`` key never matches anything.  They
err on the side of missing a duplicate rather than merging two customers: a shared
key hands a lead to another rep's customer.
"""
import re
import unicodedata
from collections import namedtuple

__all__ = [
    "STRENGTHS", "PUBLIC_MAIL_DOMAINS", "Candidate", "Contact", "normalize_email",
    "email_domain", "public_domain", "parse_domain_list", "normalize_company", "normalize_vat",
    "digits_only", "match_keys", "shared_strength", "best_match",
    "customer_candidate", "customer_id",
]

STRENGTHS = ("email", "domain", "phone", "company", "vat")
_RANK = {strength: rank for rank, strength in enumerate(STRENGTHS)}

# ``create_date`` and ``lead_id`` break ties between candidates of one strength and
# type: the oldest lead wins.  ``owner_id`` may be ``None`` (a pool lead): what to do
# with an unowned best match is the adapter's call.
#
# A customer with a salesperson (a partner, not a lead) is a candidate too, built by
# ``customer_candidate``: its ``lead_id`` is the partner id negated (``customer_id``
# reads it back), so that it travels through the allocation's reasons like a lead id
# and no partner id is ever taken for a lead id.  It ranks after the opportunities and
# leads of its strength (they show the customer is worked right now, a salesperson
# on the customer only that he was once given one).
Candidate = namedtuple("Candidate", "lead_id strength is_opportunity create_date owner_id")


def customer_candidate(partner_id, strength, create_date, owner_id):
    """The ``Candidate`` of a customer (partner ``partner_id``) whose salesperson is
    ``owner_id``."""
    if not partner_id or partner_id < 0:
        raise ValueError("a customer candidate needs a partner id, got %r" % (partner_id,))
    return Candidate(-partner_id, strength, False, create_date, owner_id)


def customer_id(lead_id):
    """The partner id of a customer candidate's ``lead_id`` (``customer_candidate``),
    ``None`` for a lead's id (or ``None``)."""
    if lead_id is not None and lead_id < 0:
        return -lead_id
    return None


# The raw contact values of one lead.  ``phone_keys`` are already keys (the adapter
# normalizes phone and mobile with ``phonenumbers``); the other fields are raw text.
Contact = namedtuple("Contact", "email phone_keys company vat")
Contact.__new__.__defaults__ = (None, (), None, None)

# Free mail providers: an address there identifies a person, not a company.
# Subdomains are covered too (``email_domain`` checks every suffix of a domain).
PUBLIC_MAIL_DOMAINS = frozenset("""
    qq.com vip.qq.com foxmail.com 163.com vip.163.com 126.com vip.126.com 188.com
    yeah.net netease.com sina.com sina.cn vip.sina.com sohu.com vip.sohu.com
    aliyun.com 139.com 189.cn wo.cn tom.com 21cn.com 263.net
    gmail.com googlemail.com outlook.com outlook.cn hotmail.com hotmail.co.uk
    hotmail.fr live.com live.cn msn.com yahoo.com yahoo.com.cn yahoo.cn yahoo.co.uk
    yahoo.co.jp yahoo.com.hk yahoo.com.tw ymail.com icloud.com me.com mac.com
    protonmail.com proton.me pm.me aol.com gmx.com gmx.de gmx.net web.de mail.com
    yandex.com yandex.ru mail.ru zoho.com naver.com daum.net hanmail.net
""".split())

# Characters NFKC leaves alone that still mean "." in an address typed in Chinese.
_DOTS = {ord("\u3002"): "."}  # 。 (｡ and ． become 。 and . under NFKC)

_LABEL = r"[^\W_](?:(?:[^\W_]|-)*[^\W_])?"
_DOMAIN_RE = re.compile(r"(?:%s\.)+(?:[^\W\d_]{2,}|xn--[a-z0-9-]+)" % _LABEL)
_LOCAL_RE = re.compile(r"[^\s@<>()\[\],;:\"\\]+")
_BRACKETS_RE = re.compile(r"<([^<>]*)>")
_EMAIL_SPLIT_RE = re.compile(r"[\s,;\u3001]+")
_EMAIL_STRIP = " \t\r\n\"'<>()[]"


def _text(value):
    """NFKC text (full-width forms to ASCII) or ``None`` for non-text values."""
    if not isinstance(value, str):
        return None
    return unicodedata.normalize("NFKC", value)


def _valid_domain(domain):
    return len(domain) <= 253 and _DOMAIN_RE.fullmatch(domain) is not None


def normalize_email(text):
    """The lowercased address of ``text``, or ``None`` when there is none.

    Takes ``Name <a@b.com>`` (the first ``<...>``), a bare address, or a list of
    addresses (the first one holding an ``@``); full-width ``＠``/``．``/``。`` and
    letters, a ``mailto:`` prefix, quotes and surrounding spaces are tolerated.
    """
    text = _text(text)
    if text is None:
        return None
    text = text.translate(_DOTS).strip()
    brackets = _BRACKETS_RE.search(text)
    if brackets:
        found = brackets.group(1)
    else:
        found = next((part for part in _EMAIL_SPLIT_RE.split(text) if "@" in part), "")
    found = found.strip(_EMAIL_STRIP).rstrip(".").lower()
    if found.startswith("mailto:"):
        found = found[len("mailto:"):]
    if len(found) > 254 or found.count("@") != 1:
        return None
    local, domain = found.split("@")
    if (not _LOCAL_RE.fullmatch(local) or local.startswith(".") or local.endswith(".")
            or ".." in local or not _valid_domain(domain)):
        return None
    return found


def email_domain(email, public_domains=None):
    """The company domain of ``email`` (raw or normalized), ``None`` when public.

    ``public_domains`` defaults to ``PUBLIC_MAIL_DOMAINS``; a domain is public when it
    or any of its parent domains is listed (``vip.163.com`` under ``163.com``).  The
    domain is kept whole: ``sales.acme.com`` and ``acme.com`` are different keys.
    """
    email = normalize_email(email)
    if email is None:
        return None
    domain = email.rsplit("@", 1)[1]
    return None if public_domain(domain, public_domains) else domain


def public_domain(domain, public_domains=None):
    """Whether the (normalized) ``domain`` or one of its parent domains is listed in
    ``public_domains`` (default ``PUBLIC_MAIL_DOMAINS``): ``vip.163.com`` is public
    under ``163.com``.  For a domain already stored as a key (``email_domain`` checks
    the address first)."""
    if public_domains is None:
        public_domains = PUBLIC_MAIL_DOMAINS
    if not public_domains:
        return False
    while True:
        if domain in public_domains:
            return True
        dot = domain.find(".")
        if dot < 0:
            return False
        domain = domain[dot + 1:]


_DOMAIN_LIST_SPLIT_RE = re.compile(r"[\s,;\u3001|]+")


def parse_domain_list(text):
    """The domains of an admin-edited list, as a frozenset of normalized domains.

    Items are separated by commas, semicolons, ``、``, ``|``, spaces or newlines
    (full-width ones too); case, a leading ``@``, ``*.`` or ``.``, a trailing ``.``
    are ignored and a pasted address counts for its domain.  Items that are not
    domains are dropped.  An empty or unset text gives an empty set: whether that
    means "no public domain" or "the defaults" is the adapter's decision.
    """
    text = _text(text)
    if text is None:
        return frozenset()
    domains = set()
    for item in _DOMAIN_LIST_SPLIT_RE.split(text.translate(_DOTS).lower()):
        item = item.strip(_EMAIL_STRIP).rsplit("@", 1)[-1]
        if item.startswith("*."):
            item = item[2:]
        item = item.strip(".")
        if item and _valid_domain(item):
            domains.add(item)
    return frozenset(domains)


# Legal suffixes, removed repeatedly from the end of a company name.  Chinese ones are
# matched on the name with its spaces and punctuation removed; English ones on whole
# words, compared without the dots and spaces inside them ("Co., Ltd." -> "coltd").
_ZH_SUFFIXES = tuple(sorted("""
    集团股份有限公司 集团有限责任公司 集团有限公司 股份有限公司 有限责任公司 有限公司
    股份公司 集团公司 总公司 分公司 公司 集团 有限合伙 普通合伙
    集團股份有限公司 集團有限公司 有限責任公司 集團公司 總公司 集團
""".split(), key=len, reverse=True))
_EN_SUFFIXES = frozenset("""
    co coltd colimited company companyltd companylimited corp corporation inc
    incorporated ltd limited llc llp lp plc pte pteltd pty ptyltd gmbh gmbhcokg kg ag
    sa sas sarl sàrl srl bv nv se kk oy oyj ab as asa sdnbhd bhd group aktiengesellschaft
    limitedliabilitycompany publiclimitedcompany
""".split())
# Only when written with dots or spaces ("S.p.A."): "Spa" alone is a word.
_EN_DOTTED_SUFFIXES = frozenset(["spa"])
_EN_MAX_WORDS = 6


def _wide(char):
    """True for CJK (and kana/hangul) characters, which have no spaces between words."""
    return ord(char) >= 0x2E80


def _words(text):
    """Runs of letters, digits and marks; a change between CJK and other scripts
    starts a new word, so "华东钢铁co.,ltd" reads 华东钢铁 / co / ltd."""
    words, current, current_wide = [], [], None
    for char in text:
        if unicodedata.category(char)[0] not in "LNM":
            if current:
                words.append("".join(current))
                current = []
            continue
        wide = _wide(char)
        if current and wide != current_wide:
            words.append("".join(current))
            current = []
        current.append(char)
        current_wide = wide
    if current:
        words.append("".join(current))
    return words


def _strip_english(words):
    for count in range(min(len(words), _EN_MAX_WORDS), 0, -1):
        tail = "".join(words[-count:])
        if tail in _EN_SUFFIXES or (count > 1 and tail in _EN_DOTTED_SUFFIXES):
            del words[-count:]
            return True
    return False


def _strip_chinese(words):
    joined = "".join(words)
    for suffix in _ZH_SUFFIXES:
        if joined.endswith(suffix):
            left = len(suffix)
            while left:
                last = words.pop()
                if len(last) > left:
                    words.append(last[:-left])
                    break
                left -= len(last)
            return True
    return False


def normalize_company(name):
    """A key for company-name matching, or ``None`` when nothing meaningful is left.

    NFKC (full-width to half-width) and casefold, then the legal suffixes are removed
    from the end as long as one is there (``股份有限公司``, ``集团``, ``Co., Ltd.``,
    ``Inc.``, ``GmbH``, ...), and spaces, punctuation and symbols (ASCII and CJK:
    ``（）【】，。、·&``) are dropped, keeping their contents: "（华东钢铁）有限公司" and
    "华东钢铁股份有限公司" give "华东钢铁", "ACME Co., Ltd." and "Acme" give "acme".
    Nothing else is rewritten (no traditional to simplified, no place names), and a
    key shorter than 2 characters is ``None``.
    """
    text = _text(name)
    if text is None:
        return None
    words = _words(text.casefold())
    while words and (_strip_english(words) or _strip_chinese(words)):
        pass
    key = "".join(words)
    return key if len(key) >= 2 else None


_VAT_KEEP_RE = re.compile(r"[^0-9A-Z]+")


def normalize_vat(text):
    """The VAT / 统一社会信用代码 as uppercase ASCII letters and digits, or ``None``.

    Full-width characters count as their ASCII forms; everything else (spaces, dashes,
    dots, other scripts) is dropped.  Placeholders are ``None``: keys without a digit
    ("N/A", "无", "none") and keys of one repeated character ("000000").
    """
    text = _text(text)
    if text is None:
        return None
    key = _VAT_KEEP_RE.sub("", text.upper())
    if not any(char.isdigit() for char in key) or len(set(key)) < 2:
        return None
    return key


_EXTENSION_RE = re.compile(r"(?:ext|x|#|\u8f6c|\u5206\u673a)", re.IGNORECASE)  # 转 分机
_PHONE_SPLIT_RE = re.compile(r"[,;\u3001|]")
_CN_MOBILE_RE = re.compile(r"(?:86)?0?(1[3-9]\d{9})")
_NON_DIGITS_RE = re.compile(r"[^0-9]+")
_NUMBER_START_RE = re.compile(r"[+0-9]")


def digits_only(text):
    """A fallback phone key for when ``phonenumbers`` cannot build one, or ``None``.

    Keeps the ASCII digits (full-width ones included) of the first number of ``text``
    (numbers are separated by ``,;、|``), from its first digit or ``+`` (a label such
    as "Tel:" goes) up to an extension (``ext``, ``x``, ``#``, ``转``, ``分机``).
    Then, so that one number written in different ways gives one key without two
    numbers sharing a key:

    - a Chinese mobile (``1[3-9]`` + 9 digits, after an optional ``+86``/``0086``/
      ``86`` and trunk ``0``) is its 11 digits: "+86 138-0013-8000" -> "13800138000";
    - another number after ``+86``/``0086``, or a domestic one, loses its trunk zeros:
      "021-6123 4567" and "+86 (0)21 6123 4567" -> "2161234567".  (A number written
      without its area code is a different key: the city is unknown.)
    - another international number (``+`` or ``00`` then a country code other than
      86) is ``"00"`` + its digits: "+44 20 7946 0000" -> "00442079460000", which no
      domestic key can equal;
    - fewer than 7 or more than 15 significant digits (E.164's maximum) give ``None``.
    """
    text = _text(text)
    if text is None:
        return None
    first = next((part for part in _PHONE_SPLIT_RE.split(text)
                  if any(char.isdigit() for char in part)), "")
    start = _NUMBER_START_RE.search(first)
    if start is None:
        return None
    # From the number on: a label before it ("Fax:", "手机") is not an extension.
    first = _EXTENSION_RE.split(first[start.start():], 1)[0]
    digits = _NON_DIGITS_RE.sub("", first)
    international = first.startswith("+") or digits.startswith("00")
    if digits.startswith("00"):
        digits = digits[2:]
    if international:
        if not digits.startswith("86"):
            return "00" + digits if 7 <= len(digits) <= 15 else None
        digits = digits[2:]
    mobile = _CN_MOBILE_RE.fullmatch(digits)
    if mobile:
        return mobile.group(1)
    digits = digits.lstrip("0")
    return digits if 7 <= len(digits) <= 15 else None


def match_keys(contact, public_domains=None):
    """``{strength: key}`` for the keys ``contact`` (a ``Contact``) has.

    Email, domain, company and VAT keys are strings, normalized here from the raw
    values; ``'domain'`` comes from the email unless it is public (``email_domain``).
    ``'phone'`` is the frozenset of the non-empty ``phone_keys`` (one string is taken
    as one key).  Strengths without a key are left out.
    """
    keys = {}
    email = normalize_email(contact.email)
    if email is not None:
        keys["email"] = email
        domain = email_domain(email, public_domains)
        if domain is not None:
            keys["domain"] = domain
    phone_keys = contact.phone_keys
    if isinstance(phone_keys, str):
        phone_keys = (phone_keys,)
    phones = frozenset(key for key in phone_keys or () if key)
    if phones:
        keys["phone"] = phones
    company = normalize_company(contact.company)
    if company is not None:
        keys["company"] = company
    vat = normalize_vat(contact.vat)
    if vat is not None:
        keys["vat"] = vat
    return keys


def _enabled(enabled):
    """``enabled`` as a frozenset of known strengths (one string is one strength)."""
    if isinstance(enabled, str):
        enabled = (enabled,)
    enabled = frozenset(enabled or ())
    _check_strengths(enabled)
    return enabled


def _check_strengths(strengths):
    unknown = set(strengths) - set(STRENGTHS)
    if unknown:
        raise ValueError("unknown match strength(s) %s" % ", ".join(sorted(unknown)))


def shared_strength(keys, other_keys, enabled=STRENGTHS):
    """The strongest enabled strength two ``match_keys`` results share, or ``None``.

    Phones are shared when the two sets meet.  Meant for leads of one batch, which the
    database cannot match against each other yet.
    """
    enabled = _enabled(enabled)
    for strength in STRENGTHS:
        if strength not in enabled:
            continue
        mine, theirs = keys.get(strength), other_keys.get(strength)
        if mine is None or theirs is None:
            continue
        if strength == "phone":
            if not mine.isdisjoint(theirs):
                return strength
        elif mine == theirs:
            return strength
    return None


# Within one strength: an opportunity, then a lead, then a customer (``customer_id``).
_OPPORTUNITY, _LEAD, _CUSTOMER = range(3)


def _rank(candidate):
    date, lead_id = candidate.create_date, candidate.lead_id
    if lead_id is not None and lead_id < 0:
        kind, lead_id = _CUSTOMER, -lead_id
    else:
        kind = _OPPORTUNITY if candidate.is_opportunity else _LEAD
    return (_RANK[candidate.strength], kind, date is None, date, lead_id)


def best_match(candidates, enabled=STRENGTHS):
    """The ``Candidate`` whose owner should get the lead, or ``None``.

    Candidates of a strength missing from ``enabled`` (an iterable of strengths; empty
    or ``None`` enables none) are ignored.  The strongest
    strength wins; within one strength an opportunity beats a lead, which beats a
    customer with a salesperson (``customer_candidate``); then the oldest
    ``create_date`` (``None`` last; datetimes or Odoo's datetime strings, not mixed),
    then the lowest lead (or partner) id.  An unknown strength raises ``ValueError``.
    """
    enabled = _enabled(enabled)
    best = best_rank = None
    for candidate in candidates or ():
        if candidate.strength not in _RANK:
            _check_strengths((candidate.strength,))
        if candidate.strength not in enabled:
            continue
        rank = _rank(candidate)
        if best is None or rank < best_rank:
            best, best_rank = candidate, rank
    return best
