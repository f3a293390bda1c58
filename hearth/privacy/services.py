"""Writes: consent ledger, policy acknowledgements, data requests and erasure, disclosures to
processors, access audit, retention purge, and loading the demo policies. Each is one
transaction; emails go out on commit."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from hearth.comms.services import queue_email
from hearth.core import audit, clock
from hearth.core.audit import Actor, AuditAction
from hearth.core.errors import DomainError
from hearth.core.languages import choose_language
from hearth.privacy import (
    erasure,
    inventory,
    listeners,
    reach,
    rules,
    selectors,
    subjects,
    taxonomy,
)
from hearth.privacy.crypto import keyed_hash
from hearth.privacy.errors import PrivacyErrorCode
from hearth.privacy.models import (
    ConfidentialityIncident,
    ConsentKind,
    ConsentRecord,
    DataRequest,
    DataRequestKind,
    DataRequestStatus,
    Disclosure,
    DisclosureKind,
    PolicyAcknowledgement,
    PolicyDocument,
    Processor,
    Purpose,
    RetentionHold,
)

# --- Consent ledger (PP-5, PP-8, PP-9, TOS-25).


def record_consent(
    *,
    purpose: str,
    granted: bool,
    kind: str,
    source: str,
    at: dt.datetime,
    user: Any = None,
    email: str | None = None,
    household_id: int | None = None,
    evidence: str = "",
    implied_from: str | None = None,
    actor: Actor | None = None,
) -> ConsentRecord:
    """Append one grant or withdrawal, with the privacy policy version in force at ``at``."""
    if purpose not in Purpose.values:
        raise DomainError(
            PrivacyErrorCode.UNKNOWN_PURPOSE, _("Unknown consent purpose."), field="purpose"
        )
    if kind not in ConsentKind.values:
        raise DomainError(
            PrivacyErrorCode.UNKNOWN_PURPOSE, _("Unknown consent kind."), field="kind"
        )
    if user is None and not email and household_id is None:
        raise DomainError(PrivacyErrorCode.NO_SUBJECT, _("Say whose consent this is."))
    expires_at = None
    if granted and kind == ConsentKind.IMPLIED:
        if implied_from not in rules.IMPLIED_CONSENT_MONTHS:
            raise DomainError(
                PrivacyErrorCode.IMPLIED_NEEDS_SOURCE,
                _("Implied consent needs its source: a purchase or an enquiry."),
                field="implied_from",
            )
        if not taxonomy.purposes()[purpose].implied_allowed:
            raise DomainError(
                PrivacyErrorCode.IMPLIED_NOT_ALLOWED,
                _("This purpose needs an express opt-in."),
                field="kind",
            )
        expires_at = rules.implied_expiry(at, implied_from)
    policy = selectors.version_in_force("privacy", at)
    # The record and its audit row together, without a savepoint inside a caller's transaction
    # (placing records consents in its own): no caller recovers from an error here inside it.
    with transaction.atomic(savepoint=False):
        record = ConsentRecord.objects.create(
            user=user,
            email=(email or "").strip().lower(),
            household_id=household_id,
            purpose=purpose,
            granted=granted,
            kind=kind,
            implied_from=implied_from or "",
            expires_at=expires_at,
            source=source[:200],
            policy_version=policy.key if policy else "",
            at=at,
            evidence=evidence,
            actor_id=audit.user_pk(actor),
        )
        audit.record(
            actor=actor,
            action=AuditAction.CREATED,
            obj=record,
            fields=["purpose", "granted", "kind", *(["email"] if email else [])],
        )
        listeners.notify(record, actor=actor)  # e.g. a household's tier follows the ledger
    return record


def record_implied_consent(
    *,
    implied_from: str,
    source: str,
    at: dt.datetime,
    user: Any = None,
    email: str | None = None,
    evidence: str = "",
    actor: Actor | None = None,
) -> list[ConsentRecord]:
    """CASL implied consent arising from a purchase (2 years) or an enquiry (6 months): one
    implied grant for each purpose that allows implied consent (marketing email today).

    Written whenever the relationship arises; whether it counts is the ledger's derivation
    (``rules.consent_state``): it never overrides a withdrawal or an opt-out, nor lowers an
    express grant. Purchases call this from order placing, data requests on opening; the care
    app's support form is to call it with ``implied_from="enquiry"``."""
    if implied_from not in rules.IMPLIED_CONSENT_MONTHS:
        raise DomainError(
            PrivacyErrorCode.IMPLIED_NEEDS_SOURCE,
            _("Implied consent needs its source: a purchase or an enquiry."),
            field="implied_from",
        )
    if user is None and not email:
        return []  # nobody to contact: nothing is implied
    info = taxonomy.purposes()
    return [
        record_consent(
            purpose=purpose,
            granted=True,
            kind=ConsentKind.IMPLIED,
            implied_from=implied_from,
            source=source,
            at=at,
            user=user,
            email=email,
            evidence=evidence,
            actor=actor,
        )
        for purpose in Purpose.values
        if info[purpose].implied_allowed
    ]


