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
from django.utils.translation import get_language
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


#: Marked labels and notices made so far, per form class, language and fields (bounded).
_made: dict[tuple[Any, ...], tuple[dict[str, str], PrivacyNotice, tuple[Any, ...]]] = {}
_MADE_MAX = 1000

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
        shown = [
            (name, field)
            for name, field in self.fields.items()
            if not isinstance(field.widget, forms.HiddenInput)
        ]
        # The marked labels and the notice depend only on the form, the language and each
        # field's label and required flag: made once per process (about 20 translations per
        # form otherwise; issue #12). A label is keyed by identity; the entry keeps the label
        # objects alive, so no other label can take their identity while it exists.
        key = (
            type(self),
            self.collection_point,
            get_language(),
            tuple((name, field.required, id(field.label)) for name, field in shown),
        )
        made = _made.get(key)
        if made is None:
            made = self._make_notice(shown)
            if len(_made) < _MADE_MAX:
                _made[key] = made
        labels, self.privacy_notice, _alive = made
        for name, field in shown:
            field.label = labels[name]

    def _make_notice(
        self, shown: list[tuple[str, forms.Field]]
    ) -> tuple[dict[str, str], PrivacyNotice, tuple[Any, ...]]:
        point = taxonomy.collection_points()[self.collection_point]
        purposes = taxonomy.purposes()
        notices: list[FieldNotice] = []
        labels: dict[str, str] = {}
        for name, field in shown:
            marker = REQUIRED if field.required else OPTIONAL
            label = field.label or name.replace("_", " ").capitalize()
            labels[name] = f"{label} ({marker})"
            notices.append(FieldNotice(name, str(label), field.required))
        notice = PrivacyNotice(
            collection_point=point.key,
            purposes=[str(_(purposes[p].name)) for p in point.purposes],
            purpose_keys=list(point.purposes),
            fields=notices,
            announce=point.announce,
        )
        return labels, notice, tuple(field.label for _name, field in shown)


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
