"""Reads: consent in force, policy versions in force, notices, the data request queue."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import connection, connections, router
from django.db.models import Field, Q

from hearth.privacy import crypto, rules, subjects, taxonomy
from hearth.privacy.models import (
    ConfidentialityIncident,
    ConsentRecord,
    DataRequest,
    DataRequestStatus,
    PolicyAcknowledgement,
    PolicyDocument,
    PolicyKind,
    Purpose,
)
from hearth.privacy.rules import ConsentState

# --- Policy versions (PP-21, TOS-1, TOS-25).

#: How long a worker process keeps the policy versions it read (every page asks for them: the
#: material-change notice). A version saved in this process is seen at once (the cache is
#: dropped on save and delete); one saved by another process within this many seconds. Versions
#: are effective-dated, so one published ahead of its date is never late.
POLICY_CACHE_SECONDS = 10.0
_documents_cache: tuple[float, tuple[PolicyDocument, ...]] | None = None


def forget_policy_documents(**_signal: Any) -> None:
    """Drop this process's cached policy versions (connected to PolicyDocument's save/delete)."""
    global _documents_cache
    _documents_cache = None


def _documents() -> tuple[PolicyDocument, ...]:
    """Every policy version, oldest first, without bodies: one query per process per
    :data:`POLICY_CACHE_SECONDS` instead of one per page (issue #12 item 2)."""
    global _documents_cache
    now = time.monotonic()
    cached = _documents_cache
    if cached is not None and now - cached[0] < POLICY_CACHE_SECONDS:
        return cached[1]
    documents = tuple(
        PolicyDocument.objects.defer("body", "body_fr").order_by("effective_at", "id")
    )
    _documents_cache = (now, documents)
    return documents


def version_in_force(kind: str, at: dt.datetime) -> PolicyDocument | None:
    """The version of ``kind`` in force at ``at`` (the latest one effective by then)."""
    found = None
    for doc in _documents():
        if doc.effective_at > at:
            break
        if doc.kind == kind:
            found = doc
    return found


def versions_in_force(at: dt.datetime) -> dict[str, PolicyDocument]:
    """{kind: version in force} for privacy, terms and eula (kinds without a version left out)."""
    out: dict[str, PolicyDocument] = {}
    for kind in PolicyKind.values:
        doc = version_in_force(kind, at)
        if doc is not None:
            out[kind] = doc
    return out


def version_keys_in_force(at: dt.datetime) -> dict[str, str]:
    """{kind: version key}: what an order or a consent records."""
    return {kind: doc.key for kind, doc in versions_in_force(at).items()}


def acknowledged_keys(user: Any) -> set[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return {
        f"{kind}-{version}"
        for kind, version in PolicyAcknowledgement.objects.filter(user=user).values_list(
            "document__kind", "document__version"
        )
    }


def material_notice_for(
    *, user: Any, acknowledged_versions: set[str], at: dt.datetime
) -> list[PolicyDocument]:
    """Per document, the latest material version effective by ``at`` that this visitor has not
    acknowledged (cookie or account), even when minor versions followed it (PP-21)."""
    seen = set(acknowledged_versions) | acknowledged_keys(user)
    by_kind: dict[str, list[PolicyDocument]] = {}
    for doc in _documents():
        if doc.effective_at > at:
            break
        by_kind.setdefault(doc.kind, []).append(doc)
    due: list[PolicyDocument] = []
    for kind in PolicyKind.values:
        history = by_kind.get(kind, [])
        key = rules.material_notice_due(
            [rules.DocumentVersion(d.key, d.material) for d in history], seen
        )
        due.extend(d for d in history if d.key == key)
    return due


def published_versions(kind: str, at: dt.datetime) -> list[PolicyDocument]:
    """Every version of ``kind`` already effective at ``at``, newest first (the public index)."""
    return list(
        PolicyDocument.objects.filter(kind=kind, effective_at__lte=at).order_by(
            "-effective_at", "-id"
        )
    )


def published_version(kind: str, version: str, at: dt.datetime) -> PolicyDocument | None:
    """One version of ``kind`` by its version number, if already effective at ``at``."""
    return PolicyDocument.objects.filter(kind=kind, version=version, effective_at__lte=at).first()


def pending_acknowledgements(*, user: Any, at: dt.datetime) -> list[PolicyDocument]:
    """What a signed-in customer must acknowledge at sign-in (redirect to privacy:acknowledge)."""
    return material_notice_for(user=user, acknowledged_versions=set(), at=at)


# --- Consent (PP-5, PP-8, PP-9).


def _subject_filter(user: Any, email: str | None, household_id: int | None) -> Q:
    condition = Q(pk__in=[])
    if user is not None:
        condition |= Q(user=user)
        if proven := subjects.proven_email(user):  # a guest's consent needs the email proven
            condition |= Q(email_hash=crypto.keyed_hash(proven))
    if email:
        condition |= Q(email_hash=crypto.keyed_hash(email))
    if household_id is not None:
        condition |= Q(household_id=household_id)
    return condition


def consent_history(
    *, user: Any = None, email: str | None = None, household_id: int | None = None
) -> list[ConsentRecord]:
    """Every ledger record about this person, email address or household, oldest first."""
    return list(
        ConsentRecord.objects.filter(_subject_filter(user, email, household_id)).order_by(
            "at", "id"
        )
    )


def _events(records: list[ConsentRecord], purpose: str) -> list[rules.ConsentEvent]:
    return [
        rules.ConsentEvent(
            at=r.at,
            granted=r.granted,
            kind=rules.Kind(r.kind),
            expires_at=r.expires_at,
            policy_version=r.policy_version,
        )
        for r in records
        if r.purpose == purpose
    ]


def current_consents(
    *,
    at: dt.datetime,
    user: Any = None,
    email: str | None = None,
    household_id: int | None = None,
) -> dict[str, ConsentState]:
    """{purpose: consent in force at ``at``} for every consent purpose, derived from the ledger."""
    records = [r for r in consent_history(user=user, email=email, household_id=household_id)]
    info = taxonomy.purposes()
    return {
        purpose: rules.consent_state(
            _events(records, purpose), at, implied_allowed=info[purpose].implied_allowed
        )
        for purpose in Purpose.values
    }


def may_contact(
    *,
    purpose: str,
    at: dt.datetime,
    user: Any = None,
    email: str | None = None,
    household_id: int | None = None,
) -> bool:
    """May we contact this person (or use this household's data) for ``purpose`` at ``at``?

    Every sender asks this first. Unknown purposes and nobody named answer False.
    """
    if purpose not in Purpose.values or (user is None and not email and household_id is None):
        return False
    states = current_consents(at=at, user=user, email=email, household_id=household_id)
    return states[purpose].granted


def _aware(value: Any) -> dt.datetime | None:
    """A timestamp column as an aware datetime (SQLite: naive UTC or ISO text)."""
    if value is None:
        return None
    parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    # Stored in UTC (USE_TZ): SQLite hands it back naive.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _ledger_rows(purpose: str) -> Iterator[tuple[Any, ...]]:
    """(id, user_id, email_hash, granted, kind, expires_at, at) of every record of
    ``purpose`` in recording order: one query, read off the ORM (its per-value converters cost
    more than the whole derivation at 100,000 people; DESIGN.md "Hot paths")."""
    table = connection.ops.quote_name(ConsentRecord._meta.db_table)
    # SQLite: read the timestamps as text (its driver's datetime converter is a Python regex).
    text = connection.vendor == "sqlite"
    stamp = "CAST({} AS TEXT)" if text else "{}"
    sql = (
        f"SELECT id, user_id, email_hash, granted, kind, {stamp.format('expires_at')}, "  # noqa: S608
        f"{stamp.format('at')} FROM {table} WHERE purpose = %s ORDER BY at, id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [purpose])
        while rows := cursor.fetchmany(20_000):
            for pk, user_id, email_hash, granted, kind, expires_at, at in rows:
                yield pk, user_id, email_hash, granted, kind, _aware(expires_at), _aware(at)


class Person(NamedTuple):
    """One person to ask about in bulk: ``user_id`` (None for a guest) and the keyed hash of the
    email address that counts for them: a guest's address, or an account's only when proven
    (``subjects.email_proven``), exactly as :func:`may_contact` reads it."""

    key: Any
    user_id: int | None
    email_hash: str


class BulkConsent(NamedTuple):
    state: ConsentState
    ever_granted: bool  # some grant was recorded (tells an expired consent from none at all)


def consents_in_bulk(
    *, purpose: str, at: dt.datetime, people: Iterable[Person]
) -> dict[Any, BulkConsent]:
    """:func:`may_contact` for many people at once: one pass over the ledger's records of
    ``purpose`` (one query, no query per person), the same derivation (``rules.consent_state``).
    A campaign's audience of 100,000 customers is decided this way."""
    by_user: dict[int, list[tuple[dt.datetime, int, rules.ConsentEvent]]] = {}
    by_hash: dict[str, list[tuple[dt.datetime, int, rules.ConsentEvent]]] = {}
    kinds = {k.value: k for k in rules.Kind}
    for pk, user_id, email_hash, granted, kind, expires_at, when in _ledger_rows(purpose):
        item = (when, pk, rules.ConsentEvent(when, bool(granted), kinds[kind], expires_at))
        if user_id is not None:
            by_user.setdefault(user_id, []).append(item)
        if email_hash:
            by_hash.setdefault(email_hash, []).append(item)
    implied = taxonomy.purposes()[purpose].implied_allowed
    out: dict[Any, BulkConsent] = {}
    nothing = BulkConsent(rules.NO_CONSENT, False)
    for person in people:
        mine = by_user.get(person.user_id) if person.user_id is not None else None
        theirs = by_hash.get(person.email_hash) if person.email_hash else None
        if mine and theirs:
            merged = {item[1]: item for item in (*mine, *theirs)}
            items = sorted(merged.values(), key=lambda item: (item[0], item[1]))
        else:
            items = mine or theirs or []
        if not items:
            out[person.key] = nothing
            continue
        events = [item[2] for item in items]
        out[person.key] = BulkConsent(
            rules.consent_state(events, at, implied_allowed=implied),
            any(event.granted for event in events),
        )
    return out


def household_consent(
    *, purpose: str, at: dt.datetime, household_id: int, user: Any = None, email: str | None = None
) -> ConsentState:
    """Consent in force for one household's data: its own records, plus the person-level
    records (no household named) of its owner's account and email. Another household's records
    of the same owner do not count: a tier is chosen per household, a My Stuff choice for all.

    Asked on every telemetry batch (issue #12 item 5): one plain SELECT of the five columns the
    derivation reads, no queryset to compile, no model instances, no email decrypted."""
    user_id = getattr(user, "pk", None) if user is not None else None
    hashes = []
    if user is not None and (proven := subjects.proven_email(user)):
        hashes.append(crypto.keyed_hash(proven))
    if email:
        hashes.append(crypto.keyed_hash(email))
    implied = taxonomy.purposes()[purpose].implied_allowed
    return rules.consent_state(
        _household_consent_events(purpose, household_id, user_id, hashes),
        at,
        implied_allowed=implied,
    )


def _household_consent_events(
    purpose: str, household_id: int, user_id: Any, email_hashes: list[str]
) -> list[rules.ConsentEvent]:
    """The ledger records ``household_consent`` derives from, oldest first (the same rows as
    ``ConsentRecord.objects.filter(Q(household_id=...) | Q(household_id=None) & person)``)."""
    person = []
    params: list[Any] = [purpose, household_id]
    if user_id is not None:
        person.append(f"{_CR_USER} = %s")
        params.append(user_id)
    if email_hashes:
        person.append(f"{_CR_EMAIL_HASH} IN ({', '.join(['%s'] * len(email_hashes))})")
        params.extend(email_hashes)
    either = f" OR ({_CR_HOUSEHOLD} IS NULL AND ({' OR '.join(person)}))" if person else ""
    sql = (
        f"SELECT {_CR_AT}, {_CR_GRANTED}, {_CR_KIND}, {_CR_EXPIRES}, {_CR_POLICY} "  # noqa: S608
        f"FROM {_CR_TABLE} WHERE {_CR_PURPOSE} = %s AND ({_CR_HOUSEHOLD} = %s{either}) "
        f"ORDER BY {_CR_AT}, {_CR_ID}"
    )
    with connections[router.db_for_read(ConsentRecord)].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        rules.ConsentEvent(
            at=_aware(when),  # type: ignore[arg-type]  # a NOT NULL column
            granted=bool(granted),
            kind=rules.Kind(kind),
            expires_at=_aware(expires_at),
            policy_version=policy_version,
        )
        for when, granted, kind, expires_at, policy_version in rows
    ]


def _column(name: str) -> str:
    field = ConsentRecord._meta.get_field(name)
    assert isinstance(field, Field) and field.column  # noqa: S101 (a concrete model column)
    return f'"{field.column}"'  # the same quoting on SQLite and PostgreSQL


_CR_TABLE = ConsentRecord._meta.db_table
_CR_AT, _CR_GRANTED, _CR_KIND, _CR_EXPIRES, _CR_POLICY = (
    _column(n) for n in ("at", "granted", "kind", "expires_at", "policy_version")
)
_CR_PURPOSE, _CR_HOUSEHOLD, _CR_USER, _CR_EMAIL_HASH, _CR_ID = (
    _column(n) for n in ("purpose", "household_id", "user", "email_hash", "id")
)


# --- Data requests (the privacy officer's queue).


@dataclass(frozen=True)
class QueueRow:
    request: DataRequest
    days_left: int
    overdue: bool


def data_request_queue(*, at: dt.datetime) -> list[QueueRow]:
    """Open and extended requests, nearest deadline first."""
    today = at.date()
    rows = DataRequest.objects.filter(
        status__in=[DataRequestStatus.OPEN, DataRequestStatus.EXTENDED]
    ).order_by("deadline", "id")
    return [QueueRow(r, (r.deadline - today).days, r.deadline < today) for r in rows]


def data_requests_for(user: Any) -> list[DataRequest]:
    return list(DataRequest.objects.filter(user=user).order_by("-received_at", "-id"))


# --- Confidentiality incident register.

INCIDENT_CSV_COLUMNS = (
    "id",
    "reference",
    "corrects",
    "corrected_by",
    "recorded_at",
    "discovered_on",
    "occurred_on",
    "occurred_until",
    "people_affected",
    "information_concerned",
    "circumstances",
    "risk_assessment",
    "serious_injury_risk",
    "commission_notified_on",
    "persons_notified_on",
    "notifications",
    "measures",
    "keep_until",
)


def incident_register() -> list[ConfidentialityIncident]:
    """Every entry of the register, corrections included, oldest first."""
    return list(
        ConfidentialityIncident.objects.order_by("recorded_at", "id").prefetch_related(
            "corrections"
        )
    )


def incident_register_csv() -> str:
    """The whole register as CSV for a regulator: one row per entry (corrections are rows that
    name the entry they correct), machine column names, ISO dates."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(INCIDENT_CSV_COLUMNS)
    for entry in incident_register():
        corrected_by = [c.pk for c in entry.corrections.all()]
        links: dict[str, Any] = {
            "id": entry.pk,
            "corrects": entry.corrects_id,
            "corrected_by": corrected_by[0] if corrected_by else None,
        }
        writer.writerow(
            [
                _cell(links[name] if name in links else getattr(entry, name))
                for name in INCIDENT_CSV_COLUMNS
            ]
        )
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return rules.csv_cell(str(value))
