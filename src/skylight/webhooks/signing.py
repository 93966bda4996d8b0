"""Signatures per the Standard Webhooks specification (standardwebhooks.com), so receivers can
verify with the official libraries in any language:

    webhook-id: evt_123              (the event's id: the same on every retry)
    webhook-timestamp: 1767225600    (unix seconds of this attempt)
    webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">

Secrets are `whsec_` + base64 of 24 random bytes; the HMAC key is the decoded bytes. During a
rotation's grace period the header holds two signatures, space-separated, one per secret."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time

PREFIX = "whsec_"
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    raw = secret.removeprefix(PREFIX)
    try:
        return base64.b64decode(raw, validate=True)
    except binascii.Error:
        # A secret from before Standard Webhooks (url-safe text): signed with its bytes, so
        # deliveries go on; rotating it gives one the official libraries accept.
        return raw.encode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(
    secrets: list[str], msg_id: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    t = int(time.time()) if timestamp is None else timestamp
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(t),
        SIGNATURE_HEADER: " ".join(sign(s, msg_id, t, body) for s in secrets),
    }
