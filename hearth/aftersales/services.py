"""Beginning a return or warranty claim, issuing its RMA, reminders and expiry (TOS-22..24).

Each write is one function with a keyword-only ``actor`` (the customer, the care agent, or
``None`` for the system) and ``at``; it runs in one transaction, moves the state only through
:func:`rules.transition` under a row lock, appends an :class:`RmaEvent`, writes an audit row,
and queues its email in comms' outbound queue inside the same transaction (sent once, after the
commit). Other parts of issue #13 call :func:`move` for their own steps and register their
expiry work with :func:`on_rma_expired`.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from hearth.aftersales import rules, selectors
from hearth.aftersales.errors import AftersalesErrorCode
from hearth.aftersales.models import (
    DealerProof,
    ReturnMethod,
    Rma,
    RmaEvent,
    RmaState,
    RmaUnit,
)
from hearth.catalog.rules import normalise_serial
from hearth.core.audit import Actor, AuditAction, record
from hearth.core.calendar import add_business_days
from hearth.core.clock import EASTERN
from hearth.core.errors import DomainError
from hearth.core.languages import choose_language
from hearth.fulfilment import carriers
from hearth.fulfilment.address import SERVICE_REGION
from hearth.fulfilment.models import Unit
from hearth.orders.models import Order
from hearth.orders.selectors import email_language

#: Where returns go: the warehouse's receiving dock (the demo brand's invented address).
DEFAULT_RETURNS_ADDRESS: dict[str, Any] = {
    "name": "Ember & Oak Audio Returns",
    "lines": ["100 Example Street"],
    "city": "Toronto",
    "province": "ON",
    "postal_code": "M5V 0A1",
    "country": "CA",
    "phone": "1-800-555-0199",
}
RETURN_PARCEL_GRAMS = 2500  # a unit's parcel, as fulfilment weighs it

#: States in which an RMA still holds its units (a second RMA for them is refused).
_OPEN_STATES = frozenset(s.value for s in rules.RmaState) - {s.value for s in rules.TERMINAL_STATES}

_EXPIRY_CALLBACKS: list[Callable[..., None]] = []


def on_rma_expired(callback: Callable[..., None]) -> None:
    """Register ``callback(*, rma, at)``, called inside the transaction that expires an RMA
    (warranty registers its capture of an advance replacement's authorisation here)."""
    if callback not in _EXPIRY_CALLBACKS:
        _EXPIRY_CALLBACKS.append(callback)


def _user(actor: Actor | None) -> Any:
    """The user behind ``actor`` for user foreign keys (None for the system or a visitor)."""
    if isinstance(actor, AbstractBaseUser) and actor.is_authenticated:
        return actor
    return None


def _today(at: dt.datetime) -> dt.date:
    return at.astimezone(EASTERN).date()


def _refuse(code: AftersalesErrorCode, message: str, *, field: str | None = None) -> DomainError:
    return DomainError(code, message, field=field)


@dataclass(frozen=True, slots=True)
class Contact:
    """Who sends the product back and where from (label sender, pickup address)."""

    name: str
    email: str
    phone: str
    lines: tuple[str, ...]
    city: str
    province: str
    postal_code: str
    country: str = SERVICE_REGION


@dataclass(frozen=True, slots=True)
class DealerPurchase:
    """A unit bought from an authorised dealer: its serial, the retail date, the proof."""

    serial: str
    retail_purchased_on: dt.date
    dealer: str
    receipt: bytes


# --- Moving an RMA -----------------------------------------------------------------------------


def move(
    *,
    rma: Rma,
    event: rules.RmaEventKind,
    actor: Actor | None,
    at: dt.datetime,
    note: str = "",
    fields: Sequence[str] = (),
) -> Rma:
    """Apply ``event`` to ``rma`` under a row lock: the table's next state, an RmaEvent, an
    audit row. ``fields``: other columns the caller set on ``rma`` that are saved with the
    step. Refused (``rma_transition``, 409) when the table has no such move, nothing changed.
    Returns the locked, updated row."""
    with transaction.atomic():
        locked = Rma.objects.select_for_update().get(pk=rma.pk)
        for name in fields:  # the caller's changes that go with this step
            setattr(locked, name, getattr(rma, name))
        before = locked.state
        locked.state = rules.transition(rules.RmaState(before), event).value
        locked.save(update_fields=["state", *fields])
        RmaEvent.objects.create(
            rma=locked,
            at=at,
            kind=rules.RmaEventKind(event).value,
            from_state=before,
            to_state=locked.state,
            actor=_user(actor),
            note=note,
        )
        record(actor=actor, action=AuditAction.STATE_CHANGED, obj=locked, fields=["state"])
    return locked


def note_event(
    *,
    rma: Rma,
    kind: str,
    actor: Actor | None,
    at: dt.datetime,
    note: str = "",
    fields: Sequence[str] = (),
) -> None:
    """A step in the history that moves no state (a reminder sent, a label re-sent), with its
    audit row naming the ``fields`` the caller changed on ``rma``."""
    record(actor=actor, action=AuditAction.CHANGED, obj=rma, fields=fields)
    RmaEvent.objects.create(
        rma=rma,
        at=at,
        kind=kind,
        from_state=rma.state,
        to_state=rma.state,
        actor=_user(actor),
        note=note,
    )


# --- Beginning a return or claim ---------------------------------------------------------------


def _new_number() -> str:
    while True:
        number = rules.rma_number(
            secrets.randbelow(len(rules.RMA_NUMBER_ALPHABET))
            for _i in range(rules.RMA_NUMBER_LENGTH)
        )
        if not Rma.objects.filter(number=number).exists():
            return number


def _not_eligible(result: rules.Eligibility, serial: str) -> DomainError:
    reasons = " ".join(_(reason.message) for reason in result.reasons)
    error = _refuse(
        AftersalesErrorCode.NOT_ELIGIBLE,
        _("%(serial)s: %(reasons)s") % {"serial": serial, "reasons": reasons},
        field="serials",
    )
    error.reasons = result.reasons  # type: ignore[attr-defined]
    return error


def _check_not_on_open_rma(serials: Sequence[str]) -> None:
    taken = (
        RmaUnit.objects.filter(serial__in=serials, rma__state__in=_OPEN_STATES)
        .select_related("rma")
        .first()
    )
    if taken is not None:
        raise _refuse(
            AftersalesErrorCode.UNIT_ALREADY_ON_RMA,
            _("%(serial)s is already on RMA %(number)s.")
            % {"serial": taken.serial, "number": taken.rma.number},
            field="serials",
        )


def _windows_from(order: Order, unit: Unit) -> dt.date:
    """The date a unit's return and warranty windows run from: its ship date, or for a unit
    sent as a warranty replacement (a zero-priced ``replacement`` order) the first unit's, so
    a replacement extends neither (TOS-23; coverage per serial in ``warranty``)."""
    from hearth.orders.rules import Channel as OrderChannel

    if order.channel == OrderChannel.REPLACEMENT:
        from hearth.aftersales.warranty import warranty_dates

        coverage = warranty_dates(unit.serial)
        if coverage is not None:
            return coverage.start
    return unit.shipped_on or _today(order.placed_at)


def _direct_channel(order: Order) -> rules.Channel:
    """The order's channel as the terms read it: every order we shipped is a direct purchase."""
    return rules.Channel.PHONE if order.channel == rules.Channel.PHONE else rules.Channel.WEB


def _check_method(
    *, kind: rules.ClaimKind, channel: rules.Channel, country: str, method: str
) -> rules.ReturnMethod:
    allowed = rules.return_methods(
        kind=kind, channel=channel, country=country, service_region=SERVICE_REGION
    )
    if method not in {m.value for m in allowed}:
        raise _refuse(
            AftersalesErrorCode.NOT_ELIGIBLE,
            _(
                "A free pickup is offered only for a 45-day return of a product we delivered "
                "inside the Service Region; choose the prepaid return label."
            ),
            field="return_method",
        )
    return rules.ReturnMethod(method)


def _check_advance(kind: rules.ClaimKind, advance_replacement: bool) -> None:
    if advance_replacement and kind != rules.ClaimKind.WARRANTY:
        raise _refuse(
            AftersalesErrorCode.NOT_ELIGIBLE,
            _("An advance replacement is offered for warranty claims only."),
            field="advance_replacement",
        )


def begin_order_rma(
    *,
    order: Order,
    serials: Sequence[str],
    kind: rules.ClaimKind | str,
    actor: Actor | None,
    at: dt.datetime,
    problem: str = "",
    return_method: str = ReturnMethod.LABEL,
    advance_replacement: bool = False,
) -> Rma:
    """Begin a return (TOS-22) or warranty claim (TOS-23) for units shipped on ``order`` and
    issue its RMA at once (TOS-24): number, label or pickup, arrival deadline, email.

    The caller has established that the requester may act on ``order`` (its owner, a guest
    who proved the order's details, or care for a caller). Refused, nothing written: no serial
    (``no_units``), a serial not shipped on this order (``unit_not_found``: never sold, or not
    the requester's), a unit not shipped yet (``unit_not_shipped``), a unit on an open RMA
    (``unit_already_on_rma``), a claim the rules refuse (``not_eligible`` with every reason), a
    pickup where none is offered, an advance replacement for a return.
    """
    kind = rules.ClaimKind(kind)
    wanted = list(dict.fromkeys(normalise_serial(s) for s in serials if str(s).strip()))
    if not wanted:
        raise _refuse(
            AftersalesErrorCode.NO_UNITS,
            _("Choose at least one product (by its serial number)."),
            field="serials",
        )
    channel = _direct_channel(order)
    method = _check_method(kind=kind, channel=channel, country=order.country, method=return_method)
    _check_advance(kind, advance_replacement)
    units = {
        u.serial: u
        for u in Unit.objects.filter(serial__in=wanted, order_line__order=order).order_by("id")
    }
    today = _today(at)
    for serial in wanted:
        unit = units.get(serial)
        if unit is None:
            raise _refuse(
                AftersalesErrorCode.UNIT_NOT_FOUND,
                _("%(serial)s was not shipped on order %(number)s.")
                % {"serial": serial, "number": order.number},
                field="serials",
            )
        if unit.shipped_on is None:
            raise _refuse(
                AftersalesErrorCode.UNIT_NOT_SHIPPED,
                _("%(serial)s has not shipped yet.") % {"serial": serial},
                field="serials",
            )
        if not selectors.is_sale(order) and kind == rules.ClaimKind.RETURN:
            raise _refuse(
                AftersalesErrorCode.NOT_ELIGIBLE,
                _(
                    "%(serial)s is a warranty replacement, not a purchase: it cannot be "
                    "returned for a refund. Its warranty continues the original's."
                )
                % {"serial": serial},
                field="serials",
            )
        result = rules.eligibility(
            kind=kind, channel=channel, shipped_on=_windows_from(order, unit), requested_on=today
        )
        if not result.eligible:
            raise _not_eligible(result, serial)
    contact = Contact(
        name=order.contact_name,
        email=order.email,
        phone=order.phone,
        lines=tuple(line for line in order.address_lines.split("\n") if line.strip()),
        city=order.city,
        province=order.province,
        postal_code=order.postal_code,
        country=order.country,
    )
    with transaction.atomic():
        Order.objects.select_for_update().get(pk=order.pk)  # one begin per order at a time
        _check_not_on_open_rma(wanted)
        rma = _create(
            kind=kind,
            channel=channel.value,
            order=order,
            customer=order.customer,
            contact=contact,
            problem=problem,
            method=method,
            advance_replacement=advance_replacement,
            actor=actor,
            at=at,
        )
        RmaUnit.objects.bulk_create(
            RmaUnit(rma=rma, serial=s, sku=units[s].sku, unit=units[s]) for s in wanted
        )
        return issue_rma(rma=rma, actor=actor, at=at)


def begin_dealer_rma(
    *,
    purchase: DealerPurchase,
    contact: Contact,
    actor: Actor | None,
    at: dt.datetime,
    problem: str = "",
    advance_replacement: bool = False,
) -> Rma:
    """Care begins a warranty claim (TOS-23) for a unit bought from a dealer, with the receipt.

    The warranty runs one year from ``retail_purchased_on``; the receipt (JPEG, PNG, WebP or
    PDF by its first bytes, at most 5 MB) is kept encrypted. Refused, nothing written: a
    receipt too big or of another type, a serial of no known format or on an open RMA, a claim
    the rules refuse (``not_eligible`` with every reason: dates in the future among them).
    """
    content_type = rules.receipt_content_type(purchase.receipt[:16], len(purchase.receipt))
    serial = normalise_serial(purchase.serial)
    sku = _sku_of(serial)
    if not serial or sku is None:
        raise _refuse(
            AftersalesErrorCode.INVALID_SERIAL,
            _("This is not a serial number of one of our products."),
            field="serial",
        )
    today = _today(at)
    result = rules.eligibility(
        kind=rules.ClaimKind.WARRANTY,
        channel=rules.Channel.DEALER,
        shipped_on=None,
        requested_on=today,
        retail_purchased_on=purchase.retail_purchased_on,
    )
    if not result.eligible:
        raise _not_eligible(result, serial)
    with transaction.atomic():
        _check_not_on_open_rma([serial])
        rma = _create(
            kind=rules.ClaimKind.WARRANTY,
            channel=rules.Channel.DEALER,
            order=None,
            customer=None,
            contact=contact,
            problem=problem,
            method=rules.ReturnMethod.LABEL,
            advance_replacement=advance_replacement,
            actor=actor,
            at=at,
            retail_purchased_on=purchase.retail_purchased_on,
            dealer=purchase.dealer,
        )
        unit = Unit.objects.filter(serial=serial).first()
        RmaUnit.objects.create(rma=rma, serial=serial, sku=sku, unit=unit)
        proof = DealerProof.objects.create(
            rma=rma,
            content_type=content_type,
            size=len(purchase.receipt),
            content=base64.b64encode(purchase.receipt).decode("ascii"),
            uploaded_at=at,
            uploaded_by=_user(actor),
        )
        record(
            actor=actor,
            action=AuditAction.CREATED,
            obj=proof,
            fields=["content_type", "size", "content"],
        )
        return issue_rma(rma=rma, actor=actor, at=at)


def _sku_of(serial: str) -> str | None:
    """The SKU whose serial format ``serial`` matches (a serial names one SKU at most)."""
    from hearth.catalog.selectors import serial_formats

    return next((f.sku for f in serial_formats().values() if serial and f.matches(serial)), None)


def receipt_bytes(proof: DealerProof) -> bytes:
    """The receipt's file, decrypted (care's page serves it to staff only)."""
    return base64.b64decode(proof.content)


def _create(
    *,
    kind: rules.ClaimKind,
    channel: str,
    order: Order | None,
    customer: Any,
    contact: Contact,
    problem: str,
    method: rules.ReturnMethod,
    advance_replacement: bool,
    actor: Actor | None,
    at: dt.datetime,
    retail_purchased_on: dt.date | None = None,
    dealer: str = "",
) -> Rma:
    rma = Rma.objects.create(
        number=_new_number(),
        kind=kind.value,
        state=RmaState.REQUESTED,
        channel=channel,
        order=order,
        customer=customer,
        email=contact.email,
        contact_name=contact.name,
        phone=contact.phone,
        address_lines="\n".join(contact.lines),
        city=contact.city,
        province=contact.province,
        postal_code=contact.postal_code,
        country=contact.country,
        problem=problem.strip(),
        retail_purchased_on=retail_purchased_on,
        dealer=dealer.strip(),
        requested_at=at,
        requested_by=_user(actor),
        return_method=method.value,
        advance_replacement=advance_replacement,
    )
    RmaEvent.objects.create(
        rma=rma,
        at=at,
        kind="request",
        from_state="",
        to_state=rma.state,
        actor=_user(actor),
        note=problem.strip()[:500],
    )
    record(
        actor=actor,
        action=AuditAction.CREATED,
        obj=rma,
        fields=["number", "kind", "state", "channel", "email", "return_method"],
    )
    return rma


# --- Issuing -----------------------------------------------------------------------------------


def _returns_address() -> carriers.ShipTo:
    conf = {**DEFAULT_RETURNS_ADDRESS, **getattr(settings, "HEARTH_RETURNS_ADDRESS", {})}
    return carriers.ShipTo(
        name=str(conf["name"]),
        lines=tuple(conf["lines"]),
        city=str(conf["city"]),
        province=str(conf["province"]),
        postal_code=str(conf["postal_code"]),
        country=str(conf["country"]),
        phone=str(conf["phone"]),
    )


def _sender(rma: Rma) -> carriers.ShipTo:
    return carriers.ShipTo(
        name=rma.contact_name,
        lines=tuple(line for line in rma.address_lines.split("\n") if line.strip()),
        city=rma.city,
        province=rma.province,
        postal_code=rma.postal_code,
        country=rma.country,
        phone=rma.phone,
    )


def issue_rma(*, rma: Rma, actor: Actor | None, at: dt.datetime) -> Rma:
    """Issue a requested RMA (TOS-24): the arrival deadline (issue + 14 days), a prepaid return
    label from the carrier (or a booked free pickup, TOS-22), the confirmation email with the
    label attached. The carrier receives the sender's name, address and phone (PP-7, on record
    as a disclosure)."""
    from hearth.privacy.models import DisclosureKind
    from hearth.privacy.services import record_disclosure

    chosen = carriers.default_carrier()
    today = _today(at)
    with transaction.atomic():
        with translation.override(rma_language(rma)):  # the customer prints the label
            label = chosen.return_label(
                ship_from=_sender(rma),
                ship_to=_returns_address(),
                parcel=carriers.Parcel(
                    weight_grams=RETURN_PARCEL_GRAMS * max(1, rma.units.count()),
                    reference=rma.number,
                ),
                ship_date=today,
            )
        rma.issued_at = at
        rma.arrival_deadline = rules.rma_arrival_deadline(today)
        rma.carrier = chosen.key
        rma.tracking_code = label.tracking_code
        rma.label_pdf = label.pdf
        rma = move(
            rma=rma,
            event=rules.RmaEventKind.ISSUE,
            actor=actor,
            at=at,
            note=rma.number,
            fields=["issued_at", "arrival_deadline", "carrier", "tracking_code", "label_pdf"],
        )
        record_disclosure(
            processor="shipping",
            subject=rma.customer,
            kind=DisclosureKind.HANDOVER,
            what="aftersales.Rma.contact_name, aftersales.Rma.address_lines, aftersales.Rma.city, "
            "aftersales.Rma.province, aftersales.Rma.postal_code, aftersales.Rma.phone",
            why=_("Return label for %(number)s with %(carrier)s (%(code)s)")
            % {"number": rma.number, "carrier": chosen.name, "code": label.tracking_code},
            at=at,
            actor=_user(actor),
        )
        _queue_email(rma=rma, step="issued", at=at, with_label=True)
    return rma


# --- Emails ------------------------------------------------------------------------------------


def rma_language(rma: Rma) -> str:
    """The language of every email about ``rma`` (issue #16): the customer's stored choice,
    else its order's language, else the default (English)."""
    order_language = email_language(rma.order) if rma.order is not None else ""
    return choose_language(getattr(rma.customer, "language", ""), order_language)


def _queue_email(*, rma: Rma, step: str, at: dt.datetime, with_label: bool = False) -> None:
    from hearth.comms.services import Attachment, queue_email

    pickup = rma.return_method == ReturnMethod.PICKUP
    context = {
        "rma": rma,
        "units": list(rma.units.all()),
        "brand": settings.HEARTH_BRAND,
        "pickup": pickup,
        "pickup_by": add_business_days(_today(rma.issued_at or at), 2),
        "address_lines": [line for line in rma.address_lines.split("\n") if line.strip()],
        "site_url": settings.HEARTH_SITE_URL,
    }
    language = rma_language(rma)
    with translation.override(language):
        text = render_to_string(f"aftersales/email/rma_{step}.txt", context)
    subject, _sep, body = text.partition("\n")
    attachments = []
    if with_label and rma.label_pdf and not pickup:
        attachments.append(
            Attachment(f"{rma.number}-return-label.pdf", bytes(rma.label_pdf), "application/pdf")
        )
    queue_email(
        key=f"rma:{rma.pk}:{step}",
        to=[rma.email],
        subject=subject.strip(),
        body=body.lstrip(),
        at=at,
        attachments=attachments,
        language=language,
    )


# --- Deadlines (a periodic task: tasks.rma_deadlines) ------------------------------------------


def send_rma_reminders(*, at: dt.datetime) -> list[Rma]:
    """Email a reminder for every issued RMA whose product has not arrived, from 3 days before
    its arrival deadline (TOS-24); once per RMA."""
    today = _today(at)
    due = Rma.objects.filter(
        state=RmaState.ISSUED,
        reminder_sent_at__isnull=True,
        arrival_deadline__gte=today,
        arrival_deadline__lte=today + dt.timedelta(days=rules.RMA_REMINDER_DAYS_BEFORE),
    ).order_by("arrival_deadline", "id")
    sent = []
    for candidate in due:
        with transaction.atomic():
            rma = Rma.objects.select_for_update().get(pk=candidate.pk)
            if rma.state != RmaState.ISSUED or rma.reminder_sent_at is not None:
                continue
            if rma.arrival_deadline is None or not rules.reminder_due(
                arrival_deadline=rma.arrival_deadline, on=today
            ):
                continue
            rma.reminder_sent_at = at
            rma.save(update_fields=["reminder_sent_at"])
            note_event(rma=rma, kind="remind", actor=None, at=at, fields=["reminder_sent_at"])
            _queue_email(rma=rma, step="reminder", at=at, with_label=True)
            sent.append(rma)
    return sent


def expire_rmas(*, at: dt.datetime) -> list[Rma]:
    """Expire every issued RMA whose product has not arrived by its deadline (TOS-24): state
    expired, an email, and the registered callbacks (an advance replacement's charge)."""
    today = _today(at)
    overdue = Rma.objects.filter(state=RmaState.ISSUED, arrival_deadline__lt=today).order_by(
        "arrival_deadline", "id"
    )
    expired = []
    for candidate in overdue:
        with transaction.atomic():
            rma = Rma.objects.select_for_update().get(pk=candidate.pk)
            if rma.state != RmaState.ISSUED:
                continue
            if rma.arrival_deadline is None or not rules.expired(
                arrival_deadline=rma.arrival_deadline, on=today
            ):
                continue
            rma.expired_at = at
            rma = move(
                rma=rma,
                event=rules.RmaEventKind.EXPIRE,
                actor=None,
                at=at,
                fields=["expired_at"],
            )
            _queue_email(rma=rma, step="expired", at=at)
            for callback in list(_EXPIRY_CALLBACKS):
                callback(rma=rma, at=at)
            expired.append(rma)
    return expired


def run_deadlines(*, at: dt.datetime) -> tuple[int, int]:
    """Reminders then expiries; returns how many of each."""
    return len(send_rma_reminders(at=at)), len(expire_rmas(at=at))


def purge_dealer_receipts(*, at: dt.datetime) -> int:
    """Retention ``dealer_receipt``: a dealer's receipt is deleted once the warranty it proves
    has ended and its RMA is over (closed, expired or cancelled). Returns how many."""
    today = _today(at)
    done = [s.value for s in rules.TERMINAL_STATES]
    purged = 0
    for proof in DealerProof.objects.filter(
        rma__state__in=done, rma__retail_purchased_on__isnull=False
    ).select_related("rma"):
        start = proof.rma.retail_purchased_on
        if start is None or rules.warranty_active(start=start, on=today) or start > today:
            continue
        with transaction.atomic():
            record(actor=None, action=AuditAction.DELETED, obj=proof, fields=["content"])
            proof.delete()
            purged += 1
    return purged


def cancel_rma(*, rma: Rma, actor: Actor | None, at: dt.datetime, note: str = "") -> Rma:
    """Cancel a requested or issued RMA (care): the customer is told by email; refused
    (``rma_transition``) in any other state, nothing changed."""
    with transaction.atomic():
        cancelled = move(rma=rma, event=rules.RmaEventKind.CANCEL, actor=actor, at=at, note=note)
        _queue_email(rma=cancelled, step="cancelled", at=at)
        return cancelled


__all__ = [
    "Contact",
    "DealerPurchase",
    "begin_dealer_rma",
    "begin_order_rma",
    "cancel_rma",
    "expire_rmas",
    "issue_rma",
    "move",
    "note_event",
    "on_rma_expired",
    "receipt_bytes",
    "run_deadlines",
    "send_rma_reminders",
]
