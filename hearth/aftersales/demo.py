"""The after-sales demo (issue #13 "Done when"): a customer with delivered orders, placed and
shipped through the real services, so a newcomer can run at once a 45-day return, a covered
warranty claim, a claim not covered and an advance replacement (see the README's walk-through).

Idempotent: the customer and each order are made once (the orders by their idempotency keys);
a second run only reports what is there. Demo only (``demo_aftersales`` refuses production).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from django.db import transaction

from hearth.accounts.models import User
from hearth.core import clock
from hearth.fulfilment import carriers, simulator
from hearth.fulfilment import rules as fulfilment_rules
from hearth.fulfilment.models import Shipment, Unit
from hearth.orders.models import Order

DEMO_CUSTOMER = "demo.customer@example.com"
DEMO_CUSTOMER_PASSWORD = "ember-and-oak-customer"  # noqa: S105 - printed demo login, never in production
DEMO_CARD = "4242424242424242"  # the sandbox's approving Visa
#: A dealer-sold unit's serial (never shipped by us) for care's dealer form.
DEALER_SERIAL = "EO5B90000001"
ADDRESS = {
    "lines": ["100 Queen Street West"],
    "city": "Toronto",
    "province": "ON",
    "postal_code": "M5H 2N2",
    "country": "CA",
}


@dataclass(frozen=True)
class DemoOrder:
    key: str  # the idempotency key of the first generation (later ones add "-<n>")
    delivered_days_ago: int
    renew_after_days: int  # a delivery older than this no longer shows the flow: make another
    units: tuple[tuple[str, str], ...]  # (SKU, serial prefix of its format)
    purpose: str

    def key_of(self, generation: int) -> str:
        return self.key if generation == 1 else f"{self.key}-{generation}"

    def serials(self, generation: int) -> tuple[tuple[str, str], ...]:
        """(SKU, serial): the prefix, then 9 and the generation in 7 digits (the formats'
        8 digits; no real unit starts its run at 9 million)."""
        return tuple((sku, f"{prefix}9{generation:07d}") for sku, prefix in self.units)


ORDERS = (
    DemoOrder(
        "demo-aftersales-recent",
        10,
        30,  # the 45 days stay open for at least 5 more days
        (("EO-ONE-CHR", "EO1C"), ("EO-GO-CHR", "EOGC")),
        "45-day return (or a warranty claim)",
    ),
    DemoOrder(
        "demo-aftersales-older",
        200,
        330,  # the year of warranty stays open for at least a month more
        (("EO-FIVE-CHR", "EO5C"), ("EO-GO-BIR", "EOGB"), ("EO-ONE-BIR", "EO1B")),
        "warranty only (covered, not covered, advance replacement)",
    ),
)


def demo_customer(*, at: dt.datetime) -> User:
    """The demo customer, signed up through accounts with the email proven (example domain)."""
    from hearth.accounts.services import sign_up

    user = User.objects.filter(email=DEMO_CUSTOMER).first()
    if user is None:
        user = sign_up(
            email=DEMO_CUSTOMER,
            password=DEMO_CUSTOMER_PASSWORD,
            full_name="Dana Demo",
            adult_attested=True,
            marketing_email=False,
            at=at,
        )
    if user.email_verified_at is None:
        user.email_verified_at = at
        user.save(update_fields=["email_verified_at"])
    return user


def _card_token(at: dt.datetime) -> str:
    """A sandbox token made through the provider's own card page service (no PAN kept)."""
    from hearth.payments.models import HostedSession
    from hearth.payments.services import start_card_session, tokenise_card

    url = start_card_session(
        amount=Decimal("1.00"), reference="demo", return_url="/back/", cancel_url="/cancel/"
    )
    session_id = parse_qs(urlsplit(url).query)["session"][0]
    target = tokenise_card(
        session_id=session_id,
        kind=HostedSession.Kind.CARD,
        number=DEMO_CARD,
        exp_month=12,
        exp_year=at.year + 4,
        cvc="123",
        at=at,
    )
    return parse_qs(urlsplit(target).query)["payment_token"][0]


