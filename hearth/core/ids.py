"""Identifiers that customers and devices see: random, non-sequential, hard to guess."""

from __future__ import annotations

import secrets


def random_numeric_id(digits: int = 12) -> int:
    """A random positive integer of exactly ``digits`` digits (never sequential)."""
    low = 10 ** (digits - 1)
    return low + secrets.randbelow(9 * low)


def random_token(nbytes: int = 32) -> str:
    """A URL-safe secret token."""
    return secrets.token_urlsafe(nbytes)
