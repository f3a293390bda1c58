"""Warehouse writes (issue #11): scan serials at packing, make the carrier's label, ship, take in
the carrier's tracking events, open and resolve delivery exception cases, receive and adjust stock.

Each function is one action in one transaction, takes a keyword-only ``actor`` (None for the
system or a carrier), and raises :class:`~hearth.core.errors.DomainError` with a
:class:`~hearth.fulfilment.errors.FulfilmentErrorCode` when a rule says no, changing nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hearth.catalog import selectors as catalog_selectors
from hearth.catalog import services as catalog_services
from hearth.catalog.rules import normalise_serial
from hearth.core.audit import Actor
from hearth.core.clock import EASTERN
from hearth.core.errors import DomainError
from hearth.core.languages import choose_language
from hearth.fulfilment import carriers, rules
from hearth.fulfilment.errors import FulfilmentErrorCode
from hearth.fulfilment.models import (
    AdjustmentReason,
    DeliveryExceptionCase,
    ReturnDisposition,
    ReturnMovement,
    Shipment,
    ShipmentStatus,
    StockAdjustment,
    StockReceipt,
    TrackingEvent,
    TrackingLookup,
    Unit,
)
from hearth.orders.models import Order, OrderLine

if TYPE_CHECKING:
    from hearth.accounts.models import User

#: Order statuses the warehouse works on (picking and packed arrive with the order lifecycle).
PACKABLE = ("released", "picking", "packed")


def _actor(actor: Actor | None) -> User | None:
    """The signed-in user behind ``actor`` (None for the system): for the "done by" columns."""
    if isinstance(actor, AbstractBaseUser) and actor.is_authenticated:
        return cast("User", actor)  # AUTH_USER_MODEL is accounts.User
    return None


def _to_picking(*, order: Order, actor: Actor | None, at: dt.datetime) -> None:
    """A released order starts being picked with its first scan (or its label)."""
    from hearth.orders import services as order_services

    if order.status == "released":
        order_services.start_picking(order=order, actor=_actor(actor), at=at)


def _to_packed(*, order: Order, actor: Actor | None, at: dt.datetime, note: str) -> None:
    from hearth.orders import services as order_services

    _to_picking(order=order, actor=actor, at=at)
    if order.status == "picking":
        order_services.mark_packed(order=order, actor=_actor(actor), at=at, note=note)


def _audit(*, actor: Actor | None, obj: Any, fields: list[str], changed: bool = False) -> None:
    from hearth.core.audit import AuditAction, record

    action = AuditAction.STATE_CHANGED if changed else AuditAction.CREATED
    record(actor=_actor(actor), action=action, obj=obj, fields=fields)


# --- Packing: serials.


def units_wanted(order: Order) -> dict[str, int]:
    """Serialised units still to scan, per SKU (non-serialised SKUs are packed by count)."""
    wanted: dict[str, int] = {}
    scanned: dict[int, int] = {}
    for line_id in Unit.objects.filter(order_line__order=order).values_list(
        "order_line_id", flat=True
    ):
        scanned[line_id] = scanned.get(line_id, 0) + 1
    for line in order.lines.all():
        fmt = catalog_selectors.serial_format(line.sku)
        if fmt is not None and not fmt.serialised:
            continue
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity - scanned.get(line.pk, 0)
    return wanted


def _refuse(
    code: FulfilmentErrorCode, message: str, *, field: str = "serial", status: int = 400
) -> DomainError:
    return DomainError(code, message, field=field, status=status)


def scan_serial(*, order: Order, serial: str, actor: Actor | None, at: dt.datetime) -> Unit:
    """Capture one unit's serial for the order line of its SKU (the start of its warranty record).

    A serial returned and restocked is sold again as a new row (its earlier sale keeps its own).
    Refused, nothing kept: a serial of no known format (``serial_format``), one already captured
    for a unit not restocked since (``serial_used``), one of a SKU not in the order
    (``serial_other_sku``), one of a SKU whose units are all scanned (``serial_not_needed``), an
    order not ready to pack.
    """
    value = normalise_serial(serial)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status not in PACKABLE or _has_shipment(locked):
            raise _refuse(
                FulfilmentErrorCode.NOT_READY_TO_PACK,
                _("Order %(number)s is not waiting to be packed.") % {"number": locked.number},
            )
        formats = catalog_selectors.serial_formats()
        if not value or not any(f.matches(value) for f in formats.values()):
            examples = sorted(
                {
                    formats[line.sku].example
                    for line in locked.lines.all()
                    if line.sku in formats and formats[line.sku].serialised
                }
            )
            raise _refuse(
                FulfilmentErrorCode.SERIAL_FORMAT,
                _("%(serial)s is not a serial number of any product; expected e.g. %(examples)s.")
                % {"serial": value or "—", "examples": ", ".join(examples) or "—"},
            )
        used = (
            Unit.objects.filter(serial=value, restocked_at__isnull=True)
            .select_related("order_line__order")
            .first()
        )
        if used is not None:
            raise _refuse(
                FulfilmentErrorCode.SERIAL_USED,
                _("%(serial)s was already scanned for order %(number)s.")
                % {"serial": value, "number": used.order_line.order.number},
            )
        check = rules.check_serial(value, wanted=units_wanted(locked), formats_by_sku=formats)
        if check.verdict is rules.SerialVerdict.OTHER_SKU:
            raise _refuse(
                FulfilmentErrorCode.SERIAL_OTHER_SKU,
                _("%(serial)s is a serial of %(sku)s, which this order does not contain.")
                % {"serial": value, "sku": check.sku},
            )
        if check.verdict is rules.SerialVerdict.NOT_NEEDED:
            raise _refuse(
                FulfilmentErrorCode.SERIAL_NOT_NEEDED,
                _("Every unit of %(sku)s in this order is already scanned.") % {"sku": check.sku},
            )
        line = _line_wanting(locked, str(check.sku))
        try:
            with transaction.atomic():
                unit = Unit.objects.create(
                    serial=value,
                    sku=line.sku,
                    order_line=line,
                    captured_at=at,
                    captured_by=_actor(actor),
                )
        except IntegrityError:  # scanned at another bench at the same moment
            raise _refuse(
                FulfilmentErrorCode.SERIAL_USED,
                _("%(serial)s was already scanned.") % {"serial": value},
            ) from None
        _to_picking(order=locked, actor=actor, at=at)
        _audit(actor=actor, obj=unit, fields=["serial", "order_line"])
    return unit


def _has_shipment(order: Order) -> bool:
    return Shipment.objects.filter(order=order).exists()


def _line_wanting(order: Order, sku: str) -> OrderLine:
    for line in order.lines.filter(sku=sku).order_by("pk"):
        if line.units.count() < line.quantity:
            return line
    raise AssertionError("check_serial said the SKU wants a unit")  # pragma: no cover


def remove_unit(*, unit: Unit, actor: Actor | None, at: dt.datetime) -> None:
    """Undo a scan before the label is made (a unit put back on the shelf)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=unit.order_line.order_id)
        if _has_shipment(order):
            raise _refuse(
                FulfilmentErrorCode.LABEL_EXISTS,
                _("The label is made: the parcel's units can no longer change."),
            )
        _audit(actor=actor, obj=unit, fields=["serial"], changed=True)
        unit.delete()


