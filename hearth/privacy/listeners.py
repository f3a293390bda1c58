"""Who must act when consent changes: one registry, called by ``services.record_consent``.

Consent is one state with one truth, the ledger. An app that keeps something that depends on a
purpose's consent (the devices app keeps a household's tier, which decides what telemetry is
stored) registers a listener for that purpose here, so that a withdrawal made anywhere (My
Stuff, the API, an unsubscribe link, the back office) takes effect there in the same transaction.
A registry rather than an import, because the listening app already depends on privacy.

``register_consent_listener(purpose, fn)``: ``fn(record, *, actor)`` runs inside the
transaction that appends ``record`` (a ``ConsentRecord``) for ``purpose``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hearth.core.audit import Actor

ConsentListener = Callable[..., object]

_listeners: dict[str, list[ConsentListener]] = {}


def register_consent_listener(purpose: str, fn: ConsentListener) -> ConsentListener:
    """Call ``fn(record, actor=...)`` after each ledger record for ``purpose`` (once per fn)."""
    registered = _listeners.setdefault(purpose, [])
    if fn not in registered:
        registered.append(fn)
    return fn


def listeners_for(purpose: str) -> list[ConsentListener]:
    return list(_listeners.get(purpose, ()))


def notify(record: Any, *, actor: Actor | None) -> None:
    for fn in listeners_for(record.purpose):
        fn(record, actor=actor)
