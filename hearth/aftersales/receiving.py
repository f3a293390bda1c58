"""Receiving and inspection of returned units (issue #13 item 3; TOS-22, TOS-23, TOS-24).

The returns bench scans an RMA's label (its number, or the return label's tracking code), then
each unit's serial. A serial of the RMA is received; a serial that is not the RMA's is refused
with the reason and holds the RMA and the unit for care (state ``held``); receiving twice is
refused. Each received unit is inspected: condition and packaging (a 45-day return), the
exclusions found (a warranty claim), and where it goes (stock, refurbishment, scrap, or kept for
the customer) as a fulfilment stock movement. When the last unit is inspected the RMA is
``inspected`` and every callback registered with :func:`on_inspected` runs in the same
transaction (refunds register there for a refund due, warranty for its outcomes).

Each function is one action in one transaction under the RMA's row lock, takes a keyword-only
``actor`` and ``at``, writes the RMA's history (:class:`~hearth.aftersales.models.RmaEvent`, shown
in My Stuff), audits every change, and raises :class:`~hearth.core.errors.DomainError` (changing
nothing) when a rule says no. The customer is emailed when the parcel is received and when it is
inspected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from hearth.aftersales import rules
from hearth.aftersales.errors import AftersalesErrorCode
from hearth.aftersales.links import close_hold_case, open_hold_case
from hearth.aftersales.models import Inspection, Rma, RmaEvent, RmaUnit, ScanOutcome, UnitScan
from hearth.aftersales.services import move, rma_language
from hearth.catalog import selectors as catalog_selectors
from hearth.catalog.rules import normalise_serial
from hearth.core.audit import Actor, AuditAction, record
from hearth.core.clock import EASTERN
from hearth.core.errors import DomainError

if TYPE_CHECKING:
    from hearth.accounts.models import User

InspectedCallback = Callable[..., None]
_INSPECTED: list[InspectedCallback] = []


def on_inspected(callback: InspectedCallback) -> None:
    """Register a callback run when an RMA's last unit is inspected, inside that transaction:
    ``callback(rma=rma, inspections=[Inspection, ...], actor=actor, at=at)``. The RMA is in
    state ``inspected`` and locked; the callback moves it on (refund due, repair, quote, ...)."""
    if callback not in _INSPECTED:
        _INSPECTED.append(callback)


def _user(actor: Actor | None) -> User | None:
    if isinstance(actor, AbstractBaseUser) and actor.is_authenticated:
        return cast("User", actor)
    return None


def _refuse(
    code: AftersalesErrorCode, message: str, *, field: str, status: int = 400
) -> DomainError:
    return DomainError(code, message, field=field, status=status)


# --- Finding the RMA from its label.


def find_rma(label: str) -> Rma:
    """The RMA whose number or return tracking code was scanned; ``rma_unknown`` (404) else."""
    value = "".join(str(label).split()).upper()
    rma = Rma.objects.filter(Q(number=value) | Q(tracking_code=value)).first() if value else None
    if rma is None:
        raise _refuse(
            AftersalesErrorCode.RMA_UNKNOWN,
            _("No RMA has the number or return tracking code %(code)s.") % {"code": value or "—"},
            field="label",
            status=404,
        )
    return rma


_REFUSALS: dict[rules.ReceivingRefusal, str] = {
    rules.ReceivingRefusal.NOT_ISSUED: gettext_noop(
        "This RMA is not issued yet: nothing can be received on it."
    ),
    rules.ReceivingRefusal.ALREADY_RECEIVED: gettext_noop(
        "This RMA's units are already received: receiving twice changes nothing."
    ),
    rules.ReceivingRefusal.EXPIRED: gettext_noop(
        "This RMA expired: the unit did not arrive within 14 days. Put the parcel aside for "
        "customer care."
    ),
    rules.ReceivingRefusal.CANCELLED: gettext_noop(
        "This RMA was cancelled. Put the parcel aside for customer care."
    ),
    rules.ReceivingRefusal.CLOSED: gettext_noop(
        "This RMA is closed. Put the parcel aside for customer care."
    ),
    rules.ReceivingRefusal.HELD: gettext_noop(
        "This RMA is held for customer care after a serial mismatch; care releases it."
    ),
}


def check_receivable(rma: Rma) -> None:
    """``DomainError`` (409, field ``label``) when the RMA's state does not take a parcel."""
    refusal = rules.receiving_refusal(rma.state)
    if refusal is not None:
        raise _refuse(
            AftersalesErrorCode(refusal.value), _(_REFUSALS[refusal]), field="label", status=409
        )


