"""Model fields for personal data at rest (PP-10).

``EncryptedTextField`` stores :func:`hearth.privacy.crypto.encrypt` tokens and hands back
plaintext: models, forms and the admin see plain strings. The database cannot search inside it
(each write uses a fresh nonce); to find rows by value, add a ``HashedLookupField`` beside it::

    phone = EncryptedTextField(_("phone"), blank=True)
    phone_hash = HashedLookupField(source="phone")
    ...
    Address.objects.filter(phone_hash=keyed_hash("+1 613 555 0100"))

An empty string is stored as an empty string (nothing to hide, and blank stays blank).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from hearth.privacy import crypto


class EncryptedTextField(models.TextField):
    """A text column whose stored value is an AES-GCM token; reads decrypt transparently."""

    description = "Text encrypted at rest (AES-GCM)"

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        text = str(value)
        if crypto.is_token(text):
            return text
        return crypto.encrypt(text)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "" or not crypto.is_token(value):
            return value
        return crypto.decrypt(value)

    def get_internal_type(self) -> str:
        return "TextField"


class HashedLookupField(models.CharField):
    """``keyed_hash`` of another field of the same model, filled on every save."""

    description = "Keyed hash of another field, for equality lookups"

    def __init__(self, *args: Any, source: str, **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, Any, Any, Any]:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        raw = getattr(model_instance, self.source)
        value = crypto.keyed_hash(str(raw)) if raw not in (None, "") else ""
        setattr(model_instance, self.attname, value)
        return value
