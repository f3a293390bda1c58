"""How the environment's switches read (settings and the run command share it; no Django)."""

from __future__ import annotations

TRUE = frozenset({"1", "true", "yes", "on"})


def truthy(raw: str) -> bool:
    """``DEBUG=1``, ``true``, ``yes`` or ``on`` (any case) turn a switch on; anything else off."""
    return raw.strip().lower() in TRUE
