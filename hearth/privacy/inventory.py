"""The data inventory: each app declares its personal fields in ``<app>/data/personal_data.toml``.

``declared_fields()`` reads every app's file; ``inventory_problems()`` is what the system check
(``privacy.E001``/``E002``) reports; ``export_subject(user)`` collects every declared field held
about a person, grouped by app and model, decrypted (PP-15).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from hearth.privacy import crypto, taxonomy
from hearth.privacy.rules import FieldRef, undeclared_personal_fields

FILE_NAME = "personal_data.toml"
_FIELD_KEYS = {"model", "field", "category", "purposes", "retention", "processors"}
_FIELD_OPTIONAL = {"subject", "subject_email", "subject_email_hash", "source", "note"}
_EXEMPT_KEYS = {"model", "field", "reason"}


@dataclass(frozen=True)
class DeclaredField:
    app: str  # app label of the declaring app
    model: str  # "app_label.ModelName"
    field: str
    category: str
    purposes: tuple[str, ...]
    retention: str
    processors: tuple[str, ...]
    subject: str | None = None  # ORM path to the user ("" = the row is the user)
    subject_email: str | None = None  # field holding the person's email (string or list)
    subject_email_hash: str | None = None  # field holding keyed_hash(email)
    source: str = ""

    @property
    def ref(self) -> FieldRef:
        return FieldRef(self.model, self.field)


@dataclass(frozen=True)
class Inventory:
    fields: tuple[DeclaredField, ...]
    exempt: tuple[FieldRef, ...]
    problems: tuple[str, ...]

    @property
    def covered(self) -> set[FieldRef]:
        return {f.ref for f in self.fields} | set(self.exempt)


def _hearth_apps() -> list[Any]:
    return [c for c in apps.get_app_configs() if c.name.startswith("hearth.")]


def load_inventory() -> Inventory:
    fields: list[DeclaredField] = []
    exempt: list[FieldRef] = []
    problems: list[str] = []
    for config in _hearth_apps():
        path = Path(config.path) / "data" / FILE_NAME
        if not path.exists():
            continue
        where = f"{config.label}/data/{FILE_NAME}"
        try:
            doc = taxonomy.read_toml(path)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        for i, row in enumerate(doc.get("field", [])):
            missing = _FIELD_KEYS - row.keys()
            unknown = row.keys() - _FIELD_KEYS - _FIELD_OPTIONAL
            if missing or unknown:
                problems.append(
                    f"{where} [[field]] #{i + 1}: missing {sorted(missing)}, "
                    f"unknown {sorted(unknown)}"
                )
                continue
            fields.append(
                DeclaredField(
                    app=config.label,
                    model=row["model"],
                    field=row["field"],
                    category=row["category"],
                    purposes=tuple(row["purposes"]),
                    retention=row["retention"],
                    processors=tuple(row["processors"]),
                    subject=row.get("subject"),
                    subject_email=row.get("subject_email"),
                    subject_email_hash=row.get("subject_email_hash"),
                    source=row.get("source", ""),
                )
            )
        for i, row in enumerate(doc.get("exempt", [])):
            if set(row.keys()) != _EXEMPT_KEYS:
                problems.append(f"{where} [[exempt]] #{i + 1}: needs exactly {_EXEMPT_KEYS}")
                continue
            exempt.append(FieldRef(row["model"], row["field"]))
    problems.extend(_entry_problems(fields))
    return Inventory(tuple(fields), tuple(exempt), tuple(problems))


def declared_fields() -> list[DeclaredField]:
    """Every personal field every app declares."""
    return list(load_inventory().fields)


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _entry_problems(fields: list[DeclaredField]) -> list[str]:
    cats, purps = taxonomy.categories(), taxonomy.purposes()
    rets, procs = taxonomy.retention_periods(), taxonomy.processors()
    problems: list[str] = []
    seen: set[FieldRef] = set()
    for f in fields:
        name = f"{f.model}.{f.field}"
        if f.ref in seen:
            problems.append(f"{name} is declared twice")
        seen.add(f.ref)
        model = _model(f.model)
        if model is None:
            problems.append(f"{name}: no model {f.model!r}")
            continue
        try:
            model._meta.get_field(f.field)
        except FieldDoesNotExist:
            problems.append(f"{name}: the model has no field {f.field!r}")
        if model._meta.app_label != f.app:
            problems.append(f"{name}: declared by {f.app!r}, not by the app that owns it")
        if f.category not in cats:
            problems.append(f"{name}: unknown category {f.category!r}")
        problems.extend(f"{name}: unknown purpose {p!r}" for p in f.purposes if p not in purps)
        if not f.purposes:
            problems.append(f"{name}: no purposes")
        if f.retention not in rets:
            problems.append(f"{name}: unknown retention {f.retention!r}")
        problems.extend(f"{name}: unknown processor {p!r}" for p in f.processors if p not in procs)
        if f.subject is None and not f.subject_email and not f.subject_email_hash:
            problems.append(f"{name}: says neither subject, subject_email nor subject_email_hash")
    return problems


def model_fields() -> list[FieldRef]:
    """Every concrete, non-relational field of every Hearth model."""
    refs: list[FieldRef] = []
    for config in _hearth_apps():
        for model in config.get_models():
            for field in model._meta.get_fields():
                if getattr(field, "concrete", False) and not field.is_relation:
                    refs.append(FieldRef(model._meta.label, field.name))
    return refs


def inventory_problems() -> tuple[list[FieldRef], list[str]]:
    """(undeclared personal-looking fields, invalid declarations) for the project as it is."""
    inventory = load_inventory()
    undeclared = undeclared_personal_fields(
        model_fields(), inventory.covered, taxonomy.field_patterns()
    )
    return undeclared, list(inventory.problems)


def check_inventory(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """System check: every personal-looking field is declared, and declarations are valid."""
    undeclared, problems = inventory_problems()
    messages: list[checks.CheckMessage] = [
        checks.Error(
            f"{ref.model}.{ref.field} looks personal but is not declared.",
            hint=(
                f"Declare it in its app's data/{FILE_NAME} as [[field]] (category, purposes, "
                "retention, processors) or as [[exempt]] with a reason."
            ),
            id="privacy.E001",
        )
        for ref in undeclared
    ]
    messages.extend(checks.Error(p, id="privacy.E002") for p in problems)
    return messages


# --- Export (PP-15: a copy in a structured, commonly used format).


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None
    return value


def _rows_for(model: type[models.Model], spec: DeclaredField, user: Any) -> models.QuerySet:
    condition = models.Q(pk__in=[])
    if spec.subject is not None:
        condition |= (
            models.Q(pk=user.pk) if spec.subject == "" else models.Q(**{spec.subject: user})
        )
    email = getattr(user, "email", "") or ""
    if spec.subject_email_hash and email:
        condition |= models.Q(**{spec.subject_email_hash: crypto.keyed_hash(email)})
    if spec.subject_email and email:
        condition |= models.Q(**{f"{spec.subject_email}__icontains": email})
    return model._default_manager.filter(condition).order_by("pk")


def _holds_email(value: Any, email: str) -> bool:
    wanted = crypto.normalise(email)
    items = value if isinstance(value, list | tuple) else [value]
    return any(crypto.normalise(str(v)) == wanted for v in items)


def export_subject(user: Any) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Every declared field held about ``user``: {app_label: {ModelName: [{field: value}]}}."""
    by_model: dict[str, list[DeclaredField]] = defaultdict(list)
    for spec in declared_fields():
        by_model[spec.model].append(spec)
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for label in sorted(by_model):
        model = _model(label)
        if model is None:
            continue
        specs = by_model[label]
        rows: dict[Any, dict[str, Any]] = {}
        for spec in specs:
            for obj in _rows_for(model, spec, user):
                only_by_email = spec.subject is None and not spec.subject_email_hash
                if (
                    spec.subject_email
                    and only_by_email
                    and not _holds_email(getattr(obj, spec.subject_email), user.email)
                ):
                    continue
                rows.setdefault(obj.pk, {"id": obj.pk})
        if not rows:
            continue
        objects = model._default_manager.in_bulk(list(rows))
        for pk, row in rows.items():
            for spec in specs:
                row[spec.field] = _plain(getattr(objects[pk], spec.field))
        out.setdefault(model._meta.app_label, {})[model.__name__] = [
            rows[pk] for pk in sorted(rows)
        ]
    return out


def fields_held(user: Any) -> list[DeclaredField]:
    """The declared fields for which ``user`` has at least one row (for notices to processors)."""
    held: list[DeclaredField] = []
    exported = export_subject(user)
    for spec in declared_fields():
        app, _, name = spec.model.partition(".")
        rows = exported.get(app, {}).get(name, [])
        if any(row.get(spec.field) not in (None, "", [], {}) for row in rows):
            held.append(spec)
    return held
