"""The audit log: who changed or looked at what, and when (in the spirit of Zulip's RealmAuditLog).

Every service that changes personal data, money, an order's state or a role calls
:func:`record` once per change, inside its own transaction, with the real actor passed down from
the interface. Staff reads of personal data are recorded the same way (``VIEWED`` and, for a
refused attempt, ``VIEW_REFUSED``).

A row holds the actor, the action, the object (model label and primary key) and the *names* of
the changed fields, never their values: an erased person's audit trail keeps no personal data.
Rows are append-only (``AuditEvent`` refuses update and delete).

The actor is typed: a user (staff or customer), an anonymous visitor, or a :class:`SystemActor`
such as :data:`SYSTEM` for tasks and commands. ``None`` is accepted and means :data:`SYSTEM`
(STYLE.md: "None for the system"), so a service's ``actor: Actor | None = None`` needs no
translation before it calls ``record``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeAlias

from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _

from hearth.core import clock

if TYPE_CHECKING:
    from hearth.core.models import AuditEvent


class AuditAction(StrEnum):
    """What happened. Apps may record their own ``StrEnum`` members; these cover most writes."""

    CREATED = "created"
    CHANGED = "changed"
    DELETED = "deleted"
    STATE_CHANGED = "state_changed"
    ROLE_CHANGED = "role_changed"
    MONEY_MOVED = "money_moved"
    ERASED = "erased"
    EXPORTED = "exported"
    VIEWED = "viewed"
    VIEW_REFUSED = "view_refused"


class ActorKind(models.TextChoices):
    USER = "user", _("user")
    ANONYMOUS = "anonymous", _("anonymous visitor")
    SYSTEM = "system", _("system")


@dataclass(frozen=True)
class SystemActor:
    """Hearth itself acting: a task, a management command, the retention purge."""

    name: str = "system"


SYSTEM = SystemActor()

Actor: TypeAlias = AbstractBaseUser | AnonymousUser | SystemActor
"""Who acts. Services type their keyword-only ``actor`` as ``Actor | None`` (None = SYSTEM)."""


@dataclass(frozen=True)
class ObjectRef:
    """An object named by model label and primary key, for when no instance is at hand (a refused
    read of an object the actor may not load, a row already deleted)."""

    label: str
    pk: str


_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")


def user_pk(actor: Actor | None) -> Any:
    """The signed-in user's primary key behind ``actor``, for a model's own "recorded by"
    foreign key (None for the system or an anonymous visitor)."""
    if isinstance(actor, AbstractBaseUser) and actor.is_authenticated:
        return actor.pk
    return None


def object_ref(obj: models.Model | ObjectRef) -> ObjectRef:
    if isinstance(obj, ObjectRef):
        return obj
    return ObjectRef(label=obj._meta.label, pk=str(obj.pk))


def _field_names(label: str, fields: Iterable[str]) -> list[str]:
    """Sorted unique field names, each a real field of the model when the model is known: so a
    caller cannot slip a value into the log where a name belongs."""
    names = sorted(set(fields))
    model: type[models.Model] | None
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        model = None
    for name in names:
        if not _FIELD_NAME.match(name):
            raise ValueError(f"audit fields are field names, not values: {name[:20]!r}…")
        if model is not None:
            try:
                model._meta.get_field(name)
            except FieldDoesNotExist:
                raise ValueError(f"{label} has no field {name!r}") from None
    return names


_batch: ContextVar[list[Any] | None] = ContextVar("hearth_audit_batch", default=None)


@contextmanager
def batched() -> Iterator[None]:
    """Write the audit rows recorded inside the block with one INSERT when it ends (several
    services' rows in one transaction: placing an order), in the order recorded; none if it
    raises (its transaction or savepoint rolls back with the changes they describe). Use it
    inside that transaction or savepoint, so the rows commit or roll back with the changes.
    A block inside another batches into the outer one."""
    from hearth.core.models import AuditEvent

    if _batch.get() is not None:
        yield
        return
    events: list[Any] = []
    token = _batch.set(events)
    try:
        yield
    finally:
        _batch.reset(token)
    if events:
        AuditEvent.objects.bulk_create(events)


def record(
    *,
    actor: Actor | None,
    action: StrEnum,
    obj: models.Model | ObjectRef,
    fields: Iterable[str] = (),
) -> AuditEvent:
    """Write one audit row: ``actor`` did ``action`` to ``obj``, touching ``fields`` (names only).

    Call it inside the service's transaction so the row commits (or rolls back) with the change.
    Inside :func:`batched`, the row is written when the batch ends.
    """
    from hearth.core.models import AuditEvent

    ref = object_ref(obj)
    names = _field_names(ref.label, fields)
    if actor is None:
        actor = SYSTEM
    user: AbstractBaseUser | None = None
    system_name = ""
    if isinstance(actor, SystemActor):
        kind = ActorKind.SYSTEM
        system_name = actor.name
    elif isinstance(actor, AnonymousUser) or not actor.is_authenticated:
        kind = ActorKind.ANONYMOUS
    elif isinstance(actor, AbstractBaseUser):
        kind = ActorKind.USER
        user = actor
    else:  # pragma: no cover - the type says this cannot happen; refuse rather than guess
        raise TypeError(f"not an actor: {type(actor).__name__}")
    event = AuditEvent(
        at=clock.now(),
        actor_kind=kind,
        actor_id=None if user is None else user.pk,
        system_actor=system_name[:60],
        action=str(action)[:60],
        object_type=ref.label[:100],
        object_id=ref.pk[:64],
        fields=names,
    )
    batch = _batch.get()
    if batch is not None:  # written when the batch ends (see batched)
        batch.append(event)
    else:
        event.save(force_insert=True)
    return event
