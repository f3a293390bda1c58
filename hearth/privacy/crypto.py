"""Field encryption at rest (PP-10): AES-256-GCM tokens that name their key, and a keyed hash.

Keys come from the environment:

- ``HEARTH_FIELD_KEYS`` = ``"kid:<base64url 32-byte key>,kid2:<...>"``. The first key encrypts;
  every listed key decrypts, so rotation is: put the new key first, keep the old ones, run
  ``manage.py rotate_field_keys``, then drop the old keys.
- ``HEARTH_HASH_KEY`` = base64url 32-byte key for :func:`keyed_hash` (lookups by equality).

Outside production, a development key is derived from ``SECRET_KEY`` with HKDF when a variable is
missing; in production a missing key is a configuration error.

A token reads ``ef1:<kid>:<base64url(nonce || ciphertext+tag)>``; the key id and the version
prefix are bound into the tag as associated data, so a token cannot be moved to another key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TOKEN_PREFIX = "ef1"  # noqa: S105 (a format tag, not a secret)
_NONCE_BYTES = 12


class DecryptionError(ValueError):
    """A token that no configured key opens (wrong key, tampered, or not a token)."""


@dataclass(frozen=True)
class Keyring:
    current_kid: str
    keys: dict[str, bytes]


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _derive(label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(
        settings.SECRET_KEY.encode("utf-8")
    )


def _production() -> bool:
    return bool(getattr(settings, "PRODUCTION", False))


@lru_cache(maxsize=8)
def _parse_keyring(spec: str, secret_key: str, production: bool) -> Keyring:
    if not spec.strip():
        if production:
            raise ImproperlyConfigured("HEARTH_FIELD_KEYS must be set when HEARTH_ENV=production.")
        return Keyring("dev", {"dev": _derive(b"hearth field encryption key")})
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for item in spec.split(","):
        kid, sep, encoded = item.strip().partition(":")
        if not sep or not kid or ":" in kid:
            raise ImproperlyConfigured("HEARTH_FIELD_KEYS entries read 'kid:base64url-key'.")
        key = _b64decode(encoded.strip())
        if len(key) != 32:
            raise ImproperlyConfigured(f"HEARTH_FIELD_KEYS key {kid!r} is not 32 bytes.")
        if kid in keys:
            raise ImproperlyConfigured(f"HEARTH_FIELD_KEYS names key {kid!r} twice.")
        keys[kid] = key
        order.append(kid)
    return Keyring(order[0], keys)


def keyring() -> Keyring:
    """The keys in force now (read from the environment on each call; parsing is cached)."""
    return _parse_keyring(
        os.environ.get("HEARTH_FIELD_KEYS", ""), settings.SECRET_KEY, _production()
    )


@lru_cache(maxsize=8)
def _hash_key(spec: str, secret_key: str, production: bool) -> bytes:
    if not spec.strip():
        if production:
            raise ImproperlyConfigured("HEARTH_HASH_KEY must be set when HEARTH_ENV=production.")
        return _derive(b"hearth keyed hash key")
    key = _b64decode(spec.strip())
    if len(key) < 32:
        raise ImproperlyConfigured("HEARTH_HASH_KEY must hold at least 32 bytes.")
    return key


def generate_key() -> str:
    """A fresh base64url 32-byte key, for ``HEARTH_FIELD_KEYS`` or ``HEARTH_HASH_KEY``."""
    return _b64encode(secrets.token_bytes(32))


def _aad(kid: str) -> bytes:
    return f"{TOKEN_PREFIX}:{kid}".encode()


def is_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX + ":") and value.count(":") >= 2


def token_kid(token: str) -> str:
    """The key id a token was encrypted with."""
    if not is_token(token):
        raise DecryptionError("not an encrypted token")
    return token.split(":", 2)[1]


def encrypt(plaintext: str) -> str:
    """Encrypt with the current key; a fresh random nonce each time."""
    ring = keyring()
    kid = ring.current_kid
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(ring.keys[kid]).encrypt(nonce, plaintext.encode("utf-8"), _aad(kid))
    return f"{TOKEN_PREFIX}:{kid}:{_b64encode(nonce + sealed)}"


def decrypt(token: str) -> str:
    """Decrypt a token made by :func:`encrypt` with any configured key."""
    kid = token_kid(token)
    key = keyring().keys.get(kid)
    if key is None:
        raise DecryptionError(f"no key {kid!r} configured")
    raw = _b64decode(token.split(":", 2)[2])
    try:
        plain = AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(kid))
    except InvalidTag as exc:
        raise DecryptionError("token does not open with its key") from exc
    return plain.decode("utf-8")


def normalise(value: str) -> str:
    """What :func:`keyed_hash` hashes: stripped and casefolded."""
    return value.strip().casefold()


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 (hex) of the normalised value, for lookups by equality without plaintext."""
    key = _hash_key(os.environ.get("HEARTH_HASH_KEY", ""), settings.SECRET_KEY, _production())
    return hmac.new(key, normalise(value).encode("utf-8"), hashlib.sha256).hexdigest()


def keyed_hashes(values: Iterable[str]) -> list[str]:
    """:func:`keyed_hash` of many values, the key read once (an audience of 100,000)."""
    key = _hash_key(os.environ.get("HEARTH_HASH_KEY", ""), settings.SECRET_KEY, _production())
    base = hmac.new(key, digestmod=hashlib.sha256)
    out = []
    for value in values:
        mac = base.copy()
        mac.update(normalise(value).encode("utf-8"))
        out.append(mac.hexdigest())
    return out
