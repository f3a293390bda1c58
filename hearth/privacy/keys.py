"""Key rotation for encrypted fields: re-encrypt every stored token not under the current key."""

from __future__ import annotations

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from hearth.privacy import crypto
from hearth.privacy.fields import EncryptedTextField


def encrypted_fields() -> list[tuple[type[models.Model], str]]:
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def rotate_field_keys(batch_size: int = 500) -> dict[str, int]:
    """{"app.Model.field": values re-encrypted}. Safe to run again (only stale tokens change)."""
    current = crypto.keyring().current_kid
    counts: dict[str, int] = {}
    for model, name in encrypted_fields():
        label = f"{model._meta.label}.{name}"
        counts[label] = 0
        rows = (
            model._base_manager.annotate(_raw=Cast(name, output_field=models.TextField()))
            .exclude(**{name: ""})
            .exclude(**{f"{name}__isnull": True})
            .values_list("pk", "_raw")
        )
        stale = [
            (pk, raw)
            for pk, raw in rows.iterator(chunk_size=batch_size)
            if (crypto.is_token(raw) and crypto.token_kid(raw) != current)
            or (raw and not crypto.is_token(raw))
        ]
        for pk, raw in stale:
            plain = crypto.decrypt(raw) if crypto.is_token(raw) else raw
            with transaction.atomic():
                # QuerySet.update bypasses append-only managers on purpose: same plaintext.
                models.QuerySet(model).filter(pk=pk).update(**{name: crypto.encrypt(plain)})
            counts[label] += 1
    return counts