# --- The label and the hand-over.


def ship_to_of(order: Order) -> carriers.ShipTo:
    """Only what the carrier needs: name, address, phone (PP-7)."""
    return carriers.ShipTo(
        name=order.contact_name,
        lines=tuple(order.line_list),
        city=order.city,
        province=order.province,
        postal_code=order.postal_code,
        country=order.country,
        phone=order.phone,
    )


def create_label(
    *, order: Order, actor: Actor | None, at: dt.datetime, carrier_key: str | None = None
) -> Shipment:
    """Buy the carrier's label for a packed order: every serialised unit scanned first.

    The carrier receives the recipient's name, address and phone, recorded in the disclosure log
    against the carrier as a processor (PP-7). The shipping method chosen at checkout is the
    carrier service (express ships as priced at checkout: TOS-15). Asking again returns the same
    shipment (no second label, no second disclosure).
    """
    from hearth.privacy.models import DisclosureKind
    from hearth.privacy.services import record_disclosure

    chosen = carriers.carrier(carrier_key) if carrier_key else carriers.default_carrier()
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        existing = Shipment.objects.filter(order=locked).first()
        if existing is not None:
            return existing
        if locked.status not in PACKABLE:
            raise _refuse(
                FulfilmentErrorCode.NOT_READY_TO_PACK,
                _("Order %(number)s is not waiting to be packed.") % {"number": locked.number},
                field="order",
            )
        missing = {sku: n for sku, n in units_wanted(locked).items() if n > 0}
        if missing:
            raise _refuse(
                FulfilmentErrorCode.UNITS_MISSING,
                _("Scan every unit first: %(missing)s still to scan.")
                % {"missing": ", ".join(f"{n} × {sku}" for sku, n in sorted(missing.items()))},
            )
        ship_to = ship_to_of(locked)
        with translation.override(choose_language(locked.language)):
            label = chosen.create_label(
                ship_to=ship_to,
                parcel=carriers.Parcel(weight_grams=_weight(locked), reference=locked.number),
                service=locked.shipping_method,
                ship_date=at.astimezone(EASTERN).date(),
            )
        shipment = Shipment.objects.create(
            order=locked,
            carrier=chosen.key,
            service=label.service,
            tracking_code=label.tracking_code,
            promised_ship_date=locked.ship_date,
            label_pdf=label.pdf,
            label_created_at=at,
            label_created_by=_actor(actor),
        )
        record_disclosure(
            processor="shipping",
            subject=locked.customer,
            kind=DisclosureKind.HANDOVER,
            what=", ".join(carriers.ShipTo.DISCLOSED_FIELDS),
            why=_("Shipping label for order %(number)s with %(carrier)s (%(code)s)")
            % {"number": locked.number, "carrier": chosen.name, "code": label.tracking_code},
            at=at,
            actor=_actor(actor),
        )
        _to_packed(order=locked, actor=actor, at=at, note=f"{chosen.name} {label.tracking_code}")
        _audit(actor=actor, obj=shipment, fields=["carrier", "service", "tracking_code"])
    return shipment