def withdraw_all_consents(
    *,
    at: dt.datetime,
    source: str,
    user: Any = None,
    email: str | None = None,
    actor: Actor | None = None,
) -> list[ConsentRecord]:
    """Append a withdrawal for every purpose currently granted (unsubscribe-all, erasure)."""
    states = selectors.current_consents(at=at, user=user, email=email)
    return [
        record_consent(
            purpose=purpose,
            granted=False,
            kind=ConsentKind.EXPRESS,
            source=source,
            at=at,
            user=user,
            email=email,
            actor=actor,
        )
        for purpose, state in states.items()
        if state.granted
    ]


# --- Policy acknowledgements (PP-21).


def acknowledge_policy(
    *, user: Any, document: PolicyDocument, at: dt.datetime
) -> PolicyAcknowledgement:
    ack, created = PolicyAcknowledgement.objects.get_or_create(
        user=user, document=document, defaults={"at": at}
    )
    if created:
        audit.record(actor=user, action=AuditAction.CREATED, obj=ack, fields=["document"])
    return ack


def accept_policies_at_sign_up(*, user: Any, at: dt.datetime) -> list[PolicyAcknowledgement]:
    """A new account accepts the versions in force, which the sign-up form names and links (PP-21):
    each kind's version in force, and the material version whose notice is due then (its change
    is in the text in force), so the material notice is never shown to this customer for them."""
    documents = {doc.pk: doc for doc in selectors.versions_in_force(at).values()}
    for doc in selectors.material_notice_for(user=None, acknowledged_versions=set(), at=at):
        documents.setdefault(doc.pk, doc)
    return [acknowledge_policy(user=user, document=doc, at=at) for doc in documents.values()]


# --- Emails (queued in the transaction, sent after it by comms; in the customer's language).


def _send_on_commit(*, to: str, template: str, context: dict[str, Any], reader: Any = None) -> None:
    """Queue the email in comms' outbound queue: sent once after the commit, retried if the mail
    server is down; once sent it keeps neither the address nor the content (the links in these
    emails are one-time, and some go to a person being erased). Written in the ``reader``'s
    stored language (the account's), else the page's (issue #16)."""
    brand = settings.HEARTH_BRAND
    language = choose_language(getattr(reader, "language", ""), translation.get_language())
    with translation.override(language):
        body = render_to_string(f"privacy/email/{template}.txt", {**context, "brand": brand})
    subject, _sep, text = body.partition("\n")
    queue_email(
        key=f"privacy:{template}:{uuid4().hex}",
        to=[to],
        subject=subject.strip(),
        body=text.lstrip(),
        at=clock.now(),
        forget_once_sent=True,
        language=language,
    )


# --- Data requests (PIPEDA principle 4.9; Law 25 s.27-32).


