# Copyright 2026 sales_allocation contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Masked contact details of pool leads (issue 14): what a rep who does not own a
lead sees of its phone, email and contact name until he claims it.

``mask_phone('+86 138-0013-8000')`` -> ``'+86 138****8000'``: the digits but the first
three and the last four of the number are hidden (fewer digits: all but the last two);
``mask_email('wang@huadong-steel.com.cn')`` -> ``'w***@huadong-steel.com.cn'``: the
domain stays (it says which company, not who); ``mask_name('王小明')`` -> ``'王**'``.
Every function takes what the database holds and returns ``False`` for an empty value.
"""
import re

__all__ = ["mask_phone", "mask_email", "mask_name", "mask_value"]

_DIGIT_RE = re.compile(r"\d")
_INTERNATIONAL_RE = re.compile(r"^\s*(\+|00)\s*(\d{1,3})[\s\-.]+")
_STARS = "****"


def mask_phone(value):
    if not isinstance(value, str) or not value.strip():
        return False
    value = value.strip()
    prefix = ""
    international = _INTERNATIONAL_RE.match(value)
    if international:
        prefix, value = value[:international.end()], value[international.end():]
    digits = _DIGIT_RE.findall(value)
    if len(digits) >= 8:
        head, tail = "".join(digits[:3]), "".join(digits[-4:])
    elif digits:
        head, tail = "", "".join(digits[-2:])
    else:
        return _STARS
    return "%s%s%s%s" % (prefix, head, _STARS, tail)


def mask_email(value):
    if not isinstance(value, str) or not value.strip():
        return False
    value = value.strip()
    if "<" in value and value.endswith(">"):
        value = value[value.rindex("<") + 1:-1]
    if "@" not in value:
        return "***"
    local, domain = value.rsplit("@", 1)
    return "%s***@%s" % (local[:1], domain)


def mask_name(value):
    if not isinstance(value, str) or not value.strip():
        return False
    value = value.strip()
    return value[0] + "*" * min(max(len(value) - 1, 1), 4)


_MASKS = {"phone": mask_phone, "mobile": mask_phone, "email": mask_email,
          "name": mask_name}


def mask_value(kind, value):
    """``value`` masked as a ``kind`` ('phone', 'mobile', 'email' or 'name')."""
    return _MASKS[kind](value)
