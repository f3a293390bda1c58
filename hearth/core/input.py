"""Input that no database can store: NUL characters, found with the field they sit in.

PostgreSQL refuses a NUL (U+0000) in any text or JSON value, SQLite keeps it silently; either way
it is never meaningful input. These functions (no database, no request) find the first NUL in
decoded input and name its field by a dotted path (``lines.0.sku``), so that the edge
(hearth/core/middleware.py, and the telemetry decoder for gzip bodies) answers one 400 naming
the field before anything reaches a database.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

NUL = "\x00"
# In a JSON text a NUL can only appear escaped (a raw control character is not valid JSON).
JSON_NUL_ESCAPE = b"\\u0000"


def nul_message() -> str:
    """The reason given for a field holding a NUL (the same in the API and on a page)."""
    return _("must not contain NUL characters")


def json_may_hold_nul(raw: bytes) -> bool:
    """Fast pre-check on a JSON body: False means no string in it can hold a NUL."""
    return JSON_NUL_ESCAPE in raw or b"\x00" in raw


def safe_name(name: str) -> str:
    """A field name fit to echo back: its NULs shown as ``\\0``."""
    return name.replace(NUL, "\\0")


def nul_field(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (or object key) holding a NUL in decoded JSON.

    ``None`` when there is none. A key holding a NUL is named by itself. Iterative, so that a
    deeply nested document cannot exhaust the stack here.
    """
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return where or "body"
        elif isinstance(item, dict):
            children = []
            for key, child in item.items():
                key_text = str(key)
                child_path = f"{where}.{key_text}" if where else key_text
                if NUL in key_text:
                    return safe_name(child_path)
                children.append((child, child_path))
            stack.extend(reversed(children))
        elif isinstance(item, list | tuple):
            stack.extend(
                reversed([(c, f"{where}.{i}" if where else str(i)) for i, c in enumerate(item)])
            )
    return None


def nul_in_pairs(pairs: Iterable[tuple[str, list[str]]]) -> str | None:
    """The first name among query-string or form ``(name, values)`` pairs that holds a NUL."""
    for name, values in pairs:
        if NUL in name or any(NUL in v for v in values):
            return safe_name(name)
    return None