def _weight(order: Order) -> int:
    """A parcel's weight for the carrier's rate: 2.5 kg a unit (the demo range's average)."""
    return 2500 * sum(line.quantity for line in order.lines.all())


def mark_shipped(
    *,
    shipment: Shipment,
    actor: Actor | None,
    at: dt.datetime,
    noticed_at: dt.datetime | None = None,
) -> tuple[Shipment, bool]:
    """The carrier took the parcel: the order is shipped, each unit's warranty starts today.

    Returns (shipment, True) the first time; the second time nothing changes and (shipment,
    False) comes back, so a carrier's event after the warehouse's hand-over (or a double click)
    sends no second email. The shipping confirmation (TOS-13) is queued with the change and
    sent after the commit; ``noticed_at`` is when Hearth learnt of it (a carrier's event arrives
    after the fact), the email's time.
    """
    from hearth.fulfilment.emails import queue_shipping_confirmation
    from hearth.orders import services as order_services

    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if locked.shipped_at is not None:
            return locked, False
        day = at.astimezone(EASTERN).date()
        locked.shipped_at = at
        locked.shipped_on = day
        locked.status = rules.next_shipment_status(locked.status, ShipmentStatus.SHIPPED)
        locked.save(update_fields=["shipped_at", "shipped_on", "status"])
        Unit.objects.filter(order_line__order_id=locked.order_id).update(shipped_on=day)
        order = Order.objects.get(pk=locked.order_id)
        if order.status == "packed":
            order_services.mark_shipped(
                order=order,
                actor=_actor(actor),
                at=at,
                carrier=carriers.carrier(locked.carrier).name,
                tracking_number=locked.tracking_code,
            )
        _audit(actor=actor, obj=locked, fields=["shipped_at", "status"], changed=True)
        queue_shipping_confirmation(shipment=locked, at=noticed_at or at)
    for name in ("shipped_at", "shipped_on", "status"):
        setattr(shipment, name, getattr(locked, name))
    return locked, True