def _move(
    rma: Rma, event: rules.RmaEventKind, *, actor: Actor | None, at: dt.datetime, note: str = ""
) -> None:
    """Apply the state machine's ``event`` to the locked ``rma`` through the RMA services' one
    way of moving a state (history and audit included)."""
    fields: list[str] = []
    if event is rules.RmaEventKind.RECEIVE or event is rules.RmaEventKind.RELEASE:
        rma.received_at = at
        fields.append("received_at")
    moved = move(rma=rma, event=event, actor=actor, at=at, note=note, fields=fields)
    rma.state = moved.state


def _history(
    rma: Rma, kind: str, *, actor: Actor | None, at: dt.datetime, before: str, note: str = ""
) -> None:
    RmaEvent.objects.create(
        rma=rma,
        at=at,
        kind=kind,
        from_state=before,
        to_state=rma.state,
        actor=_user(actor),
        note=note,
    )


# --- Receiving.


def receive_unit(*, rma: Rma, serial: str, actor: Actor | None, at: dt.datetime) -> UnitScan:
    """Scan one unit's serial against ``rma`` at the returns bench.

    A serial of the RMA not received yet is received (``late`` when after the arrival deadline,
    TOS-24); with the last unit the RMA is ``received`` and the customer is emailed. A
    well-formed serial that is not the RMA's is **held**: the scan is kept (outcome ``held``),
    the RMA moves to ``held`` for care, and the returned scan says so; the caller shows it as
    the refusal it is. Refused, nothing changed: an RMA that takes no parcel (not issued,
    already received, expired, cancelled, held), the label scanned again instead of a serial,
    a serial of no known format (a misread: scan again), a unit already received.
    """
    value = normalise_serial(serial)
    with transaction.atomic():
        locked = Rma.objects.select_for_update().get(pk=rma.pk)
        check_receivable(locked)
        if not value or value in {locked.number.upper(), (locked.tracking_code or "").upper()}:
            raise _refuse(
                AftersalesErrorCode.SCAN_SERIAL,
                _("That is the RMA's label. Scan the serial number on the unit itself."),
                field="serial",
            )
        formats = catalog_selectors.serial_formats()
        if not any(f.matches(value) for f in formats.values()):
            raise _refuse(
                AftersalesErrorCode.SCAN_SERIAL,
                _("%(serial)s is not a serial number of any product: scan it again.")
                % {"serial": value},
                field="serial",
            )
        units = list(locked.units.order_by("pk"))
        received = set(
            UnitScan.objects.filter(rma=locked)
            .exclude(outcome=ScanOutcome.HELD)
            .values_list("serial", flat=True)
        )
        verdict = rules.match_serial(value, expected=[u.serial for u in units], received=received)
        if verdict is rules.ScanVerdict.ALREADY_RECEIVED:
            raise _refuse(
                AftersalesErrorCode.ALREADY_RECEIVED,
                _("%(serial)s is already received on %(rma)s.")
                % {"serial": value, "rma": locked.number},
                field="serial",
                status=409,
            )
        if verdict is rules.ScanVerdict.MISMATCH:
            return _hold(locked, value, units=units, actor=actor, at=at)
        unit = next(u for u in units if u.serial == value)
        late = _late(locked, at)
        try:
            with transaction.atomic():
                scan = UnitScan.objects.create(
                    rma=locked,
                    rma_unit=unit,
                    serial=value,
                    outcome=ScanOutcome.RECEIVED,
                    late=late,
                    at=at,
                    actor=_user(actor),
                )
        except IntegrityError:  # received at another bench at the same moment
            raise _refuse(
                AftersalesErrorCode.ALREADY_RECEIVED,
                _("%(serial)s is already received on %(rma)s.")
                % {"serial": value, "rma": locked.number},
                field="serial",
                status=409,
            ) from None
        record(actor=actor, action=AuditAction.CREATED, obj=scan, fields=["serial", "outcome"])
        note = _("Unit %(serial)s received.") % {"serial": value}
        if late:
            note += " " + _("It arrived after the deadline.")
        if len(received) + 1 == len(units):
            _move(locked, rules.RmaEventKind.RECEIVE, actor=actor, at=at, note=note)
            _email(locked, "received", at=at)
        else:
            _history(locked, "receive_unit", actor=actor, at=at, before=locked.state, note=note)
    rma.refresh_from_db()
    return scan


def _late(rma: Rma, at: dt.datetime) -> bool:
    if rma.issued_at is None:
        return False
    return not rules.arrived_in_time(
        issued_on=rma.issued_at.astimezone(EASTERN).date(),
        received_on=at.astimezone(EASTERN).date(),
    )


