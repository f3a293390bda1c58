"""The data inventory: each app declares its personal fields in ``<app>/data/personal_data.toml``.

``declared_fields()`` reads every app's file; ``inventory_problems()`` is what the system check
(``privacy.E001``/``E002``) reports; ``declared_links()`` are the ``[[link]]`` entries that say what
erasure does with each column linking to a person (a foreign key to the user or the household
model, or a column named ``household_id``, ``*_household_id``, ``customer``, ``customer_id``), and
``privacy.E003`` fails ``manage.py check`` for a link column nobody declared (``E004``: an
``eraser`` link no app's eraser covers); ``export_subject(user)`` collects every declared field
held about a person, grouped by app and model, decrypted (PP-15).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from hearth.privacy import crypto, erasure, subjects, taxonomy
from hearth.privacy.rules import (
    FieldRef,
    LinkErasure,
    LinkTarget,
    is_generic_reference,
    link_problems,
    links_to_person,
    undeclared_links,
    undeclared_personal_fields,
)

FILE_NAME = "personal_data.toml"
_FIELD_KEYS = {"model", "field", "category", "purposes", "retention", "processors"}
_FIELD_OPTIONAL = {"subject", "subject_email", "subject_email_hash", "source", "note", "on_hold"}
_EXEMPT_KEYS = {"model", "field", "reason"}
_LINK_KEYS = {"model", "field", "to", "erasure", "reason"}
_LINK_OPTIONAL = {"retention", "type_field"}
# The model whose rows are a person's households (by label: privacy imports no devices code).
HOUSEHOLD_MODEL = "devices.Household"


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
    on_hold: str = ""  # "clear": when erasure holds the row, this field is emptied (minimised)

    @property
    def ref(self) -> FieldRef:
        return FieldRef(self.model, self.field)


@dataclass(frozen=True)
class DeclaredLink:
    """A column linking a row to a person, and what erasure does with such rows."""

    app: str
    model: str
    field: str
    to: LinkTarget
    erasure: LinkErasure
    reason: str
    retention: str | None = None
    type_field: str | None = None  # a generic reference: the column naming the object's model

    @property
    def ref(self) -> FieldRef:
        return FieldRef(self.model, self.field)


@dataclass(frozen=True)
class Inventory:
    fields: tuple[DeclaredField, ...]
    exempt: tuple[FieldRef, ...]
    problems: tuple[str, ...]
    links: tuple[DeclaredLink, ...] = ()

    @property
    def covered(self) -> set[FieldRef]:
        return {f.ref for f in self.fields} | set(self.exempt)


def _hearth_apps() -> list[Any]:
    return [c for c in apps.get_app_configs() if c.name.startswith("hearth.")]


def load_inventory() -> Inventory:
    fields: list[DeclaredField] = []
    exempt: list[FieldRef] = []
    links: list[DeclaredLink] = []
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
                    on_hold=row.get("on_hold", ""),
                )
            )
        for i, row in enumerate(doc.get("exempt", [])):
            if set(row.keys()) != _EXEMPT_KEYS:
                problems.append(f"{where} [[exempt]] #{i + 1}: needs exactly {_EXEMPT_KEYS}")
                continue
            exempt.append(FieldRef(row["model"], row["field"]))
        for i, row in enumerate(doc.get("link", [])):
            missing = _LINK_KEYS - row.keys()
            unknown = row.keys() - _LINK_KEYS - _LINK_OPTIONAL
            if missing or unknown:
                problems.append(
                    f"{where} [[link]] #{i + 1}: missing {sorted(missing)}, "
                    f"unknown {sorted(unknown)}"
                )
                continue
            name = f"{row['model']}.{row['field']}"
            rets = taxonomy.retention_periods()
            retention = row.get("retention")
            wrong = link_problems(
                erasure=row["erasure"],
                target=row["to"],
                retention=retention,
                retention_keeps=(
                    rets[retention].on_erasure == "keep" if retention in rets else None
                ),
            )
            if wrong:
                problems.extend(f"{where} [[link]] {name}: {p}" for p in wrong)
                continue
            links.append(
                DeclaredLink(
                    app=config.label,
                    model=row["model"],
                    field=row["field"],
                    to=LinkTarget(row["to"]),
                    erasure=LinkErasure(row["erasure"]),
                    reason=row["reason"],
                    retention=retention,
                    type_field=row.get("type_field"),
                )
            )
    problems.extend(_entry_problems(fields))
    problems.extend(_link_entry_problems(links))
    return Inventory(tuple(fields), tuple(exempt), tuple(problems), tuple(links))


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
        if f.on_hold not in ("", "clear"):
            problems.append(f"{name}: on_hold must be 'clear' or absent, not {f.on_hold!r}")
        if f.subject is None and not f.subject_email and not f.subject_email_hash:
            problems.append(f"{name}: says neither subject, subject_email nor subject_email_hash")
    return problems


def declared_links() -> list[DeclaredLink]:
    """Every [[link]] entry every app declares."""
    return list(load_inventory().links)


def _link_entry_problems(links: list[DeclaredLink]) -> list[str]:
    problems: list[str] = []
    seen: set[tuple[FieldRef, str]] = set()
    found = {ref: target for ref, target in link_columns()}
    generic = set(generic_reference_columns())
    for link in links:
        name = f"{link.model}.{link.field}"
        if (link.ref, link.to) in seen:
            problems.append(f"{name} is declared twice as a link to a {link.to}")
        seen.add((link.ref, link.to))
        model = _model(link.model)
        if model is None:
            problems.append(f"{name}: no model {link.model!r}")
            continue
        if model._meta.app_label != link.app:
            problems.append(f"{name}: declared by {link.app!r}, not by the app that owns it")
        if link.ref in generic:
            if not link.type_field:
                problems.append(f"{name}: a generic reference needs type_field")
            else:
                try:
                    model._meta.get_field(link.type_field)
                except FieldDoesNotExist:
                    problems.append(f"{name}: the model has no type_field {link.type_field!r}")
            continue
        if link.type_field:
            problems.append(f"{name}: type_field only goes with a generic reference")
        if link.ref not in found:
            problems.append(f"{name}: not a column linking to a person (stale [[link]]?)")
            continue
        target = found[link.ref]
        if target is not None and target != link.to:
            problems.append(f"{name}: points to a {target}, declared as to = {link.to!r}")
        field = model._meta.get_field(link.field)
        if link.erasure == LinkErasure.CLEAR and not getattr(field, "null", False):
            problems.append(f"{name}: erasure = 'clear' needs a nullable column")
    return problems


def _points_to(field: Any) -> LinkTarget | None:
    if not field.is_relation or field.related_model is None:
        return None
    label = field.related_model._meta.label
    if label == settings.AUTH_USER_MODEL:
        return LinkTarget.USER
    if label == HOUSEHOLD_MODEL:
        return LinkTarget.HOUSEHOLD
    return None


def link_columns() -> list[tuple[FieldRef, LinkTarget | None]]:
    """Every column of a Hearth model that links a row to a person, with what it points to
    (None: a bare integer or text column whose name says so). Proxy models share their
    parent's table and are left to the parent."""
    found: list[tuple[FieldRef, LinkTarget | None]] = []
    for config in _hearth_apps():
        for model in config.get_models():
            if model._meta.proxy:
                continue
            for field in model._meta.get_fields():
                if not getattr(field, "concrete", False) or field.many_to_many:
                    continue
                target = _points_to(field)
                if links_to_person(column=field.column, points_to=target):
                    found.append((FieldRef(model._meta.label, field.name), target))
    return found