def ship_order(*, order: Order, actor: Actor | None, at: dt.datetime) -> tuple[Shipment, bool]:
    """The warehouse hands the parcel to the carrier's driver: ``mark_shipped`` of its shipment.

    ``no_label`` when there is no label yet; a second call changes nothing (False).
    """
    shipment = Shipment.objects.filter(order=order).first()
    if shipment is None:
        raise _refuse(
            FulfilmentErrorCode.NO_LABEL,
            _("Print the label before handing the parcel to the carrier."),
            field="order",
        )
    return mark_shipped(shipment=shipment, actor=actor, at=at)


def cancel_shipment(order: Order, actor: Actor | None, at: dt.datetime) -> None:
    """The order was cancelled before it shipped: its scanned serials go back on the shelf and
    its label is voided (registered with orders' ``on_shipment_cancelled``)."""
    from hearth.core.audit import AuditAction, record

    for unit in Unit.objects.filter(order_line__order=order):
        record(actor=_actor(actor), action=AuditAction.DELETED, obj=unit, fields=["serial"])
        unit.delete()
    shipment = Shipment.objects.filter(order=order, shipped_at__isnull=True).first()
    if shipment is not None:
        record(
            actor=_actor(actor), action=AuditAction.DELETED, obj=shipment, fields=["tracking_code"]
        )
        shipment.delete()


# --- Carrier tracking events (the signed webhook).


def record_carrier_events(
    *, carrier_key: str, body: bytes, signature: str, at: dt.datetime
) -> list[TrackingEvent]:
    """Take in a carrier's signed batch of tracking events; the new events recorded.

    Refused whole, nothing changed: an unknown carrier (404), a bad or stale signature
    (``bad_signature``, 401), a body that does not parse (400), an event for a tracking code this
    carrier never gave us (``unknown_tracking_code``, 404). An event seen before is skipped. The
    first event means the carrier has the parcel (shipped, with its email); delivered ends the
    order; returned to sender and lost open a case for customer care.
    """
    chosen = carriers.carrier(carrier_key)
    if not rules.signature_valid(
        secret=chosen.webhook_secret, header=signature, body=body, now_unix=int(at.timestamp())
    ):
        raise DomainError(
            FulfilmentErrorCode.BAD_SIGNATURE,
            _("The signature does not match this body, or it is too old."),
            status=401,
        )
    events = chosen.parse_events(body)
    codes = {e.tracking_code for e in events}
    shipments = {
        s.tracking_code: s
        for s in Shipment.objects.filter(carrier=chosen.key, tracking_code__in=codes)
    }
    unknown = sorted(codes - shipments.keys())
    if unknown:
        raise DomainError(
            FulfilmentErrorCode.UNKNOWN_TRACKING_CODE,
            _("Unknown tracking code: %(codes)s.") % {"codes": ", ".join(unknown)},
            field="pin",
            status=404,
        )
    recorded: list[TrackingEvent] = []
    with transaction.atomic():
        for event in sorted(events, key=lambda e: e.at):
            shipment = Shipment.objects.select_for_update().get(
                pk=shipments[event.tracking_code].pk
            )
            if TrackingEvent.objects.filter(
                shipment=shipment, carrier_event_id=event.event_id
            ).exists():
                continue
            recorded.append(
                TrackingEvent.objects.create(
                    shipment=shipment,
                    carrier_event_id=event.event_id,
                    kind=event.kind,
                    code=event.code,
                    description=event.description,
                    location=event.location,
                    at=event.at,
                    received_at=at,
                )
            )
            _apply_event(shipment=shipment, kind=event.kind, event_at=event.at, received_at=at)
    return recorded


#: Called inside the tracking event's transaction as ``callback(order=, shipment=, at=)`` when
#: a shipment is delivered (after the order is marked delivered): aftersales closes an RMA whose
#: replacement arrived. Fulfilment imports no app that registers here.
_DELIVERED: list[Callable[..., None]] = []