def open_data_request(
    *,
    user: Any,
    kind: str,
    at: dt.datetime,
    actor: Actor | None = None,
    details: str = "",
    email: str = "",
) -> DataRequest:
    """Record a request and confirm it by email; its deadline is 30 days from receipt.

    ``user`` is the account, or None for a person without one, who is then known by the
    confirmed ``email`` (kept encrypted, with a keyed hash for lookups)."""
    if kind not in DataRequestKind.values:
        raise DomainError(PrivacyErrorCode.UNKNOWN_FIELD, _("Unknown request kind."), field="kind")
    requester = "" if user is not None else email.strip().lower()
    with transaction.atomic():
        request = DataRequest.objects.create(
            user=user,
            requester_email=requester,
            requester_email_hash=keyed_hash(requester) if requester else "",
            kind=kind,
            received_at=at,
            deadline=rules.request_deadline(at.date(), extended=False),
            request_text=details,
        )
        audit.record(
            actor=actor if actor is not None else user,
            action=AuditAction.CREATED,
            obj=request,
            fields=["kind", "user" if user is not None else "requester_email", "request_text"],
        )
        if kind != DataRequestKind.ERASURE:  # asking for erasure implies no wish for news
            record_implied_consent(
                implied_from=rules.ImpliedFrom.ENQUIRY,
                source=f"data request ({kind})",
                at=at,
                user=user,
                email=requester or None,
                evidence=f"data request #{request.pk} received",
                actor=actor,
            )
        to = getattr(user, "email", "") or requester
        if to:
            _send_on_commit(
                reader=user, to=to, template="request_received", context={"request": request}
            )
    return request


# A request made by email address alone is confirmed through a signed link (proof that the
# person holds the mailbox). The page's answer is the same whether or not an account exists.
REQUEST_LINK_SALT = "hearth.privacy.data-request"
REQUEST_LINK_MAX_AGE = dt.timedelta(days=3)


def ask_data_request(
    *, email: str, kind: str, details: str, confirm_url: Callable[[str], str]
) -> None:
    """Email a link that opens the request once followed; nothing is recorded before that."""
    if kind not in DataRequestKind.values:
        raise DomainError(PrivacyErrorCode.UNKNOWN_FIELD, _("Unknown request kind."), field="kind")
    address = email.strip().lower()
    token = signing.dumps({"email": address, "kind": kind, "note": details}, salt=REQUEST_LINK_SALT)
    _send_on_commit(
        # The account holding the address, if any, reads its own language (the page's answer
        # is the same either way).
        reader=get_user_model().objects.filter(email=address).only("language").first(),
        to=address,
        template="request_confirm",
        context={
            "kind": DataRequestKind(kind).label,
            "url": confirm_url(token),
            "days": REQUEST_LINK_MAX_AGE.days,
        },
    )


def confirm_data_request(*, token: str, at: dt.datetime) -> DataRequest:
    """Open the request a signed link describes (once: a second click finds the first request)."""
    try:
        data = signing.loads(token, salt=REQUEST_LINK_SALT, max_age=REQUEST_LINK_MAX_AGE)
    except signing.BadSignature:
        raise DomainError(
            PrivacyErrorCode.BAD_LINK,
            _("This link is not valid or has expired. Please make the request again."),
            status=400,
        ) from None
    email, kind, details = data["email"], data["kind"], data["note"]
    # Only an account whose email is proven takes the request; otherwise it stays the
    # requester's own, by email (PP-15: nothing is linked to an unproven account).
    user = subjects.account_with_proven_email(email)
    earlier = DataRequest.objects.filter(
        kind=kind, request_text=details, received_at__gte=at - REQUEST_LINK_MAX_AGE
    )
    earlier = (
        earlier.filter(user=user)
        if user
        else earlier.filter(requester_email_hash=keyed_hash(email))
    )
    existing = earlier.first()
    if existing is not None:
        return existing
    return open_data_request(user=user, kind=kind, at=at, details=details, email=email)


def annotate_data_request(*, request: DataRequest, note: str, actor: Actor | None) -> DataRequest:
    """The privacy officer's note on a request; what the person wrote stays as they wrote it."""
    with transaction.atomic():
        request = DataRequest.objects.select_for_update().get(pk=request.pk)
        if request.note == note:
            return request
        request.note = note
        request.save(update_fields=["note"])
        audit.record(actor=actor, action=AuditAction.CHANGED, obj=request, fields=["note"])
    return request


