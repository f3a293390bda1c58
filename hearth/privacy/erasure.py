"""Registries that let every app take part in an erasure request (PP-15).

- ``register_blocker(fn)``: ``fn(user, at) -> Iterable[Blocker]``; any blocker refuses the
  erasure with its reason and the day it can be done (e.g. an open order).
- ``register_eraser(fn, models=[...])``: ``fn(user, at) -> EraserReport`` erases (or minimises
  and holds) the rows of the named models; models nobody registers are handled from the data
  inventory: rows whose declared fields may all be erased are deleted, the rest are held.
- ``register_purger(model_label, fn)``: ``fn(object_pk) -> None`` purges a held row when its
  retention ends (default: delete the row).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from hearth.privacy.rules import Blocker

__all__ = [
    "Blocker",
    "EraserReport",
    "Kept",
    "register_blocker",
    "register_eraser",
    "register_purger",
]


@dataclass(frozen=True)
class Kept:
    """A row a legal duty keeps: purged ``keep`` years after ``since`` (its retention rule)."""

    model: str
    pk: Any
    retention: str
    since: dt.datetime


@dataclass
class EraserReport:
    erased: list[str] = field(default_factory=list)  # "accounts.Address#12", ...
    kept: list[Kept] = field(default_factory=list)


BlockerFn = Callable[[Any, dt.datetime], Iterable[Blocker]]
EraserFn = Callable[[Any, dt.datetime], EraserReport]
PurgerFn = Callable[[Any], None]

_blockers: list[BlockerFn] = []
_erasers: list[tuple[EraserFn, frozenset[str]]] = []
_purgers: dict[str, PurgerFn] = {}


def register_blocker(fn: BlockerFn) -> BlockerFn:
    if fn not in _blockers:
        _blockers.append(fn)
    return fn


def unregister_blocker(fn: BlockerFn) -> None:
    if fn in _blockers:
        _blockers.remove(fn)


def register_eraser(fn: EraserFn, *, models: Iterable[str] = ()) -> EraserFn:
    if all(existing is not fn for existing, _ in _erasers):
        _erasers.append((fn, frozenset(models)))
    return fn


def register_purger(model_label: str, fn: PurgerFn) -> PurgerFn:
    _purgers[model_label] = fn
    return fn


def blockers() -> list[BlockerFn]:
    return list(_blockers)


def erasers() -> list[tuple[EraserFn, frozenset[str]]]:
    return list(_erasers)


def purger_for(model_label: str) -> PurgerFn | None:
    return _purgers.get(model_label)