def on_delivered(callback: Callable[..., None]) -> None:
    """Register a callback run when a shipment is delivered (see ``_DELIVERED``)."""
    if callback not in _DELIVERED:
        _DELIVERED.append(callback)


def _apply_event(
    *,
    shipment: Shipment,
    kind: rules.ShipmentStatus,
    event_at: dt.datetime,
    received_at: dt.datetime,
) -> None:
    from hearth.orders import services as order_services

    if shipment.shipped_at is None:
        shipment, _changed = mark_shipped(
            shipment=shipment, actor=None, at=event_at, noticed_at=received_at
        )
        shipment.refresh_from_db()
    before = rules.ShipmentStatus(shipment.status)
    after = rules.next_shipment_status(before, kind)
    if after is before:
        return
    shipment.status = after
    fields = ["status"]
    order = Order.objects.get(pk=shipment.order_id)
    if after is rules.ShipmentStatus.DELIVERED:
        shipment.delivered_at = event_at
        fields.append("delivered_at")
        if order.status == "shipped":
            order_services.mark_delivered(order=order, actor=None, at=event_at)
    elif after in rules.EXCEPTIONS:
        DeliveryExceptionCase.objects.get_or_create(
            shipment=shipment, kind=after.value, defaults={"opened_at": event_at}
        )
        if order.status == "shipped":
            order_services.mark_exception(order=order, kind=after.value, actor=None, at=event_at)
    shipment.save(update_fields=fields)
    _audit(actor=None, obj=shipment, fields=fields, changed=True)
    if after is rules.ShipmentStatus.DELIVERED:
        order.refresh_from_db()
        for callback in _DELIVERED:
            callback(order=order, shipment=shipment, at=event_at)


def resolve_exception_case(
    *, case: DeliveryExceptionCase, note: str, actor: Actor | None, at: dt.datetime
) -> DeliveryExceptionCase:
    """A care agent closes the case with what was done (reshipped, refunded, customer told)."""
    with transaction.atomic():
        locked = DeliveryExceptionCase.objects.select_for_update().get(pk=case.pk)
        if locked.state == DeliveryExceptionCase.State.RESOLVED:
            raise DomainError(
                FulfilmentErrorCode.CASE_ALREADY_RESOLVED,
                _("This case is already resolved."),
                status=409,
            )
        if not note.strip():
            raise DomainError(
                FulfilmentErrorCode.MISSING_REFERENCE,
                _("Say what was done for the customer."),
                field="note",
            )
        locked.state = DeliveryExceptionCase.State.RESOLVED
        locked.note = note.strip()
        locked.resolved_at = at
        locked.resolved_by = _actor(actor)
        locked.save(update_fields=["state", "note", "resolved_at", "resolved_by"])
        _audit(actor=actor, obj=locked, fields=["state", "note"], changed=True)
    return locked


# --- Stock: receiving and adjustments.


def _quantity(value: Any, *, allow_negative: bool) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value == 0
        or (value < 0 and not allow_negative)
    ):
        message = (
            _("Enter a whole number other than zero.")
            if allow_negative
            else _("Enter a whole number of units received, at least 1.")
        )
        raise DomainError(FulfilmentErrorCode.INVALID_QUANTITY, message, field="quantity")
    return value


def _known_sku(sku: str) -> str:
    sku = str(sku).strip().upper()
    if not catalog_selectors.variant_exists(sku):
        raise DomainError(
            FulfilmentErrorCode.UNKNOWN_SKU,
            _("There is no product with the code %(sku)s.") % {"sku": sku or "—"},
            field="sku",
        )
    return sku


