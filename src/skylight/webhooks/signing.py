"""Signatures: `SkyLight-Signature: t=<unix seconds>,v1=<hex hmac-sha256 of "t.body">`.

During a secret rotation's grace period there are two v1 values, one per secret; a receiver
accepts the request if any of them matches its secret."""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "SkyLight-Signature"
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return mac.hexdigest()


def signature_header(secrets: list[str], body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    return ",".join([f"t={t}", *(f"v1={sign(s, t, body)}" for s in secrets)])


def verify(secret: str, header: str, body: bytes, now: float | None = None) -> bool:
    """The receiver's side, as the README shows it."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    timestamps = [v for k, v in parts if k == "t"]
    if not timestamps or not timestamps[0].isdigit():
        return False
    t = int(timestamps[0])
    if abs((time.time() if now is None else now) - t) > TOLERANCE_SECONDS:
        return False
    expected = sign(secret, t, body)
    return any(k == "v1" and hmac.compare_digest(v, expected) for k, v in parts)
