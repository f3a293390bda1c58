"""How far an erasure reaches (issue #10 item 12, PP-15): every row linked to the person.

The declared fields (``[[field]]``) find rows by the person's account or email; this module
follows the ``[[link]]`` declarations, which name every column holding the person's user ID or
one of their household IDs and say what erasure does with the row (delete it, clear the column,
keep it under a legal hold, or leave it to the app's own eraser). ``privacy.E003`` makes sure no
such column goes undeclared, so a new table cannot escape.

Django admin's history is not a Hearth model either: entries about the account or a household
lose the email their description held and are held as a security log (``hold_admin_history``).
Sessions are not a Hearth model: with a database-backed session engine every session signed in
as the person or carrying their email is deleted; with any engine, the account's unusable
password (set by the accounts eraser) changes the session hash, which signs every session out.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models

from hearth.privacy import crypto, inventory
from hearth.privacy.erasure import EraserReport, Kept
from hearth.privacy.rules import LinkErasure, LinkTarget

SESSION_AUTH_KEY = "_auth_user_id"  # django.contrib.auth stores the signed-in user's id here
ADMIN_HISTORY_RETENTION = "security_log"


def household_ids(user: Any) -> list[Any]:
    """The IDs of the person's households: rows of the household model found through its
    declared fields (the account link, or the keyed hash of the email given at registration)."""
    app_label, _dot, name = inventory.HOUSEHOLD_MODEL.partition(".")
    rows = inventory.export_subject(user).get(app_label, {}).get(name, [])
    return [row["id"] for row in rows]


def erase_links(*, user_pk: Any, household_ids: list[Any], at: dt.datetime) -> EraserReport:
    """Follow every [[link]] declaration for the person's user ID and household IDs."""
    report = EraserReport()
    for link in inventory.declared_links():
        if link.erasure == LinkErasure.ERASER:
            continue
        values = [user_pk] if link.to == LinkTarget.USER else list(household_ids)
        if not values:
            continue
        model = apps.get_model(link.model)
        column = model._meta.get_field(link.field).attname
        if link.type_field:  # a generic reference: the type column names the person's model
            target = (
                settings.AUTH_USER_MODEL
                if link.to == LinkTarget.USER
                else inventory.HOUSEHOLD_MODEL
            )
            rows = model._base_manager.filter(
                **{link.type_field: target, f"{column}__in": [str(v) for v in values]}
            )
        else:
            rows = model._base_manager.filter(**{f"{column}__in": values})
        pks = list(rows.values_list("pk", flat=True))
        if not pks:
            continue
        if link.erasure == LinkErasure.DELETE:
            models.QuerySet.delete(rows)
            report.erased.extend(f"{link.model}#{pk}" for pk in pks)
        elif link.erasure == LinkErasure.CLEAR:
            rows.update(**{column: None})
            report.erased.extend(f"{link.model}#{pk}.{link.field}" for pk in pks)
        else:  # KEEP: a legal duty holds the row (the check requires its retention)
            retention = link.retention or ""
            report.kept.extend(Kept(link.model, pk, retention, at) for pk in pks)
    return report


def _session_names(data: dict[str, Any], *, user_pk: Any, email: str) -> bool:
    if str(data.get(SESSION_AUTH_KEY, "")) == str(user_pk):
        return True
    wanted = crypto.normalise(email) if email else ""
    return bool(wanted) and wanted in json.dumps(data, default=str).casefold()


def erase_sessions(*, user_pk: Any, email: str) -> EraserReport:
    """Delete every stored session signed in as the person or holding their email."""
    engine = import_module(settings.SESSION_ENGINE)
    store_class = engine.SessionStore
    get_model_class = getattr(store_class, "get_model_class", None)
    if get_model_class is None:  # cache or signed-cookie sessions: nothing stored to scan
        return EraserReport()
    session_model = get_model_class()
    doomed: list[str] = []
    for key, encoded in session_model._default_manager.values_list(
        "session_key", "session_data"
    ).iterator(chunk_size=2000):
        if _session_names(store_class().decode(encoded), user_pk=user_pk, email=email):
            doomed.append(key)
    for key in doomed:
        store_class(session_key=key).delete()  # also drops a cached_db engine's cache entry
    label = session_model._meta.label
    return EraserReport(erased=[f"{label}#{n}" for n in range(1, len(doomed) + 1)])


def hold_admin_history(*, user_pk: Any, household_ids: list[Any], at: dt.datetime) -> EraserReport:
    """Django admin's change history about the account or a household: its ``object_repr`` held
    the account's email (``str(user)``), so it is replaced by the model and ID, and the entries
    are held as a security log (1 year) like Hearth's own audit log."""
    if not apps.is_installed("django.contrib.admin"):
        return EraserReport()
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    report = EraserReport()
    targets = [(settings.AUTH_USER_MODEL, [user_pk]), (inventory.HOUSEHOLD_MODEL, household_ids)]
    for label, pks in targets:
        if not pks:
            continue
        content_type = ContentType.objects.get_for_model(apps.get_model(label))
        for pk in pks:
            rows = LogEntry.objects.filter(content_type=content_type, object_id=str(pk))
            held = list(rows.values_list("pk", flat=True))
            rows.update(object_repr=f"{label}#{pk}"[:200])
            report.kept.extend(
                Kept("admin.LogEntry", entry, ADMIN_HISTORY_RETENTION, at) for entry in held
            )
    return report