def receive_stock(
    *,
    sku: str,
    quantity: int,
    reference: str,
    actor: Actor | None,
    at: dt.datetime,
    rest_expected_ship_date: dt.date | None = None,
) -> StockReceipt:
    """Units of a SKU arrived from the supplier, the receipt kept. The orders app first sets
    units aside for the pre-orders and backorders waiting for them, oldest first
    (``allocate_received_stock``); what is left over goes to stock on hand. The orders still
    waiting after it are re-dated to ``rest_expected_ship_date``, which the variant also takes,
    one email per re-dated order (TOS-20).

    Refused, nothing changed: a quantity that is not a whole number of at least 1, an empty
    reference, an unknown SKU, no ``rest_expected_ship_date`` while orders would still wait
    (``rest_date_required``), one before today in Toronto (``rest_date_in_past``).
    """
    quantity = _quantity(quantity, allow_negative=False)
    sku = _known_sku(sku)
    reference = " ".join(str(reference).split())
    if not reference:
        raise DomainError(
            FulfilmentErrorCode.MISSING_REFERENCE,
            _("Enter the delivery's reference (supplier's packing list or PO number)."),
            field="reference",
        )
    with transaction.atomic():
        from hearth.orders.selectors import orders_waiting_after_receipt
        from hearth.orders.services import allocate_received_stock

        still_waiting = orders_waiting_after_receipt(sku=sku, quantity=quantity)
        _check_rest_date(
            sku=sku,
            still_waiting=still_waiting,
            date=rest_expected_ship_date,
            today=at.astimezone(EASTERN).date(),
        )
        allocation = allocate_received_stock(
            variant=sku,
            quantity=quantity,
            actor=_actor(actor),
            at=at,
            next_expected_ship_date=rest_expected_ship_date,
        )
        catalog_services.change_stock(sku=sku, delta=allocation.left_over)
        receipt = StockReceipt.objects.create(
            sku=sku,
            quantity=quantity,
            reference=reference[:80],
            received_at=at,
            received_by=_actor(actor),
        )
        _audit(actor=actor, obj=receipt, fields=["sku", "quantity", "reference"])
    return receipt


def _check_rest_date(*, sku: str, still_waiting: int, date: dt.date | None, today: dt.date) -> None:
    problem = rules.rest_date_problem(still_waiting=still_waiting, date=date, today=today)
    if problem is rules.RestDateProblem.REQUIRED:
        raise DomainError(
            FulfilmentErrorCode.REST_DATE_REQUIRED,
            ngettext(
                "%(count)d order would still wait for %(sku)s after this receipt: enter the "
                "expected ship date for the rest.",
                "%(count)d orders would still wait for %(sku)s after this receipt: enter the "
                "expected ship date for the rest.",
                still_waiting,
            )
            % {"count": still_waiting, "sku": sku},
            field="rest_expected_ship_date",
        )
    if problem is rules.RestDateProblem.IN_THE_PAST:
        raise DomainError(
            FulfilmentErrorCode.REST_DATE_IN_PAST,
            _("The expected ship date for the rest cannot be in the past (today is %(today)s).")
            % {"today": today.isoformat()},
            field="rest_expected_ship_date",
        )


def adjust_stock(
    *, sku: str, delta: int, reason: str, note: str = "", actor: Actor | None, at: dt.datetime
) -> StockAdjustment:
    """Change stock on hand for a reason (damaged, count correction, found, ...), on record.

    Refused, nothing changed: a zero or non-whole change, an unknown reason or SKU, a change that
    would take stock on hand below zero.
    """
    delta = _quantity(delta, allow_negative=True)
    if reason not in AdjustmentReason.values:
        raise DomainError(
            FulfilmentErrorCode.UNKNOWN_REASON,
            _("Choose the reason for the change."),
            field="reason",
        )
    sku = _known_sku(sku)
    with transaction.atomic():
        try:
            after = catalog_services.change_stock(sku=sku, delta=delta)
        except DomainError as error:
            raise DomainError(
                FulfilmentErrorCode.STOCK_WOULD_BE_NEGATIVE,
                error.message,
                field="quantity",
                status=409,
            ) from None
        adjustment = StockAdjustment.objects.create(
            sku=sku,
            delta=delta,
            stock_after=after,
            reason=reason,
            note=" ".join(note.split())[:200],
            at=at,
            actor=_actor(actor),
        )
        _audit(actor=actor, obj=adjustment, fields=["sku", "delta", "reason", "note"])
    return adjustment


# --- Returned units (issue #13): after inspection, back to stock, to refurbishment or to scrap.


