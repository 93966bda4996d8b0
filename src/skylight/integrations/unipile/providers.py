"""Provider-side identifiers Unipile expects as ``attendees_ids``."""

from __future__ import annotations

import unicodedata

WHATSAPP_USER_SUFFIX = "@s.whatsapp.net"


def whatsapp_provider_id(phone: str) -> str:
    """``+966 50 123 4567`` -> ``966501234567@s.whatsapp.net`` (international digits only).

    A leading ``00`` international prefix is dropped like a ``+``. Raises ValueError when the
    result cannot be an E.164 number (6-15 digits).
    """
    cleaned = phone.strip()
    # isdecimal + unicodedata.decimal also reads Arabic-Indic digits typed on a phone keyboard.
    digits = "".join(str(unicodedata.decimal(ch)) for ch in cleaned if ch.isdecimal())
    if not cleaned.startswith("+") and digits.startswith("00"):
        digits = digits[2:]
    if not 6 <= len(digits) <= 15:
        raise ValueError("not an international phone number")
    return f"{digits}{WHATSAPP_USER_SUFFIX}"