def _hold(
    rma: Rma, serial: str, *, units: list[RmaUnit], actor: Actor | None, at: dt.datetime
) -> UnitScan:
    reason = _("Serial %(serial)s does not match %(rma)s, which expects %(expected)s.") % {
        "serial": serial,
        "rma": rma.number,
        "expected": ", ".join(u.serial for u in units) or "—",
    }
    scan = UnitScan.objects.create(
        rma=rma,
        serial=serial,
        outcome=ScanOutcome.HELD,
        late=_late(rma, at),
        note=reason,
        at=at,
        actor=_user(actor),
    )
    record(actor=actor, action=AuditAction.CREATED, obj=scan, fields=["serial", "outcome"])
    # The history is the customer's too (My Stuff): it names no serial, which may be another
    # person's unit; the scan keeps the detail for the warehouse and care.
    _move(
        rma,
        rules.RmaEventKind.HOLD,
        actor=actor,
        at=at,
        note=_(
            "The serial number of the unit received does not match the RMA; customer care "
            "will contact you."
        ),
    )
    open_hold_case(rma=rma, reason=reason, actor=actor, at=at)
    return scan


def _locked_hold(rma: Rma, note: str, missing_note: str) -> Rma:
    locked = Rma.objects.select_for_update().get(pk=rma.pk)
    if locked.state != rules.RmaState.HELD:
        raise _refuse(
            AftersalesErrorCode.NOT_HELD,
            _("%(rma)s is not held.") % {"rma": locked.number},
            field="note",
            status=409,
        )
    if not note:
        raise _refuse(AftersalesErrorCode.NOTE_REQUIRED, missing_note, field="note")
    return locked


def release_hold(*, rma: Rma, note: str, actor: Actor | None, at: dt.datetime) -> Rma:
    """Customer care resolved a serial mismatch (e.g. the serial label was replaced in an
    earlier repair): the RMA's units count as received, with care's note, and the RMA goes on
    to inspection. Refused, nothing changed: an RMA not held (409), an empty note."""
    note = " ".join(str(note).split())
    with transaction.atomic():
        locked = _locked_hold(rma, note, _("Say why the unit is accepted against this RMA."))
        done = set(
            UnitScan.objects.filter(rma=locked, rma_unit__isnull=False).values_list(
                "rma_unit_id", flat=True
            )
        )
        for unit in locked.units.order_by("pk"):
            if unit.pk in done:
                continue
            scan = UnitScan.objects.create(
                rma=locked,
                rma_unit=unit,
                serial=unit.serial,
                outcome=ScanOutcome.RELEASED,
                note=note,
                at=at,
                actor=_user(actor),
            )
            record(actor=actor, action=AuditAction.CREATED, obj=scan, fields=["outcome", "note"])
        _move(locked, rules.RmaEventKind.RELEASE, actor=actor, at=at, note=note)
        close_hold_case(rma=locked, note=note, actor=actor, at=at)
        _email(locked, "received", at=at)
    rma.refresh_from_db()
    return locked


def close_hold(*, rma: Rma, note: str, actor: Actor | None, at: dt.datetime) -> Rma:
    """Customer care refuses a held parcel (not the RMA's product): the RMA is closed with
    care's note, which the customer reads in the email and in My Stuff; the parcel goes back
    to them. Refused, nothing changed: an RMA not held (409), an empty note."""
    note = " ".join(str(note).split())
    with transaction.atomic():
        locked = _locked_hold(rma, note, _("Tell the customer why the parcel is refused."))
        _move(locked, rules.RmaEventKind.CLOSE, actor=actor, at=at, note=note)
        close_hold_case(rma=locked, note=note, actor=actor, at=at)
        _email(locked, "closed_after_hold", at=at, note=note)
    rma.refresh_from_db()
    return locked


# --- Inspection.


