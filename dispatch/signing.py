"""HMAC-SHA256 signatures shared by outgoing webhooks and incoming department callbacks."""

from __future__ import annotations

import hashlib
import hmac

MAX_SKEW = 300  # seconds a signed request stays valid


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str, timestamp: str | None, body: bytes, given: str | None, now: float, max_skew: int = MAX_SKEW
) -> bool:
    """Constant-time check of the signature, and the timestamp within `max_skew` of now."""
    if not secret or not timestamp or not given:
        return False
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs(now - ts) > max_skew:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), given)