def move_returned_unit(
    *, serial: str, sku: str, disposition: str, reference: str, actor: Actor | None, at: dt.datetime
) -> ReturnMovement:
    """A returned unit leaves inspection as a stock movement, on record and audited.

    ``restock``: the unit is sellable again. Like a receipt, it goes first to the oldest order
    waiting for its SKU (``allocate_received_stock``), else to stock on hand; ``stock_after`` is
    the stock on hand after it; its sale's ``Unit`` row is marked restocked, so its serial can
    be packed for another order (a new row). ``refurbish`` and ``scrap`` leave sellable stock
    unchanged.
    ``reference`` is the RMA number. Refused, nothing changed: an unknown disposition or SKU, an
    empty reference, the same unit moved twice for the same RMA (``already_moved``, 409).
    """
    value = normalise_serial(serial)
    if disposition not in ReturnDisposition.values:
        raise DomainError(
            FulfilmentErrorCode.UNKNOWN_DISPOSITION,
            _("Choose where the unit goes: back to stock, refurbishment or scrap."),
            field="disposition",
        )
    sku = _known_sku(sku)
    reference = " ".join(str(reference).split())
    if not reference or not value:
        raise DomainError(
            FulfilmentErrorCode.MISSING_REFERENCE,
            _("A returned unit moves with its serial number and its RMA."),
            field="reference" if value else "serial",
        )
    with transaction.atomic():
        if ReturnMovement.objects.filter(serial=value, reference=reference).exists():
            raise DomainError(
                FulfilmentErrorCode.ALREADY_MOVED,
                _("Unit %(serial)s of %(rma)s has already left inspection.")
                % {"serial": value, "rma": reference},
                field="serial",
                status=409,
            )
        unit = Unit.objects.filter(serial=value, restocked_at__isnull=True).first()
        stock_after = None
        if disposition == ReturnDisposition.RESTOCK:
            from hearth.orders.services import allocate_received_stock

            allocation = allocate_received_stock(
                variant=sku, quantity=1, actor=_actor(actor), at=at
            )
            stock_after = catalog_services.change_stock(sku=sku, delta=allocation.left_over)
        try:
            with transaction.atomic():
                movement = ReturnMovement.objects.create(
                    serial=value,
                    sku=sku,
                    unit=unit,
                    disposition=disposition,
                    reference=reference[:40],
                    stock_after=stock_after,
                    at=at,
                    actor=_actor(actor),
                )
        except IntegrityError:  # moved at another bench at the same moment
            raise DomainError(
                FulfilmentErrorCode.ALREADY_MOVED,
                _("Unit %(serial)s of %(rma)s has already left inspection.")
                % {"serial": value, "rma": reference},
                field="serial",
                status=409,
            ) from None
        _audit(actor=actor, obj=movement, fields=["serial", "sku", "disposition", "reference"])
        if unit is not None and disposition == ReturnDisposition.RESTOCK:
            # This sale of the serial is over: the unit may be packed for another order.
            unit.restocked_at = at
            unit.save(update_fields=["restocked_at"])
            _audit(actor=actor, obj=unit, fields=["restocked_at"], changed=True)
    return movement


# --- The guest's tracking look-up (rate-limited).

LOOKUP_LIMIT = 10
LOOKUP_WINDOW = dt.timedelta(minutes=15)


def client_key(raw: str) -> str:
    """A keyed hash of the client's address: the limit works without keeping the address."""
    return hmac.new(settings.SECRET_KEY.encode(), raw.encode(), hashlib.sha256).hexdigest()


def count_lookup(*, client: str, at: dt.datetime) -> None:
    """Count one look-up by ``client``; ``lookup_throttled`` (429) past the limit in the window."""
    with transaction.atomic():
        TrackingLookup.objects.filter(at__lt=at - LOOKUP_WINDOW).delete()
        recent = TrackingLookup.objects.filter(client=client, at__gte=at - LOOKUP_WINDOW).count()
        if recent >= LOOKUP_LIMIT:
            raise DomainError(
                FulfilmentErrorCode.LOOKUP_THROTTLED,
                _("Too many look-ups from here. Try again in 15 minutes."),
                status=429,
            )
        TrackingLookup.objects.create(client=client, at=at)
