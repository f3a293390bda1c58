"""The back office's role homes: each app contributes its work queues (label, count, link, the
roles who work them); the admin index shows each person the queues of their roles, with counts.

Apps register in their ``AppConfig.ready``::

    register_queue(Queue(key="orders.review", label=_("Orders to review"),
                         count=held_count, url="/back-office/review/", roles=("finance",)))

``count`` is called when the index is shown (one query per queue). Core knows no domain app:
roles are plain keys (``accounts.roles.ROLE_KEYS``), resolved by the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Queue:
    key: str  # unique, "<app>.<queue>"
    label: Any  # a lazily translated string
    count: Callable[[], int]
    url: str
    roles: tuple[str, ...]
    order: int = 100  # smaller first


@dataclass(frozen=True)
class QueueEntry:
    key: str
    label: Any
    count: int
    url: str


_QUEUES: dict[str, Queue] = {}


def register_queue(queue: Queue) -> None:
    """Add (or replace, by key: ``ready`` may run twice in tests) a queue."""
    _QUEUES[queue.key] = queue


def registered_queues() -> list[Queue]:
    return sorted(_QUEUES.values(), key=lambda q: (q.order, q.key))


def queues_for(roles: Iterable[str], *, every_role: bool = False) -> list[QueueEntry]:
    """The queues of any of ``roles`` (all of them for ``every_role``, e.g. a superuser)."""
    mine = set(roles)
    return [
        QueueEntry(key=q.key, label=q.label, count=q.count(), url=q.url)
        for q in registered_queues()
        if every_role or mine.intersection(q.roles)
    ]