def deliver(order: Order, *, at: dt.datetime) -> None:
    """The sandbox carrier's signed tracking events for the order's parcel (shipped, in transit,
    out for delivery, delivered at ``at``), through the webhook's own service."""
    from hearth.fulfilment.services import record_carrier_events

    shipment = Shipment.objects.get(order=order)
    chosen = carriers.carrier(shipment.carrier)
    journey = simulator.JOURNEYS["delivered"]
    step = dt.timedelta(hours=6)
    events = simulator.journey_events(
        tracking_code=shipment.tracking_code,
        ending="delivered",
        start=at - step * (len(journey) - 1),
        step=step,
    )
    body = carriers.SandboxCarrier.event_body(events)
    signature = fulfilment_rules.signature_header(chosen.webhook_secret, int(at.timestamp()), body)
    record_carrier_events(carrier_key=chosen.key, body=body, signature=signature, at=at)


def _place(spec: DemoOrder, generation: int, customer: User, *, now: dt.datetime) -> Order:
    """Place, release, pick with serials, label, ship and deliver one order in the past."""
    from hearth.fulfilment.services import create_label, scan_serial, ship_order
    from hearth.orders import rules as order_rules
    from hearth.orders.services import place_order, release_order

    delivered_at = now - dt.timedelta(days=spec.delivered_days_ago)
    placed_at = delivered_at - dt.timedelta(days=3)
    shipped_at = delivered_at - dt.timedelta(days=2)
    lines: dict[str, int] = {}
    for sku, _serial in spec.serials(generation):
        lines[sku] = lines.get(sku, 0) + 1
    draft = order_rules.OrderDraft(
        lines=list(lines.items()),
        customer=customer,
        email=customer.email,
        name=customer.full_name or "Dana Demo",
        phone="+1 416 555 0199",
        shipping_address=ADDRESS,
        attestations=order_rules.Attestations(adult=True, end_user=True, accurate=True),
        shipping_method="standard",
    )
    with clock.frozen(placed_at):
        order = place_order(
            draft=draft,
            payment_token=_card_token(placed_at),
            payment_method="card",
            idempotency_key=spec.key_of(generation),
            channel="web",
            at=placed_at,
        )
        order = release_order(order=order, actor=None, at=placed_at)
    with clock.frozen(shipped_at):
        for _sku, serial in spec.serials(generation):
            scan_serial(order=order, serial=serial, actor=None, at=shipped_at)
        create_label(order=order, actor=None, at=shipped_at)
        ship_order(order=order, actor=None, at=shipped_at)
    with clock.frozen(delivered_at):
        deliver(order, at=delivered_at)
    order.refresh_from_db()
    return order


@dataclass(frozen=True)
class Made:
    order: Order
    spec: DemoOrder
    serials: tuple[tuple[str, str], ...]
    created: bool


def load(*, now: dt.datetime) -> tuple[User, list[Made]]:
    """Make (once) the demo customer and their delivered orders; what there is. An order whose
    delivery has grown too old for its flow (the demo database kept for weeks) is followed by a
    new generation with new serials; the old one stays (it may carry RMAs)."""
    customer = demo_customer(at=now - dt.timedelta(days=400))
    made = []
    for spec in ORDERS:
        generation = 1
        while True:
            existing = Order.objects.filter(idempotency_key=spec.key_of(generation)).first()
            if existing is None:
                break
            generation += 1
        latest = None
        if generation > 1:
            latest = Order.objects.get(idempotency_key=spec.key_of(generation - 1))
            fresh = latest.delivered_at is not None and latest.delivered_at >= now - dt.timedelta(
                days=spec.renew_after_days
            )
            if fresh:
                made.append(Made(latest, spec, spec.serials(generation - 1), created=False))
                continue
        serials = spec.serials(generation)
        if Unit.objects.filter(serial__in=[s for _k, s in serials]).exists():
            if latest is not None:  # the serials were used otherwise: leave it as it is
                made.append(Made(latest, spec, spec.serials(generation - 1), created=False))
            continue
        with transaction.atomic():
            order = _place(spec, generation, customer, now=now)
        made.append(Made(order, spec, serials, created=True))
    return customer, made
