"""Reads of the kernel's records: the audit trail of one object or one actor."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.db.models import QuerySet

from hearth.core.audit import ObjectRef, object_ref
from hearth.core.models import AuditEvent


def audit_trail(obj: models.Model | ObjectRef) -> QuerySet[AuditEvent]:
    """Every audit event about ``obj``, newest first."""
    ref = object_ref(obj)
    return AuditEvent.objects.filter(object_type=ref.label, object_id=ref.pk)


def audit_events_by(actor: AbstractBaseUser) -> QuerySet[AuditEvent]:
    """Every audit event a user caused, newest first."""
    return AuditEvent.objects.filter(actor_kind="user", actor_id=actor.pk)
