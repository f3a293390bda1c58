"""The generic staff-read audit (PP-10): every staff look at personal data leaves an audit row.

One place decides what is personal: the data inventory (``inventory.declared_fields`` and
``declared_links``: a model's declared personal fields and its columns linking to a person). Every
admin registered on the back-office site gets :class:`StaffReadAuditMixin` (the site mixes it in
at registration, ``accounts.admin_site.HearthAdminSite.register``), so a model that gains a
declared personal field is audited without touching its admin. A read of a changelist, a change
page, a history page or a delete confirmation writes exactly one ``core.audit`` row
(``VIEWED``); a refused attempt (403) writes one ``VIEW_REFUSED`` row. Staff API endpoints and
custom back-office views that show personal data call :func:`audit_staff_read` /
:func:`audit_refused_read` themselves.

The row names the model and object and the declared personal field names, never their values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.admin import ModelAdmin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse

from hearth.core.audit import Actor, AuditAction, ObjectRef, record
from hearth.privacy import inventory

ALL_ROWS = ""  # the object id of a list read: the model as a whole


@functools.cache
def _declared_by_model() -> dict[str, frozenset[str]]:
    by_model: dict[str, set[str]] = {}
    for entry in inventory.declared_fields():
        by_model.setdefault(entry.model, set()).add(entry.field)
    for link in inventory.declared_links():
        by_model.setdefault(link.model, set()).add(link.field)
    return {label: frozenset(names) for label, names in by_model.items()}


def personal_fields(model: type[models.Model]) -> tuple[str, ...]:
    """What a staff page of ``model`` may show about a person: its declared personal fields and
    its declared links to a person (``[[link]]``: a user or household column). A proxy shares
    its concrete model's."""
    declared = _declared_by_model()
    concrete = model._meta.concrete_model or model
    names = {*declared.get(model._meta.label, ()), *declared.get(concrete._meta.label, ())}
    return tuple(sorted(names))


def holds_personal_data(model: type[models.Model]) -> bool:
    return bool(personal_fields(model))


def _actor(request: HttpRequest) -> Actor:
    return request.user


def audit_staff_read(
    request: HttpRequest, *, model: type[models.Model], object_id: str = ALL_ROWS
) -> None:
    """One ``VIEWED`` row: the signed-in staff member saw ``model`` (one object, or a list)."""
    record(
        actor=_actor(request),
        action=AuditAction.VIEWED,
        obj=ObjectRef(label=model._meta.label, pk=object_id),
        fields=personal_fields(model),
    )


def audit_refused_read(
    request: HttpRequest, *, model: type[models.Model], object_id: str = ALL_ROWS
) -> None:
    """One ``VIEW_REFUSED`` row: someone tried to see ``model`` and was turned away."""
    record(
        actor=_actor(request),
        action=AuditAction.VIEW_REFUSED,
        obj=ObjectRef(label=model._meta.label, pk=object_id),
        fields=personal_fields(model),
    )


class StaffReadAuditMixin:
    """Audits the admin's read pages of a model that holds declared personal data."""

    model: type[models.Model]

    def _audited(
        self, request: HttpRequest, object_id: str, view: Callable[[], HttpResponse]
    ) -> HttpResponse:
        if not holds_personal_data(self.model):
            return view()
        try:
            response = view()
        except PermissionDenied:
            audit_refused_read(request, model=self.model, object_id=object_id)
            raise
        if request.method in ("GET", "HEAD"):
            if response.status_code == 200:
                audit_staff_read(request, model=self.model, object_id=object_id)
            elif response.status_code == 403:
                audit_refused_read(request, model=self.model, object_id=object_id)
        return response

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        parent = super()
        return self._audited(
            request,
            ALL_ROWS,
            lambda: parent.changelist_view(request, extra_context),  # type: ignore[attr-defined]
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        parent = super()
        return self._audited(
            request,
            unquote(object_id),
            lambda: parent.change_view(request, object_id, form_url, extra_context),  # type: ignore[attr-defined]
        )

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        parent = super()
        return self._audited(
            request,
            unquote(object_id),
            lambda: parent.history_view(request, object_id, extra_context),  # type: ignore[attr-defined]
        )

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        parent = super()
        return self._audited(
            request,
            unquote(object_id),
            lambda: parent.delete_view(request, object_id, extra_context),  # type: ignore[attr-defined]
        )


def audited_admin_class(admin_class: type[ModelAdmin]) -> type[ModelAdmin]:
    """``admin_class`` with the staff-read audit mixed in (once)."""
    if issubclass(admin_class, StaffReadAuditMixin):
        return admin_class
    return type(
        admin_class.__name__,
        (StaffReadAuditMixin, admin_class),
        {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
    )