@transaction.atomic
def link_data_requests(user: Any, email: str, at: dt.datetime) -> int:
    """Requests made by this email without an account become the account's once the account
    holder proved the email (``subjects.link_proven_email``); the holder is each link's actor."""
    linked = list(
        DataRequest.objects.select_for_update()
        .filter(user__isnull=True, requester_email_hash=keyed_hash(email.strip().lower()))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    DataRequest.objects.filter(pk__in=linked).update(user=user)
    for request_id in linked:
        audit.record(
            actor=user,
            action=AuditAction.CHANGED,
            obj=audit.ObjectRef(label=DataRequest._meta.label, pk=str(request_id)),
            fields=["user"],
        )
    return len(linked)


def extend_data_request(
    *, request: DataRequest, reason: str, at: dt.datetime, actor: Actor | None
) -> DataRequest:
    """The one 30-day extension, with its reason; the person is told by email."""
    with transaction.atomic():
        request = DataRequest.objects.select_for_update().get(pk=request.pk)
        if request.status not in (DataRequestStatus.OPEN, DataRequestStatus.EXTENDED):
            raise DomainError(PrivacyErrorCode.REQUEST_CLOSED, _("This request is closed."))
        if not rules.may_extend(
            already_extended=request.extended_at is not None,
            today=at.date(),
            deadline=request.deadline,
        ):
            raise DomainError(
                PrivacyErrorCode.ALREADY_EXTENDED,
                _("A request can be extended once, before its deadline."),
            )
        request.extended_at = at
        request.extension_reason = reason
        request.status = DataRequestStatus.EXTENDED
        request.deadline = rules.request_deadline(request.received_at.date(), extended=True)
        request.save()
        audit.record(
            actor=actor,
            action=AuditAction.STATE_CHANGED,
            obj=request,
            fields=["status", "deadline", "extended_at", "extension_reason"],
        )
        if request.user is not None and request.user.email:
            _send_on_commit(
                reader=request.user,
                to=request.user.email,
                template="request_extended",
                context={"request": request},
            )
    return request


def close_data_request(
    *, request: DataRequest, status: str, outcome: str, at: dt.datetime, actor: Actor | None
) -> DataRequest:
    if status not in (DataRequestStatus.COMPLETED, DataRequestStatus.REFUSED):
        raise DomainError(PrivacyErrorCode.UNKNOWN_FIELD, _("Close as completed or refused."))
    with transaction.atomic():
        request = DataRequest.objects.select_for_update().get(pk=request.pk)
        if request.closed_at is not None:
            raise DomainError(PrivacyErrorCode.REQUEST_CLOSED, _("This request is closed."))
        request.status, request.outcome, request.closed_at = status, outcome, at
        request.save()
        audit.record(
            actor=actor,
            action=AuditAction.STATE_CHANGED,
            obj=request,
            fields=["status", "outcome", "closed_at"],
        )
    return request


# --- Disclosures to processors (PP-7).


def _processor(key: str | Processor) -> Processor:
    if isinstance(key, Processor):
        return key
    try:
        return Processor.objects.get(key=key)
    except Processor.DoesNotExist:
        info = taxonomy.processors().get(key)
        if info is None:
            raise DomainError(
                PrivacyErrorCode.UNKNOWN_PROCESSOR, _("Unknown processor."), field="processor"
            ) from None
        return Processor.objects.create(
            key=info.key,
            name=info.name,
            purpose=info.purpose,
            categories=list(info.categories),
            location=info.location,
        )


def record_disclosure(
    *,
    processor: str | Processor,
    subject: Any,
    kind: str,
    what: str,
    why: str,
    at: dt.datetime,
    actor: Actor | None = None,
    data_request: DataRequest | None = None,
) -> Disclosure:
    """One hand-over to a processor (or a correction/erasure passed on to it), on record."""
    disclosure = Disclosure.objects.create(
        processor=_processor(processor),
        subject=subject,
        kind=kind,
        what=what,
        why=why,
        at=at,
        actor_id=audit.user_pk(actor),
        data_request=data_request,
    )
    audit.record(
        actor=actor,
        action=AuditAction.CREATED,
        obj=disclosure,
        fields=["processor", "subject", "kind", "what"],
    )
    return disclosure


def _pass_on(
    *,
    specs: Iterable[inventory.DeclaredField],
    subject: Any,
    kind: str,
    why: str,
    at: dt.datetime,
    actor: Actor | None,
    data_request: DataRequest | None,
) -> list[Disclosure]:
    what_by_processor: dict[str, list[str]] = {}
    for spec in specs:
        for key in spec.processors:
            what_by_processor.setdefault(key, []).append(f"{spec.model}.{spec.field}")
    return [
        record_disclosure(
            processor=key,
            subject=subject,
            kind=kind,
            what=", ".join(sorted(set(fields))),
            why=why,
            at=at,
            actor=actor,
            data_request=data_request,
        )
        for key, fields in sorted(what_by_processor.items())
    ]


def notify_processors_of_correction(
    *,
    user: Any,
    fields: Iterable[str],
    at: dt.datetime,
    actor: Actor | None = None,
    data_request: DataRequest | None = None,
) -> list[Disclosure]:
    """Pass a correction on to every processor that holds the corrected fields.

    ``fields``: "app_label.Model.field" names (e.g. "accounts.Address.phone"), from the inventory.
    """
    wanted = set(fields)
    specs = [s for s in inventory.declared_fields() if f"{s.model}.{s.field}" in wanted]
    unknown = wanted - {f"{s.model}.{s.field}" for s in specs}
    if unknown:
        raise DomainError(
            PrivacyErrorCode.UNKNOWN_FIELD,
            _("Not an inventory field: %(f)s") % {"f": ", ".join(sorted(unknown))},
        )
    with transaction.atomic():
        return _pass_on(
            specs=specs,
            subject=user,
            kind=DisclosureKind.CORRECTION,
            why=_("The customer corrected this information."),
            at=at,
            actor=actor,
            data_request=data_request,
        )


# --- Erasure (PP-15) and retention.


@dataclass
class ErasureOutcome:
    erased: bool
    request: DataRequest
    blockers: list[rules.Blocker] = field(default_factory=list)
    available_on: dt.date | None = None
    erased_items: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    disclosures: list[Disclosure] = field(default_factory=list)


def _generic_erase(
    user: Any, at: dt.datetime, handled: set[str], request: DataRequest
) -> erasure.EraserReport:
    """Models no app erases itself: rows whose fields may all go are deleted; the rest held."""
    from django.apps import apps
    from django.contrib.auth import get_user_model

    report = erasure.EraserReport()
    user_label = get_user_model()._meta.label
    periods = taxonomy.retention_periods()
    by_model: dict[str, list[inventory.DeclaredField]] = {}
    for spec in inventory.declared_fields():
        by_model.setdefault(spec.model, []).append(spec)
    exported = inventory.export_subject(user)
    for label, specs in sorted(by_model.items()):
        if label in handled or label == user_label:
            continue
        app_label, _dot, name = label.partition(".")
        rows = exported.get(app_label, {}).get(name, [])
        if not rows:
            continue
        model = apps.get_model(label)
        keeping = [periods[s.retention] for s in specs if periods[s.retention].on_erasure == "keep"]
        pks = [row["id"] for row in rows]
        if not keeping:
            models.QuerySet.delete(model._base_manager.filter(pk__in=pks))
            report.erased.extend(f"{label}#{pk}" for pk in pks)
            continue
        longest = max(keeping, key=lambda r: r.keep_years)
        report.kept.extend(erasure.Kept(label, pk, longest.key, at) for pk in pks)
        _minimise(model, pks, [s.field for s in specs if s.on_hold == "clear"])
    return report


def _minimise(model: type[models.Model], pks: list[Any], field_names: list[str]) -> None:
    """Empty the fields a held row does not need for the duty that keeps it (``on_hold``)."""
    if not field_names:
        return
    rows = model._base_manager.filter(pk__in=pks)
    for obj in rows:
        for name in field_names:
            field = model._meta.get_field(name)
            setattr(obj, name, None if getattr(field, "null", False) else "")
        obj.save(update_fields=field_names)


def _hold(reports: list[erasure.EraserReport], request: DataRequest) -> list[str]:
    """Record one retention hold per kept row (the longest duty wins when several keep it)."""
    periods = taxonomy.retention_periods()
    longest: dict[tuple[str, str], erasure.Kept] = {}
    for report in reports:
        for kept in report.kept:
            key = (kept.model, str(kept.pk))
            held = longest.get(key)
            if (
                held is None
                or periods[kept.retention].keep_years > periods[held.retention].keep_years
            ):
                longest[key] = kept
    for (model, pk), kept in longest.items():
        RetentionHold.objects.update_or_create(
            model=model,
            object_pk=pk,
            defaults={
                "retention": kept.retention,
                "purge_after": rules.purge_after(kept.since, periods[kept.retention].keep_years),
                "data_request": request,
            },
        )
    return [f"{model}#{pk}" for model, pk in longest]


def request_erasure(*, user: Any, at: dt.datetime, actor: Actor | None = None) -> ErasureOutcome:
    """Erase what no legal duty keeps, hold the rest for the retention task, tell the processors
    that hold the data, record the request and confirm it by email.

    Refused (nothing erased; the request recorded as refused) while a registered blocker objects:
    the outcome carries the reasons and the first day it can be done.
    """
    email = getattr(user, "email", "")
    # Sessions holding the email are the person's only if the email is proven (PP-15); read
    # before the account's eraser replaces the email.
    proven = subjects.proven_email(user)
    found = [b for fn in erasure.blockers() for b in fn(user, at)]
    with transaction.atomic():
        request = DataRequest.objects.create(
            user=user,
            kind=DataRequestKind.ERASURE,
            received_at=at,
            deadline=rules.request_deadline(at.date(), extended=False),
        )
        if found:
            available_on = rules.erasure_available_on(found)
            request.status = DataRequestStatus.REFUSED
            request.outcome = "\n".join(b.reason for b in found)
            request.available_on = available_on
            request.closed_at = at
            request.save()
            if email:
                _send_on_commit(
                    reader=user,
                    to=email,
                    template="erasure_refused",
                    context={"request": request, "blockers": found, "available_on": available_on},
                )
            return ErasureOutcome(False, request, found, available_on)

        held_specs = inventory.fields_held(user)
        households = reach.household_ids(user)
        withdraw_all_consents(at=at, source="erasure request", user=user, actor=actor)
        # Before the links are handled, so this row's own link to the person is held with them.
        audit.record(actor=actor, action=AuditAction.ERASED, obj=user)
        # The inventory-driven erasure runs first, while the user row still carries the email
        # that finds their rows elsewhere (e.g. the outbox); the apps' own erasers (which may
        # anonymise the user row itself) run after it.
        registered = erasure.erasers()
        handled: set[str] = set().union(*(labels for _fn, labels in registered))
        reports: list[erasure.EraserReport] = [_generic_erase(user, at, handled, request)]
        reports.extend(fn(user, at) for fn, _labels in registered)
        disclosures = _pass_on(
            specs=held_specs,
            subject=user,
            kind=DisclosureKind.ERASURE,
            why=_("The customer asked for erasure."),
            at=at,
            actor=actor,
            data_request=request,
        )
        # Last, every column declared as linking to the person ([[link]]): this also holds the
        # records this request itself wrote (the request, the withdrawals, the disclosures).
        reports.append(reach.erase_links(user_pk=user.pk, household_ids=households, at=at))
        reports.append(reach.erase_sessions(user_pk=user.pk, email=proven))
        reports.append(reach.hold_admin_history(user_pk=user.pk, household_ids=households, at=at))
        kept_labels = _hold(reports, request)
        erased_items = list(dict.fromkeys(item for r in reports for item in r.erased))
        request.status = DataRequestStatus.COMPLETED
        request.closed_at = at
        request.outcome = _("Erased: %(erased)d records. Kept by law: %(kept)d records.") % {
            "erased": len(erased_items),
            "kept": len(kept_labels),
        }
        request.save()
        if email:
            _send_on_commit(
                reader=user,
                to=email,
                template="erasure_done",
                context={"request": request, "erased": erased_items, "kept": kept_labels},
            )
    return ErasureOutcome(True, request, [], None, erased_items, kept_labels, disclosures)


def purge_due_holds(*, at: dt.datetime) -> int:
    """The retention task: purge every held record whose legal keeping time is over."""
    from django.apps import apps

    count = 0
    for hold in RetentionHold.objects.filter(purged_at=None, purge_after__lte=at):
        with transaction.atomic():
            purger = erasure.purger_for(hold.model)
            if purger is not None:
                purger(hold.object_pk)
            else:
                model = apps.get_model(hold.model)
                models.QuerySet.delete(model._base_manager.filter(pk=hold.object_pk))
            hold.purged_at = at
            hold.save(update_fields=["purged_at"])
            count += 1
    return count


# --- Demo policies and the processor registry, from data files (idempotent).


def load_policies() -> tuple[int, int]:
    """Create or update the policy versions and processors the data files describe.

    Returns (policy versions written, processors written).
    """
    index = taxonomy.DATA_DIR / "policies" / "policies.toml"
    with index.open("rb") as fh:
        documents = tomllib.load(fh)["document"]
    written = 0
    with transaction.atomic():
        for doc in documents:
            folder = index.parent
            fields = {
                "effective_at": dt.datetime.fromisoformat(doc["effective_at"]),
                "last_updated": dt.date.fromisoformat(doc["last_updated"]),
                "material": bool(doc["material"]),
                "title": doc["title"],
                "title_fr": doc["title_fr"],
                "body": (folder / doc["body"]).read_text(encoding="utf-8"),
                "body_fr": (folder / doc["body_fr"]).read_text(encoding="utf-8"),
                "summary": doc.get("summary", ""),
                "summary_fr": doc.get("summary_fr", ""),
            }
            PolicyDocument.objects.update_or_create(
                kind=doc["kind"], version=doc["version"], defaults=fields
            )
            written += 1
        for info in taxonomy.processors().values():
            Processor.objects.update_or_create(
                key=info.key,
                defaults={
                    "name": info.name,
                    "purpose": info.purpose,
                    "categories": list(info.categories),
                    "location": info.location,
                },
            )
    return written, len(taxonomy.processors())


# --- Confidentiality incident register (Law 25 s.3.8; regulation s.7). Append-only.

INCIDENT_FACTS = (
    "information_concerned",
    "circumstances",
    "occurred_on",
    "occurred_until",
    "discovered_on",
    "people_affected",
    "risk_assessment",
    "serious_injury_risk",
    "commission_notified_on",
    "persons_notified_on",
    "notifications",
    "measures",
)


def record_incident(
    *, reference: str, facts: dict[str, Any], at: dt.datetime, actor: Actor | None
) -> ConfidentialityIncident:
    """A new incident in the register (``facts``: the fields of ``INCIDENT_FACTS``)."""
    with transaction.atomic():
        if ConfidentialityIncident.objects.filter(reference=reference).exists():
            raise DomainError(
                PrivacyErrorCode.INCIDENT_REFERENCE_TAKEN,
                _("An incident with this reference is already in the register."),
                field="reference",
            )
        entry = ConfidentialityIncident(reference=reference, recorded_at=at, **_facts(facts))
        entry.save()
        audit.record(
            actor=actor, action=AuditAction.CREATED, obj=entry, fields=["reference", *facts]
        )
    return entry


def correct_incident(
    *,
    incident: ConfidentialityIncident,
    facts: dict[str, Any],
    at: dt.datetime,
    actor: Actor | None,
) -> ConfidentialityIncident:
    """A correction: a new entry restating the incident, pointing at the latest entry. Nothing
    already in the register changes; the audit row names the facts that differ."""
    with transaction.atomic():
        latest = ConfidentialityIncident.objects.select_for_update().get(pk=incident.pk)
        if latest.corrections.exists():
            raise DomainError(
                PrivacyErrorCode.INCIDENT_ALREADY_CORRECTED,
                _("This entry was corrected already: correct its latest correction."),
                field="corrects",
            )
        restated = {name: getattr(latest, name) for name in INCIDENT_FACTS}
        restated.update(_facts(facts))
        entry = ConfidentialityIncident(
            reference=latest.reference, corrects=latest, recorded_at=at, **restated
        )
        entry.save()
        changed = [n for n in INCIDENT_FACTS if restated[n] != getattr(latest, n)]
        audit.record(
            actor=actor, action=AuditAction.CREATED, obj=entry, fields=["corrects", *changed]
        )
    return entry


def _facts(facts: dict[str, Any]) -> dict[str, Any]:
    unknown = set(facts) - set(INCIDENT_FACTS)
    if unknown:
        raise DomainError(
            PrivacyErrorCode.UNKNOWN_FIELD,
            _("Unknown incident field: %(name)s") % {"name": sorted(unknown)[0]},
        )
    return dict(facts)
