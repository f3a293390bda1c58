"""Notices at the point of collection (PP-4).

A form that collects personal information mixes in ``NoticeFormMixin`` and names its
``collection_point`` (a key of data/collection_points.toml). The mixin marks every field
"(required)" or "(optional)" in its label and exposes ``form.privacy_notice`` for
``{% include "privacy/includes/notice.html" with form=form %}`` inside the ``<form>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from hearth.privacy import taxonomy

_registry: list[type[forms.BaseForm]] = []


@dataclass(frozen=True)
class FieldNotice:
    name: str
    label: str
    required: bool


@dataclass(frozen=True)
class PrivacyNotice:
    collection_point: str
    purposes: list[str]  # human names, translated
    purpose_keys: list[str]
    fields: list[FieldNotice]
    announce: str


REQUIRED = _("required")
OPTIONAL = _("optional")


class NoticeFormMixin:
    """States the form's purposes and marks each field required or optional."""

    collection_point: ClassVar[str] = ""
    fields: dict[str, forms.Field]  # provided by the form class this is mixed into

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if issubclass(cls, forms.BaseForm):
            _registry.append(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        point = taxonomy.collection_points()[self.collection_point]
        purposes = taxonomy.purposes()
        notices: list[FieldNotice] = []
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.HiddenInput):
                continue
            marker = REQUIRED if field.required else OPTIONAL
            label = field.label or name.replace("_", " ").capitalize()
            field.label = f"{label} ({marker})"
            notices.append(FieldNotice(name, str(label), field.required))
        self.privacy_notice = PrivacyNotice(
            collection_point=point.key,
            purposes=[str(_(purposes[p].name)) for p in point.purposes],
            purpose_keys=list(point.purposes),
            fields=notices,
            announce=point.announce,
        )


def registered_forms() -> list[type[forms.BaseForm]]:
    """Every form class that uses the mixin (imported so far; import the apps' forms first)."""
    return [
        cls
        for cls in _registry
        if cls.__dict__.get("collection_point")
        or (issubclass(cls, NoticeFormMixin) and cls.collection_point)
    ]


def import_all_forms() -> None:
    """Import every Hearth app's ``forms`` module so that ``registered_forms`` sees them all."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    for config in apps.get_app_configs():
        if config.name.startswith("hearth.") and find_spec(f"{config.name}.forms"):
            import_module(f"{config.name}.forms")
