"""Signed webhooks, one scheme for every provider that posts to Hearth (carriers' tracking events,
inbound email): HMAC-SHA256 over ``"<unix seconds>." + body`` in a header
``t=<unix seconds>,v1=<hex signature>``, valid within a tolerance of now. Pure: time is an
argument.
"""

from __future__ import annotations

import hashlib
import hmac


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 (hex) over ``"<timestamp>." + body`` with the sender's secret."""
    message = str(int(timestamp)).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The header a carrier sends: ``t=<unix seconds>,v1=<hex signature>``."""
    return f"t={int(timestamp)},v1={webhook_signature(secret, timestamp, body)}"


WEBHOOK_TOLERANCE_SECONDS = 300


def signature_valid(
    *,
    secret: str,
    header: str,
    body: bytes,
    now_unix: int,
    tolerance: int = WEBHOOK_TOLERANCE_SECONDS,
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within ``tolerance`` seconds of now.

    The comparison is constant-time; a missing secret, a malformed header, an old or future
    timestamp all say no.
    """
    if not secret:
        return False
    parts: dict[str, str] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(key, value)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now_unix - timestamp) > tolerance:
        return False
    expected = webhook_signature(secret, timestamp, body)
    return hmac.compare_digest(expected, parts.get("v1", ""))
