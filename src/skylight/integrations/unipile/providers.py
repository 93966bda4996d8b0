"""Provider-side identifiers Unipile expects as ``attendees_ids``."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

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


_PROFILE_HOSTS = {"instagram.com", "www.instagram.com", "t.me", "telegram.me"}
_USERNAME = re.compile(r"^[A-Za-z0-9._]{1,64}$")


def username_from_profile_url(url: str | None) -> str | None:
    """``https://www.instagram.com/sara.k/`` or ``https://t.me/sara_k`` -> the username.

    Attendees name people by their numeric internal id; their profile URL, when Unipile gives
    one, is where the public username shows."""
    if not url:
        return None
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if (parts.hostname or "").lower() not in _PROFILE_HOSTS or len(segments) != 1:
        return None
    return segments[0] if _USERNAME.match(segments[0]) else None