def inspect_unit(
    *,
    rma_unit: RmaUnit,
    condition: str | None,
    original_packaging: bool | None,
    exclusions: Iterable[str] = (),
    disposition: str,
    note: str = "",
    actor: Actor | None,
    at: dt.datetime,
) -> Inspection:
    """Record what the warehouse found on one received unit and where it goes.

    The outcome is :func:`hearth.aftersales.rules.inspection_outcome`'s (TOS-22: a return is
    refunded only new or as-new in its original packaging with all materials; TOS-23: a claim
    is covered unless an exclusion is found); the disposition must be one the outcome allows
    (a used or defective unit is never restocked as new) and, unless kept for the customer, is
    a fulfilment stock movement. With the RMA's last unit the RMA is ``inspected``, the
    :func:`on_inspected` callbacks run and the customer is emailed the outcome with its reasons.
    Refused, nothing changed: an RMA not received (409), a unit not received or already
    inspected (409), an unknown condition or exclusion, a missing condition or packaging answer
    on a return, a disposition the outcome does not allow.
    """
    from hearth.fulfilment.services import move_returned_unit

    with transaction.atomic():
        rma = Rma.objects.select_for_update().get(pk=rma_unit.rma_id)
        if rma.state != rules.RmaState.RECEIVED:
            already = rma.state in rules.ARRIVED_STATES
            raise _refuse(
                AftersalesErrorCode.ALREADY_INSPECTED
                if already
                else AftersalesErrorCode.NOT_RECEIVED,
                _("%(rma)s is already inspected.") % {"rma": rma.number}
                if already
                else _("%(rma)s has not been received yet.") % {"rma": rma.number},
                field="disposition",
                status=409,
            )
        if Inspection.objects.filter(rma_unit=rma_unit).exists():
            raise _refuse(
                AftersalesErrorCode.ALREADY_INSPECTED,
                _("Unit %(serial)s is already inspected.") % {"serial": rma_unit.serial},
                field="disposition",
                status=409,
            )
        cond = _choice(rules.Condition, condition, "condition")
        found = [_choice(rules.Exclusion, e, "exclusions") for e in exclusions]
        kind = rules.ClaimKind(rma.kind)
        outcome = rules.inspection_outcome(
            kind=kind,
            condition=cond,
            original_packaging=original_packaging,
            exclusions=[e for e in found if e is not None],
        )
        chosen = rules.check_disposition(outcome, disposition)
        movement = None
        if chosen is not rules.Disposition.KEEP:
            movement = move_returned_unit(
                serial=rma_unit.serial,
                sku=rma_unit.sku,
                disposition=chosen.value,
                reference=rma.number,
                actor=actor,
                at=at,
            )
        inspection = Inspection.objects.create(
            rma=rma,
            rma_unit=rma_unit,
            condition=cond.value if cond is not None else "",
            original_packaging=original_packaging,
            exclusions=[e.value for e in outcome_exclusions(kind, found)],
            verdict=outcome.verdict.value,
            reasons=[r.code.value for r in outcome.reasons],
            disposition=chosen.value,
            movement=movement,
            note=" ".join(str(note).split())[:2000],
            at=at,
            actor=_user(actor),
        )
        record(
            actor=actor,
            action=AuditAction.CREATED,
            obj=inspection,
            fields=["condition", "original_packaging", "exclusions", "verdict", "disposition"],
        )
        summary = _("Unit %(serial)s inspected: %(verdict)s.") % {
            "serial": rma_unit.serial,
            "verdict": inspection.get_verdict_display(),
        }
        inspected = list(Inspection.objects.filter(rma=rma).select_related("rma_unit"))
        if len(inspected) == rma.units.count():
            _move(rma, rules.RmaEventKind.INSPECT, actor=actor, at=at, note=summary)
            _email(rma, "inspected", at=at, inspections=inspected)
            for callback in list(_INSPECTED):
                callback(rma=rma, inspections=inspected, actor=actor, at=at)
        else:
            _history(rma, "inspect_unit", actor=actor, at=at, before=rma.state, note=summary)
    return inspection


def outcome_exclusions(
    kind: rules.ClaimKind, found: list[rules.Exclusion | None]
) -> list[rules.Exclusion]:
    """The exclusions kept on record: a warranty claim's, each once (a return has none)."""
    if kind != rules.ClaimKind.WARRANTY:
        return []
    return list(dict.fromkeys(e for e in found if e is not None))


def _choice(enum: Any, value: str | None, field: str) -> Any:
    if value in (None, ""):
        return None
    try:
        return enum(value)
    except ValueError:
        raise _refuse(
            AftersalesErrorCode.UNKNOWN_CHOICE,
            _("%(value)s is not one of the choices.") % {"value": value},
            field=field,
        ) from None


# --- The customer's emails (queued in the same transaction, sent after the commit).


def _email(
    rma: Rma,
    step: str,
    *,
    at: dt.datetime,
    inspections: list[Inspection] | None = None,
    note: str = "",
) -> None:
    from hearth.comms.services import queue_message

    language = rma_language(rma)
    with translation.override(language):
        text = render_to_string(
            f"aftersales/email/{step}.txt",
            {
                "rma": rma,
                "inspections": inspections or [],
                "note": note,
                "brand": settings.HEARTH_BRAND,
                "site": settings.HEARTH_SITE_URL,
            },
        )
    subject, _sep, body = text.partition("\n")
    message = EmailMessage(subject.strip(), body.lstrip(), None, [rma.email])
    queue_message(key=f"rma:{rma.pk}:{step}", message=message, at=at, language=language)