def generic_reference_columns() -> list[FieldRef]:
    """Every ``object_id`` column of a Hearth model that also names the object's model (such as
    the audit log's): it may hold a person's ID, so it needs a [[link]] with ``type_field``."""
    found: list[FieldRef] = []
    for config in _hearth_apps():
        for model in config.get_models():
            if model._meta.proxy:
                continue
            columns = [f.column for f in model._meta.concrete_fields]
            found.extend(
                FieldRef(model._meta.label, f.name)
                for f in model._meta.concrete_fields
                if is_generic_reference(f.column, columns)
            )
    return found


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
    messages.extend(
        checks.Error(
            f"{ref.model}.{ref.field} links rows to a person, but erasure is not told what to do.",
            hint=(
                f"Declare it in its app's data/{FILE_NAME} as [[link]] with model, field, to "
                "(user or household), erasure (delete, clear, keep with a retention, or eraser) "
                "and a reason."
            ),
            id="privacy.E003",
        )
        for ref in undeclared_link_columns()
    )
    messages.extend(
        checks.Error(
            f"{link.model}.{link.field}: erasure = 'eraser' but no app registers an eraser "
            f"for {link.model}.",
            id="privacy.E004",
        )
        for link in declared_links()
        if link.erasure == LinkErasure.ERASER and link.model not in _erased_by_apps()
    )
    return messages


def undeclared_link_columns() -> list[FieldRef]:
    """Link columns (see ``link_columns``) that no [[link]] entry covers."""
    declared = {link.ref for link in declared_links()}
    columns = [ref for ref, _target in link_columns()] + generic_reference_columns()
    return undeclared_links(columns, declared)


def _erased_by_apps() -> set[str]:
    return set().union(*(labels for _fn, labels in erasure.erasers()))


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
    email = subjects.proven_email(user)  # an unproven email finds nothing (PP-15)
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
