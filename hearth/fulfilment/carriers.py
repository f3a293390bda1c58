"""The carrier interface (rates, label, tracking events) and the built-in sandbox carrier.

A carrier is configured in ``settings.HEARTH_CARRIERS`` (key -> class path, name, webhook secret,
tracking URL). Hearth talks to it through :class:`Carrier` only: it gets what shipping needs (the
recipient's name, address and phone) and nothing else (PP-7), gives back a label (PDF) and a
tracking code, and later posts signed tracking events to ``/carriers/<key>/events/``.

The sandbox carrier behaves like Canada Post's or Purolator's test environment: 16-digit tracking
PINs, a 4x6 inch label with a Code 128 barcode of the PIN, numbered event codes, and rates for the
two services the shop sells. Its events are driven by ``manage.py simulate_carrier``, which posts
them through the real, signed webhook.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import inch, mm
from reportlab.pdfgen.canvas import Canvas

from hearth.core.errors import DomainError
from hearth.core.l10n import human_date
from hearth.fulfilment.errors import FulfilmentErrorCode
from hearth.fulfilment.rules import ShipmentStatus


@dataclass(frozen=True, slots=True)
class ShipTo:
    """Everything a carrier receives about the recipient: name, address, phone (PP-7)."""

    name: str
    lines: tuple[str, ...]
    city: str
    province: str
    postal_code: str
    country: str
    phone: str

    #: What the disclosure log records as handed over (fields of orders.Order).
    DISCLOSED_FIELDS: ClassVar[tuple[str, ...]] = (
        "orders.Order.contact_name",
        "orders.Order.address_lines",
        "orders.Order.city",
        "orders.Order.province",
        "orders.Order.postal_code",
        "orders.Order.phone",
    )


@dataclass(frozen=True, slots=True)
class Parcel:
    weight_grams: int
    reference: str  # the order number, printed on the label


@dataclass(frozen=True, slots=True)
class Rate:
    service: str
    amount: Decimal
    transit_business_days: int


@dataclass(frozen=True, slots=True)
class Label:
    tracking_code: str
    service: str
    pdf: bytes


@dataclass(frozen=True, slots=True)
class CarrierEvent:
    """One tracking event, parsed from a carrier's webhook body into Hearth's words."""

    event_id: str
    tracking_code: str
    kind: ShipmentStatus
    code: str
    description: str
    location: str
    at: dt.datetime


class Carrier(Protocol):
    key: str
    name: str
    webhook_secret: str

    def rates(self, *, ship_to: ShipTo, parcel: Parcel) -> list[Rate]: ...

    def create_label(
        self, *, ship_to: ShipTo, parcel: Parcel, service: str, ship_date: dt.date
    ) -> Label: ...

    def return_label(
        self, *, ship_from: ShipTo, ship_to: ShipTo, parcel: Parcel, ship_date: dt.date
    ) -> Label: ...

    def tracking_url(self, tracking_code: str) -> str: ...

    def parse_events(self, body: bytes) -> list[CarrierEvent]: ...


# --- The sandbox carrier.


@dataclass(frozen=True, slots=True)
class SandboxEventCode:
    code: str
    kind: ShipmentStatus
    description: str


#: The sandbox's event codes, numbered in the style of Canada Post's tracking events.
SANDBOX_EVENTS: Mapping[str, SandboxEventCode] = {
    e.code: e
    for e in (
        SandboxEventCode("0100", ShipmentStatus.SHIPPED, "Item accepted at the depot"),
        SandboxEventCode("0170", ShipmentStatus.IN_TRANSIT, "Item processed at the sorting centre"),
        SandboxEventCode("0174", ShipmentStatus.OUT_FOR_DELIVERY, "Item out for delivery"),
        SandboxEventCode("1496", ShipmentStatus.DELIVERED, "Item successfully delivered"),
        SandboxEventCode("0167", ShipmentStatus.RETURNED_TO_SENDER, "Item returned to sender"),
        SandboxEventCode("0900", ShipmentStatus.LOST, "Item could not be located: declared lost"),
    )
}
#: The code the simulator sends for each step of a journey.
SANDBOX_CODE_OF: Mapping[ShipmentStatus, str] = {e.kind: e.code for e in SANDBOX_EVENTS.values()}

#: Base rates (CAD, before tax) and transit days per service; a surcharge per started kilogram.
SANDBOX_SERVICES: Mapping[str, tuple[Decimal, Decimal, int]] = {
    "standard": (Decimal("11.50"), Decimal("1.25"), 3),
    "express": (Decimal("21.75"), Decimal("2.10"), 1),
}


class SandboxCarrier:
    """Northern Parcel's sandbox: deterministic PINs, a real PDF label, signed webhooks."""

    def __init__(self, *, key: str, name: str, webhook_secret: str, tracking_url: str) -> None:
        self.key = key
        self.name = name
        self.webhook_secret = webhook_secret
        self._tracking_url = tracking_url

    def rates(self, *, ship_to: ShipTo, parcel: Parcel) -> list[Rate]:
        kilos = max(1, -(-parcel.weight_grams // 1000))
        return [
            Rate(service, base + per_kilo * (kilos - 1), days)
            for service, (base, per_kilo, days) in SANDBOX_SERVICES.items()
        ]

    def tracking_code_for(self, reference: str) -> str:
        """A 16-digit PIN, the same for the same reference (the sandbox is deterministic)."""
        digest = hashlib.sha256(f"{self.key}:{reference}".encode()).hexdigest()
        return str(int(digest[:15], 16) % 10**16).zfill(16)

    def create_label(
        self, *, ship_to: ShipTo, parcel: Parcel, service: str, ship_date: dt.date
    ) -> Label:
        if service not in SANDBOX_SERVICES:
            raise DomainError(
                FulfilmentErrorCode.UNKNOWN_METHOD,
                _("The carrier does not offer the service %(service)s.") % {"service": service},
                field="service",
            )
        code = self.tracking_code_for(parcel.reference)
        pdf = render_label_pdf(
            carrier_name=self.name,
            tracking_code=code,
            service=service,
            ship_to=ship_to,
            sender=list(settings.HEARTH_BRAND.get("legal_address", [])),
            sender_name=str(settings.HEARTH_BRAND.get("legal_name", "")),
            reference=parcel.reference,
            ship_date=ship_date,
        )
        return Label(code, service, pdf)

    def return_label(
        self, *, ship_from: ShipTo, ship_to: ShipTo, parcel: Parcel, ship_date: dt.date
    ) -> Label:
        """A prepaid return label (issue #13, TOS-24): from the customer to the warehouse,
        standard service, billed to the shop's account; ``parcel.reference`` is the RMA number."""
        code = self.tracking_code_for(f"return:{parcel.reference}")
        pdf = render_label_pdf(
            carrier_name=self.name,
            tracking_code=code,
            service="standard",
            ship_to=ship_to,
            sender=[
                *ship_from.lines,
                f"{ship_from.city} {ship_from.province}  {ship_from.postal_code}",
            ],
            sender_name=ship_from.name,
            reference=parcel.reference,
            ship_date=ship_date,
            prepaid_return=True,
        )
        return Label(code, "standard", pdf)

    def tracking_url(self, tracking_code: str) -> str:
        return self._tracking_url.format(code=tracking_code)

    def parse_events(self, body: bytes) -> list[CarrierEvent]:
        """``{"events": [{"event_id", "pin", "code", "occurred_at", "location"}]}``."""
        try:
            data = json.loads(body)
            items = data["events"]
            if not isinstance(items, list) or not items:
                raise ValueError("no events")
            events = []
            for item in items:
                known = SANDBOX_EVENTS[str(item["code"])]
                at = dt.datetime.fromisoformat(str(item["occurred_at"]))
                if at.tzinfo is None:
                    raise ValueError("naive timestamp")
                events.append(
                    CarrierEvent(
                        event_id=str(item["event_id"])[:64],
                        tracking_code=str(item["pin"])[:40],
                        kind=known.kind,
                        code=known.code,
                        description=known.description,
                        location=str(item.get("location", ""))[:120],
                        at=at,
                    )
                )
        except (ValueError, KeyError, TypeError) as error:
            raise DomainError(
                FulfilmentErrorCode.MALFORMED_EVENTS,
                _("The tracking events could not be read: %(reason)s.") % {"reason": error},
            ) from None
        return events

    @staticmethod
    def event_body(events: Sequence[Mapping[str, Any]]) -> bytes:
        """The JSON body the sandbox posts (the simulator and tests build it with this)."""
        return json.dumps({"events": list(events)}, separators=(",", ":")).encode()


# --- Registry.


@cache
def _carriers() -> dict[str, Carrier]:
    configured: Mapping[str, Mapping[str, Any]] = getattr(settings, "HEARTH_CARRIERS", {})
    found: dict[str, Carrier] = {}
    for key, conf in configured.items():
        cls = import_string(conf["class"])
        found[key] = cls(
            key=key,
            name=conf["name"],
            webhook_secret=conf.get("webhook_secret", ""),
            tracking_url=conf.get("tracking_url", "{code}"),
        )
    return found


def carrier(key: str) -> Carrier:
    """The configured carrier ``key``; DomainError ``unknown_carrier`` (404) otherwise."""
    found = _carriers().get(key)
    if found is None:
        raise DomainError(
            FulfilmentErrorCode.UNKNOWN_CARRIER, _("Unknown carrier."), field="carrier", status=404
        )
    return found


def default_carrier() -> Carrier:
    return carrier(getattr(settings, "HEARTH_DEFAULT_CARRIER", "sandbox"))


def reset_carriers() -> None:
    """Forget the configured carriers (tests that change settings call this)."""
    _carriers.cache_clear()


# --- Documents.


def render_label_pdf(
    *,
    carrier_name: str,
    tracking_code: str,
    service: str,
    ship_to: ShipTo,
    sender: list[str],
    sender_name: str,
    reference: str,
    ship_date: dt.date,
    prepaid_return: bool = False,
) -> bytes:
    """A 4x6 inch shipping label with a Code 128 barcode of the tracking code, in the active
    language (the caller wraps it in the order's or the RMA's language).

    ``prepaid_return``: a return label (postage paid by the shop), marked so on the label with
    a Code 128 barcode of the reference (the RMA number) for the warehouse's scanner.
    """
    width, height = 4 * inch, 6 * inch
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=(width, height), invariant=1, pageCompression=0)
    pdf.setTitle(f"{carrier_name} {tracking_code}")
    left = 6 * mm
    y = height - 9 * mm
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawString(left, y, carrier_name)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawRightString(width - left, y, service.upper())
    y -= 8 * mm
    pdf.setFont("Helvetica", 7)
    pdf.drawString(left, y, _("FROM: %(name)s") % {"name": sender_name})
    for line in sender:
        y -= 3.2 * mm
        pdf.drawString(left + 10 * mm, y, line)
    y -= 8 * mm
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(left, y, _("TO:"))
    pdf.setFont("Helvetica-Bold", 12)
    for line in (
        ship_to.name,
        *ship_to.lines,
        f"{ship_to.city} {ship_to.province}  {ship_to.postal_code}",
    ):
        pdf.drawString(left + 8 * mm, y, line)
        y -= 5.5 * mm
    pdf.setFont("Helvetica", 9)
    if ship_to.phone:
        pdf.drawString(left + 8 * mm, y, ship_to.phone)
        y -= 5 * mm
    pdf.line(left, y, width - left, y)
    barcode = Code128(tracking_code, barHeight=22 * mm, barWidth=0.38 * mm, humanReadable=False)
    y -= 28 * mm
    barcode.drawOn(pdf, (width - barcode.width) / 2, y)
    y -= 6 * mm
    pdf.setFont("Helvetica-Bold", 13)
    pdf.drawCentredString(width / 2, y, " ".join(tracking_code[i : i + 4] for i in range(0, 16, 4)))
    y -= 8 * mm
    pdf.setFont("Helvetica", 8)
    pdf.drawString(
        left,
        y,
        _("REF %(reference)s   SHIP %(day)s")
        % {"reference": reference, "day": human_date(ship_date)},
    )
    if prepaid_return:
        y -= 6 * mm
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawString(left, y, _("PREPAID RETURN - POSTAGE PAID BY SENDER'S MERCHANT"))
        reference_code = Code128(reference, barHeight=12 * mm, barWidth=0.3 * mm)
        y -= 16 * mm
        reference_code.drawOn(pdf, (width - reference_code.width) / 2, y)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
