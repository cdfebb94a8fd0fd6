"""How contact data looks before a buyer may see it: ``j***@example.com``, ``+1 (555) ***-1234``."""
from __future__ import annotations

import phonenumbers


def mask_email(email: str | None) -> str | None:
    """Keep the first character of the local part and the domain; always three stars, so
    the length of the address is not revealed."""
    if not email:
        return None
    local, _, domain = email.strip().rpartition("@")
    if not local:  # no "@" at all: show nothing of it
        return "***"
    return f"{local[0]}***@{domain}"


def mask_phone(phone: str | None) -> str | None:
    """Show the country code, the area code of North American numbers and the last four digits.

    North American numbers read ``+1 (555) ***-1234``; others keep their international
    grouping with the middle digits starred, e.g. ``+44 **** **0123``.
    """
    if not phone:
        return None
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return _star_all_but_last(phone, 4)
    national = str(parsed.national_number)
    if parsed.country_code == 1 and len(national) == 10:
        return f"+1 ({national[:3]}) ***-{national[-4:]}"
    formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    prefix = f"+{parsed.country_code}"
    keep = 4 if len(national) > 6 else 2  # very short numbers would be nearly unmasked otherwise
    return prefix + _star_all_but_last(formatted[len(prefix):], keep)


def _star_all_but_last(text: str, keep: int) -> str:
    digits_seen = 0
    total_digits = sum(ch.isdigit() for ch in text)
    out = []
    for ch in text:
        if ch.isdigit():
            digits_seen += 1
            out.append(ch if digits_seen > total_digits - keep else "*")
        else:
            out.append(ch)
    return "".join(out)
