"""Order writes: place (idempotent, one transaction), move status, release (capture), cancel
(refund), and the phone channel's customer look-up. Side effects (emails) run on commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from hearth.core import audit, enqueue
from hearth.core.audit import Actor, AuditAction
from hearth.core.clock import EASTERN
from hearth.core.email_address import valid_email_address
from hearth.core.enqueue import enqueue_on_commit
from hearth.core.errors import DomainError
from hearth.core.ids import random_numeric_id
from hearth.core.l10n import money
from hearth.core.languages import choose_language
from hearth.core.places import DeliveryAddress
from hearth.discounts import selectors as discount_selectors
from hearth.discounts import services as discounts
from hearth.orders import rules
from hearth.orders.errors import OrdersErrorCode, PaymentDeclined, RefusedAfterAuthorisation
from hearth.orders.models import (
    CancellationReason,
    HoldReason,
    Order,
    OrderEvent,
    OrderLine,
    OrderRefund,
    OrderStatus,
)
from hearth.orders.pricing import OrderPrice, price_order, pricing_draft, province_of
from hearth.orders.rules import OrderDraft
from hearth.privacy import rules as privacy_rules

if TYPE_CHECKING:
    from hearth.accounts.models import User

STANDARD = "standard"
ZERO = Decimal("0.00")


# --- Status machine.


def _move_refused(current: str, to: str) -> DomainError:
    return DomainError(
        OrdersErrorCode.MOVE_NOT_ALLOWED,
        _("An order that is %(current)s cannot become %(to)s.")
        % {
            "current": OrderStatus(current).label,
            "to": OrderStatus(to).label if to in OrderStatus.values else to,
        },
        status=409,
    )


def set_status(
    *, order: Order, to: str, actor: Actor | None, at: dt.datetime, note: str = "", **changes: Any
) -> Order:
    """The one transition: move ``order`` to ``to`` if ``rules.ALLOWED_MOVES`` allows it, under a
    row lock, recording an ``OrderEvent`` with the actor. Refused moves change nothing.

    ``changes`` are other fields saved with the move (e.g. ``released_at``).
    """
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if not rules.may_move(locked.status, to):
            raise _move_refused(locked.status, to)
        OrderEvent.objects.create(
            order=locked,
            from_status=locked.status,
            to_status=to,
            actor=_user(actor),
            at=at,
            note=note,
        )
        locked.status = to
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", *changes])
        audit.record(
            actor=actor,
            action=AuditAction.STATE_CHANGED,
            obj=locked,
            fields=["status", *changes],
        )
    for name in ("status", *changes):
        setattr(order, name, getattr(locked, name))
    return locked


def hold_order(
    *, order: Order, reason: str, actor: Actor | None, at: dt.datetime, note: str = ""
) -> Order:
    """Put a placed order on hold for acceptance review (TOS-21): it cannot be picked."""
    if reason not in HoldReason.values:
        raise DomainError(
            OrdersErrorCode.UNKNOWN_HOLD_REASON,
            _("Choose why the order is held."),
            field="reason",
        )
    return set_status(
        order=order,
        to=OrderStatus.ON_HOLD,
        actor=actor,
        at=at,
        note=note or str(HoldReason(reason).label),
        hold_reason=reason,
    )


# --- What the warehouse calls (see README): each is one move of the lifecycle.


def start_picking(*, order: Order, actor: Actor | None, at: dt.datetime) -> Order:
    """released -> picking. Refused for anything not released (on hold, cancelled, ...)."""
    return set_status(order=order, to=OrderStatus.PICKING, actor=actor, at=at)


def mark_packed(*, order: Order, actor: Actor | None, at: dt.datetime, note: str = "") -> Order:
    """picking -> packed."""
    return set_status(order=order, to=OrderStatus.PACKED, actor=actor, at=at, note=note)


def mark_shipped(
    *,
    order: Order,
    actor: Actor | None,
    at: dt.datetime,
    carrier: str = "",
    tracking_number: str = "",
) -> Order:
    """packed -> shipped, recording the carrier and tracking number in the event.

    Refused (nothing changed) for an order on hold, cancelled, refunded or not yet packed.
    """
    note = " ".join(part for part in (carrier, tracking_number) if part)
    return set_status(
        order=order, to=OrderStatus.SHIPPED, actor=actor, at=at, note=note, shipped_at=at
    )


def mark_delivered(*, order: Order, actor: Actor | None, at: dt.datetime, note: str = "") -> Order:
    """shipped -> delivered (a carrier's webhook or a person)."""
    return set_status(
        order=order, to=OrderStatus.DELIVERED, actor=actor, at=at, note=note, delivered_at=at
    )


def mark_exception(
    *, order: Order, kind: str, actor: Actor | None, at: dt.datetime, note: str = ""
) -> Order:
    """shipped -> returned_to_sender | lost (``kind`` a ``rules.ShipmentException``)."""
    try:
        to = rules.ShipmentException(kind)
    except ValueError:
        raise DomainError(
            OrdersErrorCode.UNKNOWN_EXCEPTION,
            _("A shipment exception is either returned to sender or lost."),
            field="kind",
        ) from None
    return set_status(order=order, to=to.value, actor=actor, at=at, note=note)


#: Called, inside the cancelling transaction, with (order, actor, at) when an order that was
#: released is cancelled: fulfilment cancels its pick, shipment and label first.
_SHIPMENT_CANCELLERS: list[Callable[..., None]] = []


def on_shipment_cancelled(callback: Callable[..., None]) -> None:
    """Register fulfilment's canceller (orders depends on nothing in fulfilment's writes)."""
    if callback not in _SHIPMENT_CANCELLERS:
        _SHIPMENT_CANCELLERS.append(callback)


def _user(actor: Actor | None) -> User | None:
    """The user behind ``actor`` for user foreign keys (None for the system or a visitor)."""
    if isinstance(actor, AbstractBaseUser) and actor.is_authenticated:
        return cast("User", actor)  # AUTH_USER_MODEL is accounts.User
    return None


# --- Placing an order.


def _check_draft(draft: OrderDraft, *, channel: str, payment_method: str) -> list[tuple[str, int]]:
    if channel not in rules.SELLING_CHANNELS:
        raise DomainError(OrdersErrorCode.UNKNOWN_CHANNEL, _("Unknown channel."), field="channel")
    if payment_method not in rules.PaymentMethod.__members__.values():
        raise DomainError(
            OrdersErrorCode.UNKNOWN_PAYMENT_METHOD,
            _("Choose a payment method: card or PayPal."),
            field="payment_method",
        )
    missing = rules.missing_attestation(draft.attestations)
    if missing is not None:
        messages = {
            "adult": _(
                "Confirm that you are 18 or older (and authorised, if buying for a company)."
            ),
            "end_user": _("Confirm that you are the end user and will not resell the products."),
            "accurate": _("Confirm that the information you gave is accurate and complete."),
        }
        raise DomainError(
            OrdersErrorCode.ATTESTATION_REQUIRED, messages[missing], field=f"attestations.{missing}"
        )
    if privacy_rules.choices_conflict(
        express_ticked=draft.marketing_opt_in, opted_out=draft.marketing_opt_out
    ):
        raise DomainError(
            OrdersErrorCode.MARKETING_CHOICES_CONFLICT,
            _(
                "You asked for news and offers and also not to be emailed about products: "
                "untick one of the two boxes."
            ),
            field="marketing_opt_out",
        )
    if draft.bc_pst_number and channel != rules.Channel.PHONE:
        raise DomainError(
            OrdersErrorCode.BC_PST_PHONE_ONLY,
            _("A purchase for resale with a BC PST number is made through our sales office."),
            field="bc_pst_number",
        )
    if not draft.email or not draft.name:
        field = "email" if not draft.email else "name"
        raise DomainError(
            OrdersErrorCode.MISSING_CONTACT, _("Give a name and an email address."), field=field
        )
    if valid_email_address(draft.email) is None:
        # Before any payment: an order whose confirmation and invoice cannot be sent is not
        # placed (issue #10 item 19).
        raise DomainError(
            OrdersErrorCode.INVALID_EMAIL,
            _("Enter a valid email address, such as name@example.com."),
            field="email",
        )
    if not draft.lines:
        raise DomainError(OrdersErrorCode.NO_LINES, _("The order has no products."), field="lines")
    bad = rules.bad_quantity(draft.lines)
    if bad is not None:
        raise DomainError(
            OrdersErrorCode.INVALID_QUANTITY,
            _("Quantities are whole numbers from 1 to %(max)d.") % {"max": rules.MAX_QUANTITY},
            field=f"lines.{bad}",
        )
    return rules.merged_lines(draft.lines)


def _checked_address(draft: OrderDraft) -> DeliveryAddress:
    from hearth.fulfilment.selectors import check_delivery_address

    raw = draft.shipping_address
    lines = raw.get("lines") or []
    if isinstance(lines, str):
        lines = lines.splitlines()
    lines = [str(line).strip() for line in lines if str(line).strip()]
    result = check_delivery_address(
        lines=lines,
        city=str(raw.get("city") or ""),
        province=str(raw.get("province") or ""),
        postal_code=str(raw.get("postal_code") or ""),
        country=str(raw.get("country") or ""),
    )
    if not result.accepted:
        fields = {f"shipping_address.{p.field}": p.message for p in result.problems}
        raise DomainError(
            OrdersErrorCode.ADDRESS_REFUSED, result.problems[0].message, fields=fields
        )
    return DeliveryAddress(
        lines=tuple(result.lines or lines),
        city=str(raw.get("city") or "").strip(),
        province=province_of(result.province),
        postal_code=result.postal_code or "",
        country=result.country or "",
    )


def _variants(lines: list[tuple[str, int]]) -> dict[str, Any]:
    """The lines' variants with their products (one query), for pricing and the stock check."""
    from hearth.catalog.selectors import variants_by_sku

    return dict(variants_by_sku([sku for sku, _q in lines]))


def _priced(
    lines: list[tuple[str, int]], variants: dict[str, Any] | None = None
) -> list[rules.PricedLine]:
    if variants is None:
        variants = _variants(lines)
    priced: list[rules.PricedLine] = []
    for sku, quantity in lines:
        variant = variants.get(sku)
        if variant is None:
            raise DomainError(
                OrdersErrorCode.UNKNOWN_SKU,
                _("There is no product %(sku)s.") % {"sku": sku},
                field=f"lines.{sku}",
            )
        if not variant.product.is_active:
            raise DomainError(
                OrdersErrorCode.NOT_FOR_SALE,
                _("%(name)s is no longer for sale.") % {"name": variant.product.display_name},
                field=f"lines.{sku}",
            )
        priced.append(
            rules.PricedLine(
                sku=variant.sku,
                name=variant.product.display_name,  # in the language the order is placed in
                colour=variant.display_colour,
                unit_price=variant.price,
                quantity=quantity,
                availability=str(variant.availability),
                expected_ship_date=variant.expected_ship_date,
            )
        )
    return priced


def _discount(draft: OrderDraft, goods: Decimal, at: dt.datetime) -> Decimal:
    """The amount the draft's code takes off, read without redeeming (see ``_redeem``)."""
    if not draft.discount_code:
        return ZERO
    return Decimal(
        discounts.amount_off(code=draft.discount_code, subtotal=goods, email=draft.email, at=at)
    )


def _redeem(
    draft: OrderDraft, goods: Decimal, at: dt.datetime, number: str, discount: Decimal
) -> None:
    """Redeem the draft's code for order ``number`` at the amount it was priced with."""
    if draft.discount_code:
        discounts.redeem(
            code=draft.discount_code,
            subtotal=goods,
            email=draft.email,
            at=at,
            order_number=number,
            expected=discount,
        )


def _estimate(
    at: dt.datetime, confirmed_at: dt.datetime | None, plan: rules.ShipPlan, method: str
) -> tuple[dt.date | None, dt.date | None, dt.date | None, Decimal]:
    """(ship date, delivery from, delivery by, shipping fee): ``selectors.ship_dates``."""
    from hearth.orders.selectors import ship_dates

    lines = [("preorder", plan.ship_from)] if plan.delayed else []
    dates = ship_dates(placed_at=at, confirmed_at=confirmed_at, method=method, lines=lines)
    return dates.ship_date, dates.delivery_earliest, dates.delivery_latest, dates.shipping_fee


def _drawn_number() -> str:
    """A random order number, not checked yet."""
    return f"EO-{random_numeric_id(8)}"


def _new_number() -> str:
    """A random order number no order has."""
    while True:
        number = _drawn_number()
        if not Order.objects.filter(number=number).exists():
            return number


@dataclass(frozen=True)
class PlacedOrder:
    """What placing did: the order, and whether this call created it (False: a replay)."""

    order: Order
    created: bool


def place_order(
    *,
    draft: OrderDraft,
    payment_token: str,
    payment_method: str,
    idempotency_key: str,
    channel: str,
    at: dt.datetime,
    actor: Actor | None = None,
    request_hash: str = "",
    reviewed_price: str = "",
) -> Order:
    """Place an order in one transaction (TOS-1, 3, 4, 5, 9, 11, 12, 20, 21, 25, 26).

    A replay with the same ``idempotency_key`` returns the order it placed and charges nothing
    again. A declined payment raises :class:`PaymentDeclined` and keeps nothing (the provider
    keeps its record of the attempt, with the fraud flag of a stolen card).
    """
    return place_order_or_replay(
        draft=draft,
        payment_token=payment_token,
        payment_method=payment_method,
        idempotency_key=idempotency_key,
        channel=channel,
        at=at,
        actor=actor,
        request_hash=request_hash,
        reviewed_price=reviewed_price,
    ).order


def _replayed(order: Order, *, request_hash: str) -> PlacedOrder:
    if not rules.replay_matches(stored=order.request_hash, given=request_hash):
        raise DomainError(
            OrdersErrorCode.IDEMPOTENCY_KEY_MISMATCH,
            _(
                "This Idempotency-Key was already used with a different request: send the same "
                "request to replay it, or a new key for a new order."
            ),
            field="Idempotency-Key",
            status=422,
        )
    return PlacedOrder(order=order, created=False)


def place_order_or_replay(
    *,
    draft: OrderDraft,
    payment_token: str,
    payment_method: str,
    idempotency_key: str,
    channel: str,
    at: dt.datetime,
    actor: Actor | None = None,
    request_hash: str = "",
    reviewed_price: str = "",
) -> PlacedOrder:
    """:func:`place_order`, saying whether this call placed the order (issue #10 item 20).

    ``reviewed_price`` is the :func:`rules.price_fingerprint` of the price the customer
    reviewed (the web checkout's ``basket_version``). When given, placing prices the order
    (inside its transaction) and refuses with ``price_changed`` (409, field ``basket_version``)
    before any payment if the price differs: the lines or a price changed since the review.

    ``request_hash`` is the fingerprint of the caller's request (``rules.request_fingerprint``);
    a replay of the key with another fingerprint raises ``idempotency_key_mismatch`` (422). Two
    concurrent calls with one key place one order: the unique key makes the loser's transaction
    fail, roll back (stock and payment included) and answer as a replay.

    The order of the steps keeps the hot rows locked for as short a time as possible: price
    (reads only, and a check that the stock read covers each line), authorise the payment, then
    in a savepoint create the order, redeem the discount and take the stock last, so that a
    buyer of the same product waits on its stock row only for the rest of this commit, not for
    the authorisation. The reading that follows: a card can be authorised and then voided when
    the last unit sold between the check and the reservation. Then the savepoint is rolled back
    (no order, no redemption, no emails, no tasks), the authorisation is voided (recorded with
    the payment) and the same ``out_of_stock`` error as a check before payment is raised; the
    same for a discount used up meanwhile. A declined payment reserved nothing, so releases
    nothing.
    """
    # One read answers both: was this key placed already, and is the number drawn free?
    number = _drawn_number()
    found = list(Order.objects.filter(Q(idempotency_key=idempotency_key) | Q(number=number)))
    existing = next((o for o in found if o.idempotency_key == idempotency_key), None)
    if existing is not None:
        return _replayed(existing, request_hash=request_hash)
    if found:  # the number is taken (one in a hundred million per order kept): draw again
        number = _new_number()
    lines = _check_draft(draft, channel=channel, payment_method=payment_method)
    address = _checked_address(draft)
    from hearth.catalog.services import check_stock, reserve_stock
    from hearth.payments.services import authorise, void
    from hearth.privacy.selectors import version_keys_in_force

    declined = None
    refused: RefusedAfterAuthorisation | None = None
    try:
        with transaction.atomic():
            variants = _variants(lines)
            priced = _priced(lines, variants)
            check_stock(lines=lines, variants=variants)
            goods = rules.goods_total(priced)
            discount = _discount(draft, goods, at)
            plan = rules.ship_plan(priced)
            ship_date, earliest, latest, fee = _estimate(
                at, None, plan, draft.shipping_method or STANDARD
            )
            price = price_order(
                pricing_draft(
                    priced,
                    province=address.province,
                    on=at.astimezone(EASTERN).date(),
                    shipping_method=draft.shipping_method or STANDARD,
                    shipping_fee=fee,
                    discount=discount,
                    bc_pst_number=draft.bc_pst_number,
                )
            )
            if reviewed_price and reviewed_price != rules.price_fingerprint(
                ((p.sku, p.quantity, p.unit_price) for p in priced),
                discount=discount,
                shipping=fee,
                total=price.total.amount,
            ):
                raise DomainError(
                    OrdersErrorCode.PRICE_CHANGED,
                    _(
                        "Your basket or its prices changed since you reviewed it. "
                        "Check the order again."
                    ),
                    field="basket_version",
                    status=409,
                )
            auth = authorise(
                token=payment_token,
                amount=price.total.amount,
                reference=number,
                idempotency_key=idempotency_key,
                payer_email=draft.email,
                actor=actor,
                # A refusal leaves this transaction at once (nothing to keep): no savepoint.
                savepoint=False,
            )
            if str(auth.status) == "declined":
                declined = auth
            else:
                taking = False  # what others may have taken meanwhile: discount uses, stock
                try:
                    with transaction.atomic():
                        # The order's audit rows in one INSERT, its task rows in another.
                        with audit.batched(), enqueue.batched():
                            order = _create(
                                draft=draft,
                                number=number,
                                priced=priced,
                                address=address,
                                goods=goods,
                                discount=discount,
                                fee=fee,
                                price=price,
                                versions=version_keys_in_force(at),
                                auth=auth,
                                payment_method=payment_method,
                                idempotency_key=idempotency_key,
                                request_hash=request_hash,
                                channel=channel,
                                at=at,
                                dates=(ship_date, earliest, latest),
                                actor=actor,
                            )
                            taking = True
                            _redeem(draft, goods, at, number, discount)
                        # Last: the stock row stays locked (PostgreSQL) until the commit.
                        reserve_stock(
                            lines=lines,
                            availability={p.sku: p.availability for p in priced},
                            savepoint=False,  # a refusal rolls this savepoint back
                        )
                except DomainError as error:
                    if not taking:
                        raise
                    void(
                        payment_id=auth.payment_id,
                        idempotency_key=f"{idempotency_key}:void",
                        actor=actor,
                    )
                    refused = RefusedAfterAuthorisation(error, payment_id=auth.payment_id)
    except IntegrityError:
        # The same key placed concurrently: the first one won; hand back its order.
        existing = Order.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _replayed(existing, request_hash=request_hash)
    if declined is not None:
        raise PaymentDeclined(
            declined.message or _("The payment was not authorised."),
            payment_id=declined.payment_id,
            decline_code=declined.decline_code,
            fraud_suspected=bool(declined.fraud_suspected),
        )
    if refused is not None:
        raise refused
    return PlacedOrder(order=order, created=True)


def _create(
    *,
    draft: OrderDraft,
    number: str,
    priced: list[rules.PricedLine],
    address: DeliveryAddress,
    goods: Decimal,
    discount: Decimal,
    fee: Decimal,
    price: OrderPrice,
    versions: dict[str, str],
    auth: Any,
    payment_method: str,
    idempotency_key: str,
    request_hash: str,
    channel: str,
    at: dt.datetime,
    dates: tuple[dt.date | None, dt.date | None, dt.date | None],
    actor: Actor | None,
) -> Order:
    from hearth.orders import emails, tasks
    from hearth.privacy.models import ConsentKind, ImpliedFrom, Purpose
    from hearth.privacy.services import record_consent, record_implied_consent

    review = str(auth.status) == "review" or bool(auth.fraud_suspected)
    stamp = at.isoformat()
    customer = draft.customer if getattr(draft.customer, "pk", None) else None
    order = Order.objects.create(
        number=number,
        status=OrderStatus.PLACED,
        channel=channel,
        customer=customer,
        email=draft.email.strip().lower(),
        contact_name=draft.name.strip(),
        phone=draft.phone.strip(),
        address_lines="\n".join(address.lines),
        city=address.city,
        province=address.province,
        postal_code=address.postal_code,
        country=address.country,
        language=choose_language(draft.language, translation.get_language()),
        subtotal=goods,
        discount=discount,
        discount_code=(draft.discount_code or "").strip().upper() if discount else "",
        shipping=fee,
        shipping_method=draft.shipping_method or STANDARD,
        tax_components=price.components(),
        total_tax=price.total_tax.amount,
        grand_total=price.total.amount,
        bc_pst_number=draft.bc_pst_number or "",
        terms_version=versions.get("terms", ""),
        terms_language=choose_language(
            draft.terms_language, draft.language, translation.get_language()
        ),
        privacy_version=versions.get("privacy", ""),
        eula_version=versions.get("eula", ""),
        attestations={name: stamp for name in rules.ATTESTATIONS},
        payment_id=auth.payment_id,
        payment_method=payment_method,
        fraud_suspected=bool(auth.fraud_suspected),
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        placed_at=at,
        payment_confirmed_at=None if review else at,
        ship_date=dates[0],
        delivery_earliest=dates[1],
        delivery_latest=dates[2],
    )
    audit.record(
        actor=actor,
        action=AuditAction.CREATED,
        obj=order,
        fields=[
            "customer",
            "email",
            "contact_name",
            "phone",
            "address_lines",
            "city",
            "province",
            "postal_code",
            "country",
            "grand_total",
            "payment_id",
            "status",
        ],
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                sku=p.sku,
                name=p.name,
                colour=p.colour,
                unit_price=p.unit_price,
                quantity=p.quantity,
                availability=p.availability,
                expected_ship_date=p.expected_ship_date,
            )
            for p in priced
        ]
    )
    OrderEvent.objects.create(
        order=order,
        from_status="",
        to_status=OrderStatus.PLACED,
        actor=_user(actor),
        at=at,
        note=_("Placed by phone.") if channel == rules.Channel.PHONE else "",
    )
    if review:
        order = hold_order(
            order=order,
            reason=HoldReason.REVIEW if str(auth.status) == "review" else HoldReason.FRAUD,
            actor=None,
            at=at,
        )
    elif discount and _misuse_flagged(order.email):
        # A discount used by a customer flagged for guessing codes: a person decides (TOS-9).
        review = True
        order = hold_order(order=order, reason=HoldReason.DISCOUNT_MISUSE, actor=None, at=at)
    # PP-5, PP-8, PP-9: the express box records a grant, or a withdrawal only of an express
    # consent in force (the box was shown ticked); the opt-out box records a withdrawal.
    express_before = customer is not None and _express_marketing(customer, at)
    for choice in privacy_rules.collected_choices(
        express_before=express_before,
        express_ticked=draft.marketing_opt_in,
        opted_out=draft.marketing_opt_out,
    ):
        record_consent(
            purpose=Purpose.MARKETING_EMAIL,
            granted=choice.granted,
            kind=ConsentKind.EXPRESS,
            source="checkout" if channel != rules.Channel.PHONE else "phone order",
            at=at,
            user=customer,
            email=order.email,
            evidence=f"order {number}: {choice.evidence}",
            actor=_user(actor),
        )
    # CASL implied consent arises from the purchase (2 years); the ledger's derivation never
    # lets it override the opt-out or withdrawal just above, nor an earlier unsubscribe.
    record_implied_consent(
        implied_from=ImpliedFrom.PURCHASE,
        source=f"order ({channel})",
        at=at,
        user=customer,
        email=order.email,
        evidence=f"order {number} placed",
        actor=_user(actor),
    )
    order_id = order.pk
    # TOS-7, TOS-11: queued in this transaction (they exist if and only if the order does) and
    # sent by comms after the commit.
    emails.queue_placed_order_emails(order=order, at=at)
    if not review:
        enqueue_on_commit(tasks.release_paid_order, order_id)
    return order


def _express_marketing(customer: Any, at: dt.datetime) -> bool:
    """The customer's express consent to news and offers by email is in force: what the
    checkout's box shows them, so that unticking it is a withdrawal."""
    from hearth.privacy.models import Purpose
    from hearth.privacy.selectors import current_consents

    state = current_consents(at=at, user=customer)[Purpose.MARKETING_EMAIL]
    return state.granted and state.kind == privacy_rules.Kind.EXPRESS


def _misuse_flagged(email: str) -> bool:
    return discount_selectors.misuse_flagged(email=email)


# --- After placing.


def _reauthorise(*, order: Order, actor: Actor | None, at: dt.datetime) -> Order | None:
    """The order's authorisation lapsed (a long backorder): authorise again on the same stored
    credential. Declined: the order goes on hold (``payment_expired``) and the customer is
    emailed to pay again; returns None."""
    from hearth.orders import tasks
    from hearth.payments.services import reauthorise

    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        auth = reauthorise(
            payment_id=locked.payment_id,
            idempotency_key=f"reauth-{locked.number}-{locked.payment_id}",
            actor=actor,
        )
        audit.record(actor=actor, action=AuditAction.MONEY_MOVED, obj=locked, fields=["payment_id"])
        if auth.status == "declined":
            locked.payment_id = auth.payment_id
            locked.save(update_fields=["payment_id"])
            if locked.status == OrderStatus.ON_HOLD:
                locked.hold_reason = HoldReason.PAYMENT_EXPIRED
                locked.save(update_fields=["hold_reason"])
            else:
                hold_order(order=locked, reason=HoldReason.PAYMENT_EXPIRED, actor=actor, at=at)
            order_id = locked.pk
            enqueue_on_commit(tasks.send_pay_again, order_id)
            return None
        OrderEvent.objects.create(
            order=locked,
            from_status=locked.status,
            to_status=locked.status,
            actor=_user(actor),
            at=at,
            note=_("The payment authorisation lapsed and was renewed."),
        )
        locked.payment_id = auth.payment_id
        locked.save(update_fields=["payment_id"])
    return locked


PAY_AGAIN_SALT = "hearth.orders.pay_again"


def pay_again_token(order: Order) -> str:
    """A signed link token for the customer to pay again for ``order``'s current payment: it
    stops working once a new payment is made (it names the declined payment)."""
    from django.core import signing

    return signing.dumps([order.number, order.payment_id], salt=PAY_AGAIN_SALT, compress=True)


def order_for_pay_again(token: str) -> Order | None:
    """The order a pay-again token was made for, while it still waits for that payment (30 days)."""
    from django.core import signing

    try:
        number, payment_id = signing.loads(token, salt=PAY_AGAIN_SALT, max_age=30 * 24 * 3600)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    order = Order.objects.filter(number=number, payment_id=payment_id).first()
    if order is None or order.hold_reason != HoldReason.PAYMENT_EXPIRED:
        return None
    if order.status != OrderStatus.ON_HOLD:
        return None
    return order


def pay_again(*, order: Order, payment_token: str, actor: Actor | None, at: dt.datetime) -> Order:
    """The customer paid again (a new card or PayPal) for an order whose lapsed authorisation
    could not be renewed: the new payment replaces it and the order is released (captured).
    A declined payment raises :class:`PaymentDeclined` and changes nothing."""
    from hearth.payments.services import authorise

    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != OrderStatus.ON_HOLD or locked.hold_reason != HoldReason.PAYMENT_EXPIRED:
            raise _move_refused(locked.status, OrderStatus.RELEASED)
        auth = authorise(
            token=payment_token,
            amount=locked.grand_total,
            reference=locked.number,
            idempotency_key=f"pay-again-{locked.number}-{locked.payment_id}",
            payer_email=locked.email,
            actor=actor,
        )
        if str(auth.status) == "declined":
            declined = auth
        else:
            declined = None
            locked.payment_id = auth.payment_id
            locked.hold_reason = ""
            locked.save(update_fields=["payment_id", "hold_reason"])
            audit.record(
                actor=actor,
                action=AuditAction.MONEY_MOVED,
                obj=locked,
                fields=["payment_id", "hold_reason"],
            )
    if declined is not None:
        raise PaymentDeclined(
            declined.message or _("The payment was not authorised."),
            payment_id=declined.payment_id,
            decline_code=declined.decline_code,
            fraud_suspected=bool(declined.fraud_suspected),
        )
    return release_order(order=locked, actor=actor, at=at)


def release_order(*, order: Order, actor: Actor | None, at: dt.datetime) -> Order:
    """Capture the payment and release the order to fulfilment (TOS-8); clears a review (TOS-21).

    A lapsed authorisation (a long pre-order or backorder) is renewed first; when the renewal is
    declined the order is put on hold (``payment_expired``), the customer is asked to pay again,
    and the order is returned not released. Safe to call twice: a released order is returned.
    """
    from hearth.payments.services import authorisation_expired, capture

    order = Order.objects.get(pk=order.pk)
    if order.status == OrderStatus.RELEASED:
        return order
    if not rules.may_move(order.status, OrderStatus.RELEASED):
        return set_status(order=order, to=OrderStatus.RELEASED, actor=actor, at=at)  # raises
    if authorisation_expired(payment_id=order.payment_id, at=at):
        renewed = _reauthorise(order=order, actor=actor, at=at)
        if renewed is None:
            return Order.objects.get(pk=order.pk)  # on hold: the customer is asked to pay again
        order = renewed
    with transaction.atomic():
        result = capture(
            payment_id=order.payment_id, idempotency_key=f"capture-{order.number}", actor=actor
        )
        if result.status != "captured":
            raise DomainError(
                OrdersErrorCode.PAYMENT_NOT_CAPTURED,
                _("The payment could not be captured; the order stays held."),
                status=409,
            )
        changes: dict[str, Any] = {"released_at": at}
        if order.payment_confirmed_at is None:
            # Cleared from review: the ship date counts from now (TOS-13, TOS-21).
            plan = _plan_of(order.lines.all())
            ship_date, earliest, latest, _fee = _estimate(
                order.placed_at, at, plan, order.shipping_method
            )
            changes.update(
                payment_confirmed_at=at,
                ship_date=ship_date,
                delivery_earliest=earliest,
                delivery_latest=latest,
            )
        return set_status(
            order=order,
            to=OrderStatus.RELEASED,
            actor=actor,
            at=at,
            note=_("Payment captured."),
            **changes,
        )


def _reason_code(reason: str) -> CancellationReason:
    if reason not in CancellationReason.values:
        raise DomainError(
            OrdersErrorCode.UNKNOWN_REASON,
            _("Choose one of the reasons an order is not accepted."),
            field="reason",
        )
    return CancellationReason(reason)


def cancel_order(
    *, order: Order, reason: str, actor: Actor | None, at: dt.datetime, note: str = ""
) -> Order:
    """Cancel an order that has not shipped, for a reason (TOS-9's, the customer's request, or a
    refund before shipment): fulfilment cancels the shipment first, the stock goes back, a
    captured payment is refunded in full and an uncaptured one voided (TOS-6); on commit the
    customer is emailed. Refused, with nothing changed, once the order has shipped.
    """
    from hearth.catalog.services import release_stock
    from hearth.orders import tasks
    from hearth.payments.selectors import payment
    from hearth.payments.services import refund, void

    code = _reason_code(reason)
    with transaction.atomic():
        before = Order.objects.select_for_update().get(pk=order.pk).status
        order = set_status(
            order=order,
            to=OrderStatus.CANCELLED,
            actor=actor,
            at=at,
            note=note or str(code.label),
            cancellation_reason=code.value,
        )
        if before in (OrderStatus.RELEASED, OrderStatus.PICKING, OrderStatus.PACKED):
            for cancel_shipment in _SHIPMENT_CANCELLERS:
                cancel_shipment(order, actor, at)
        release_stock(lines=[(line.sku, line.quantity) for line in order.lines.all()])
        if order.payment_id:
            paid = payment(order.payment_id)
            if paid.captured_amount and paid.refundable > 0:
                refund(
                    payment_id=order.payment_id,
                    amount=paid.refundable,
                    idempotency_key=f"refund-{order.number}",
                    actor=actor,
                )
                OrderRefund.objects.create(
                    order=order,
                    amount=paid.refundable,
                    reason=note or str(code.label),
                    actor=_user(actor),
                    at=at,
                )
                audit.record(
                    actor=actor, action=AuditAction.MONEY_MOVED, obj=order, fields=["payment_id"]
                )
            elif paid.status in ("authorised", "review"):
                void(
                    payment_id=order.payment_id,
                    idempotency_key=f"void-{order.number}",
                    actor=actor,
                )
                audit.record(
                    actor=actor, action=AuditAction.MONEY_MOVED, obj=order, fields=["payment_id"]
                )
        order_id = order.pk
        enqueue_on_commit(tasks.send_order_cancelled, order_id)
    return order


def cancel_by_customer(*, order: Order, actor: Actor | None, at: dt.datetime) -> Order:
    """The customer cancels their own order (My Stuff or the guest order page) until picking
    starts: a full refund or void and an email. After that: refused, nothing changed.

    The caller has already checked that ``actor`` owns the order (``selectors.order_for_owner``
    or the guest look-up).
    """
    current = Order.objects.get(pk=order.pk).status
    if order.channel == rules.Channel.REPLACEMENT:  # a warranty replacement is care's to stop
        raise DomainError(
            OrdersErrorCode.CANCEL_TOO_LATE,
            _("A warranty replacement can only be stopped by customer care."),
            status=409,
        )
    if not rules.customer_may_cancel(current):
        raise DomainError(
            OrdersErrorCode.CANCEL_TOO_LATE,
            _(
                "This order is already %(status)s and can no longer be cancelled here. "
                "Customer care can help."
            )
            % {"status": str(OrderStatus(current).label).lower()},
            status=409,
        )
    return cancel_order(order=order, reason=CancellationReason.CUSTOMER_REQUEST, actor=actor, at=at)


def refund_order(
    *, order: Order, amount: Decimal | None, reason: str, actor: Actor | None, at: dt.datetime
) -> OrderRefund:
    """Give money back on an order, with a reason, and email the customer.

    Before shipment a refund is the whole balance and cancels the order (and its shipment)
    first; ``amount`` must then be None or the whole captured balance. After shipment a refund
    may be partial (goodwill); when nothing captured is left the order ends as refunded. Refused,
    with nothing changed: no reason, an amount not above zero, or more than was captured less
    what was already refunded.
    """
    from hearth.orders import tasks
    from hearth.payments.selectors import payment
    from hearth.payments.services import refund

    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            OrdersErrorCode.REASON_REQUIRED,
            _("Say why the money is given back: the customer reads it."),
            field="reason",
        )
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        paid = payment(locked.payment_id) if locked.payment_id else None
        captured = (paid.captured_amount or ZERO) if paid else ZERO
        refunded = paid.refunded_amount if paid else ZERO
        wanted = captured - refunded if amount is None else Decimal(amount)
        problem = rules.refund_problem(captured=captured, refunded=refunded, amount=wanted)
        if problem is not None:
            raise DomainError(
                OrdersErrorCode.REFUND_REFUSED,
                _("At most %(balance)s can be refunded on this order.")
                % {"balance": money(captured - refunded)}
                if problem == "more_than_captured"
                else _("A refund is more than zero."),
                field="amount",
                status=409,
            )
        if rules.Status(locked.status) not in rules.SHIPPED_STATUSES:
            if wanted != captured - refunded:
                raise DomainError(
                    OrdersErrorCode.REFUND_REFUSED,
                    _("Before shipment an order is refunded in full, which cancels it."),
                    field="amount",
                    status=409,
                )
            cancel_order(
                order=locked,
                reason=CancellationReason.REFUNDED_BEFORE_SHIPMENT,
                actor=actor,
                at=at,
                note=reason,
            )
            order.status = OrderStatus.CANCELLED
            return locked.refunds.order_by("-pk")[0]
        count = locked.refunds.count()
        refund(
            payment_id=locked.payment_id,
            amount=wanted,
            idempotency_key=f"refund-{locked.number}-{count + 1}",
            actor=actor,
        )
        made = OrderRefund.objects.create(
            order=locked, amount=wanted, reason=reason, actor=_user(actor), at=at
        )
        audit.record(actor=actor, action=AuditAction.MONEY_MOVED, obj=locked, fields=["payment_id"])
        if refunded + wanted == captured:
            set_status(order=locked, to=OrderStatus.REFUNDED, actor=actor, at=at, note=reason)
            order.status = OrderStatus.REFUNDED
        args = (locked.pk, made.pk)
        transaction.on_commit(partial(tasks.send_refund_issued.enqueue, *args))
    return made


# --- A new expected ship date for pre-order and backorder lines (TOS-20).


def _plan_of(lines: Any) -> rules.ShipPlan:
    """The order's ship plan; a delayed line whose stock was allocated counts as in stock."""
    return rules.ship_plan(
        rules.PricedLine(
            line.sku,
            line.name,
            line.colour,
            line.unit_price,
            line.quantity,
            line.availability if line.allocated_at is None else "in_stock",
            line.expected_ship_date,
        )
        for line in lines
    )


def notify_expected_ship_date_changed(
    *,
    sku: str,
    old: dt.date | None,
    new: dt.date | None,
    at: dt.datetime,
    actor: Actor | None = None,
) -> list[Order]:
    """Re-date every open order with a pre-order or backorder line of ``sku`` (TOS-20).

    For each order (placed, under review or released; never shipped or cancelled) whose line of
    ``sku`` was sold as pre-order or backorder and does not already carry ``new``: the line takes
    ``new``; the order's ship date and delivery window are worked out again as placing does (it
    ships together, from its latest expected date, never before its ordinary estimate); an
    OrderEvent records the change; and, on commit, the customer is emailed the new date, once
    per change (a task run twice sends once). Lines sold in stock keep their date. A date taken
    away (``new`` None) re-dates the order to "not known yet" without an email: the customer is
    told again when a date is known. Run twice with the same date, it changes and sends nothing.
    Registered with the catalogue in ``OrdersConfig.ready``; returns the orders it changed.
    """
    from hearth.orders import tasks

    changed: list[Order] = []
    with transaction.atomic():
        order_ids = (
            OrderLine.objects.filter(
                sku=sku,
                allocated_at__isnull=True,
                availability__in=sorted(rules.DELAYED),
                order__status__in=sorted(rules.OPEN_STATUSES),
            )
            .exclude(expected_ship_date=new)
            .values_list("order_id", flat=True)
            .distinct()
            .order_by("order_id")
        )
        for order_id in list(order_ids):
            order = Order.objects.select_for_update().get(pk=order_id)
            if not order.is_open:
                continue
            order.lines.filter(
                sku=sku, availability__in=sorted(rules.DELAYED), allocated_at__isnull=True
            ).update(expected_ship_date=new)
            ship_date, earliest, latest, _fee = _estimate(
                order.placed_at,
                order.payment_confirmed_at,
                _plan_of(order.lines.all()),
                order.shipping_method,
            )
            order.ship_date, order.delivery_earliest, order.delivery_latest = (
                ship_date,
                earliest,
                latest,
            )
            order.save(update_fields=["ship_date", "delivery_earliest", "delivery_latest"])
            audit.record(
                actor=actor,
                action=AuditAction.CHANGED,
                obj=order,
                fields=["ship_date", "delivery_earliest", "delivery_latest"],
            )
            unknown = _("not known yet")
            event = OrderEvent.objects.create(
                order=order,
                from_status=order.status,
                to_status=order.status,
                actor=_user(actor),
                at=at,
                note=_("Expected ship date of %(sku)s changed from %(old)s to %(new)s.")
                % {
                    "sku": sku,
                    "old": old.isoformat() if old else unknown,
                    "new": new.isoformat() if new else unknown,
                },
            )
            if new is not None:
                args = (order.pk, event.pk, sku, new.isoformat())
                transaction.on_commit(partial(tasks.send_ship_date_changed.enqueue, *args))
            changed.append(order)
    return changed


# --- Linking guest orders once the email is proven (PP-15).


@transaction.atomic
def link_guest_orders(user: Any, email: str, at: dt.datetime) -> int:
    """Guest orders placed under ``email`` become the account's: called by privacy's
    ``subjects.link_proven_email`` only once the account holder proved the email, so the
    account holder is the actor of each link's audit row."""
    linked = list(
        Order.objects.select_for_update()
        .filter(customer__isnull=True, email__iexact=email.strip())
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    Order.objects.filter(pk__in=linked).update(customer=user)
    for order_id in linked:
        audit.record(
            actor=user,
            action=AuditAction.CHANGED,
            obj=audit.ObjectRef(label=Order._meta.label, pk=str(order_id)),
            fields=["customer"],
        )
    return len(linked)


# --- Received stock for pre-order and backorder lines (TOS-20), called by fulfilment.


@dataclass(frozen=True)
class Allocation:
    """What ``allocate_received_stock`` did: orders whose line got stock (oldest first), orders
    still waiting, and the units no waiting line took (fulfilment keeps them as stock)."""

    allocated: list[str]
    waiting: list[str]
    left_over: int


def allocate_received_stock(
    *,
    variant: Any,
    quantity: int,
    actor: Actor | None,
    at: dt.datetime,
    next_expected_ship_date: dt.date | None = None,
) -> Allocation:
    """Give ``quantity`` received units of ``variant`` (a catalogue Variant or its SKU) to the
    pre-order and backorder lines waiting for them, oldest order first and strictly in order
    (``rules.fifo_allocation``), in one transaction under row locks.

    Each order that got stock is re-dated from now (it ships together: from now when nothing
    else waits, else from its other lines' dates), records an event and, on commit, gets one
    email; a placed order with nothing left waiting is released (the payment is captured, TOS-8).
    When ``next_expected_ship_date`` is given, the variant takes it as its expected ship date and
    the orders still waiting are re-dated to it (the usual TOS-20 email, once per order); the
    warehouse refuses a date in the past before calling. Returns an :class:`Allocation`.
    """
    from hearth.orders import tasks

    sku = str(getattr(variant, "sku", variant)).strip().upper()
    if type(quantity) is not int or quantity < 0:
        raise DomainError(
            OrdersErrorCode.INVALID_QUANTITY,
            _("A received quantity is a whole number, zero or more."),
            field="quantity",
        )
    released: list[int] = []
    with transaction.atomic():
        waiting_lines = list(
            OrderLine.objects.filter(
                sku=sku,
                allocated_at__isnull=True,
                availability__in=sorted(rules.DELAYED),
                order__status__in=sorted(rules.OPEN_STATUSES),
            )
            .select_related("order")
            .order_by("order__placed_at", "order_id", "pk")
        )
        # Lock the orders in a fixed order (by id) before touching their lines.
        list(
            Order.objects.select_for_update()
            .filter(pk__in=sorted({line.order_id for line in waiting_lines}))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        filled = rules.fifo_allocation([line.quantity for line in waiting_lines], quantity)
        taken = waiting_lines[:filled]
        left = waiting_lines[filled:]
        for line in taken:
            line.allocated_at = at
            line.save(update_fields=["allocated_at"])
            order = Order.objects.get(pk=line.order_id)
            ship_date, earliest, latest, _fee = _estimate(
                at, at, _plan_of(order.lines.all()), order.shipping_method
            )
            order.ship_date, order.delivery_earliest, order.delivery_latest = (
                ship_date,
                earliest,
                latest,
            )
            order.save(update_fields=["ship_date", "delivery_earliest", "delivery_latest"])
            event = OrderEvent.objects.create(
                order=order,
                from_status=order.status,
                to_status=order.status,
                actor=_user(actor),
                at=at,
                note=_("Received stock of %(sku)s set aside for this order.") % {"sku": sku},
            )
            audit.record(actor=actor, action=AuditAction.CHANGED, obj=line, fields=["allocated_at"])
            transaction.on_commit(
                partial(tasks.send_stock_allocated.enqueue, order.pk, event.pk, sku)
            )
            nothing_waits = not any(x.waiting_for_stock for x in order.lines.all())
            if nothing_waits and order.status == OrderStatus.PLACED:
                released.append(order.pk)
        used = sum(line.quantity for line in taken)
        for order_id in released:
            release_order(order=Order.objects.get(pk=order_id), actor=actor, at=at)
        if next_expected_ship_date is not None:
            _re_date_the_rest(
                sku=sku, new=next_expected_ship_date, waiting=bool(left), actor=actor, at=at
            )
    return Allocation(
        allocated=[line.order.number for line in taken],
        waiting=list(dict.fromkeys(line.order.number for line in left)),
        left_over=quantity - used,
    )


def _re_date_the_rest(
    *, sku: str, new: dt.date, waiting: bool, actor: Actor | None, at: dt.datetime
) -> None:
    """The variant of a pre-order or backorder SKU takes ``new`` as its expected ship date
    (through the catalogue, whose listener re-dates its open orders); then every order still
    waiting that does not carry ``new`` yet is re-dated too: the variant may already have had
    that date, or be sold in stock by now while older backorders still wait. Each re-dated
    order gets one email (``notify_expected_ship_date_changed`` skips lines already dated)."""
    from hearth.catalog.models import Variant
    from hearth.catalog.rules import is_stock_checked
    from hearth.catalog.services import set_expected_ship_date

    variant = Variant.objects.filter(sku=sku).values("availability", "expected_ship_date").first()
    old = variant["expected_ship_date"] if variant else None
    if variant is not None and not is_stock_checked(variant["availability"]):
        set_expected_ship_date(sku=sku, expected_ship_date=new, actor=actor, at=at)
    if waiting:
        notify_expected_ship_date_changed(sku=sku, old=old, new=new, actor=actor, at=at)


def waiting_for_stock(order: Order) -> bool:
    """Whether a pre-order or backorder line of ``order`` still waits for received stock."""
    return any(line.waiting_for_stock for line in order.lines.all())


def clear_hold(*, order: Order, actor: Actor | None, at: dt.datetime) -> Order:
    """Accept a held order (TOS-21): released (payment captured), or, while a pre-order or
    backorder line waits for stock, back to placed (released when the stock arrives)."""
    if waiting_for_stock(order):
        return set_status(
            order=order,
            to=OrderStatus.PLACED,
            actor=actor,
            at=at,
            note=_("Cleared; waiting for stock before release."),
        )
    return release_order(order=order, actor=actor, at=at)


# --- Phone channel (TOS-5).


def find_or_create_customer(*, email: str, full_name: str, actor: Actor | None) -> Any:
    """The customer with this email, or a new account without a password (they can set one
    later through "forgot password", which proves the email); used by sales agents on the
    phone. None when an account exists whose email is not proven (a guest order then)."""
    from hearth.accounts.models import User
    from hearth.accounts.services import normalise_email

    email = normalise_email(email)
    user = User.objects.filter(email=email).first()
    if user is not None:
        # An account whose email nobody proved may be someone else's sign-up with this
        # caller's email: the order stays a guest order, linked when the email is proven.
        return user if user.email_verified else None
    with transaction.atomic():
        user = User.objects.create_user(email=email, password=None, full_name=full_name.strip())
        audit.record(
            actor=actor, action=AuditAction.CREATED, obj=user, fields=["email", "full_name"]
        )
    return user


# --- What the sales agent reads back before charging (TOS-5).


@dataclass(frozen=True)
class OrderQuote:
    lines: list[rules.PricedLine]
    address: DeliveryAddress
    goods: Decimal
    discount: Decimal
    shipping: Decimal
    price: OrderPrice  # the one pricing path's answer: what placing would charge
    ship_date: dt.date | None
    delivery_earliest: dt.date | None
    delivery_latest: dt.date | None
    versions: dict[str, str]


def quote_order(*, draft: OrderDraft, channel: str, at: dt.datetime) -> OrderQuote:
    """Everything placing would check and charge, without placing: catalogue prices, the
    discount's preview, tax, ship date and the versions in force. Raises the same DomainErrors."""
    from hearth.privacy.selectors import version_keys_in_force

    lines = _check_draft(draft, channel=channel, payment_method=rules.PaymentMethod.CARD)
    address = _checked_address(draft)
    priced = _priced(lines)
    goods = rules.goods_total(priced)
    discount = ZERO
    if draft.discount_code:
        shown = discounts.preview(
            code=draft.discount_code,
            subtotal=goods,
            at=at,
            shopper=discounts.shopper_key(f"phone:{draft.email}"),
            email=draft.email,
        )
        discount = shown.amount if shown is not None else ZERO
    ship_date, earliest, latest, fee = _estimate(
        at, None, rules.ship_plan(priced), draft.shipping_method or STANDARD
    )
    price = price_order(
        pricing_draft(
            priced,
            province=address.province,
            on=at.astimezone(EASTERN).date(),
            shipping_method=draft.shipping_method or STANDARD,
            shipping_fee=fee,
            discount=discount,
            bc_pst_number=draft.bc_pst_number,
        )
    )
    return OrderQuote(
        priced,
        address,
        goods,
        discount,
        fee,
        price,
        ship_date,
        earliest,
        latest,
        version_keys_in_force(at),
    )


# --- Warranty replacements (issue #13), called by aftersales.warranty.


@dataclass(frozen=True)
class ReplacementRecipient:
    """Who a replacement unit ships to: the original order's contact and delivery address, or
    for a dealer purchase the address care took from the claim."""

    email: str
    name: str
    phone: str
    address: DeliveryAddress
    customer: Any = None


def recipient_of(order: Order) -> ReplacementRecipient:
    """The original order's contact and delivery address, for a replacement to ship to."""
    return ReplacementRecipient(
        email=order.email,
        name=order.contact_name,
        phone=order.phone,
        address=DeliveryAddress(
            lines=tuple(order.line_list),
            city=order.city,
            province=province_of(order.province),
            postal_code=order.postal_code,
            country=order.country,
        ),
        customer=order.customer,
    )


def place_replacement_order(
    *,
    reference: str,
    sku: str,
    recipient: ReplacementRecipient,
    ship_by: dt.date | None,
    note: str,
    actor: Actor | None,
    at: dt.datetime,
) -> Order:
    """A zero-priced order (channel ``replacement``) that carries one unit of ``sku`` through
    fulfilment's pick, pack and ship, released at once: no sale, no payment, no invoice.

    A warranty replacement needs a shipment without a new sale; fulfilment ships orders (the
    pick list, serial scan, label, carrier events), so a replacement is an order of its own
    rather than a second shipment path. One per ``reference`` (the RMA number and purpose): a
    second call returns the first order. ``ship_by`` (e.g. an advance replacement's 2nd business
    day, TOS-24) caps the ship date the pick list sorts by (a new order's, if earlier).
    Stock is taken as for a sale (``out_of_stock`` refused, nothing kept).
    """
    from hearth.catalog.selectors import variant_by_sku
    from hearth.catalog.services import reserve_stock

    key = f"replacement:{reference}"
    existing = Order.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    variant = variant_by_sku(sku)
    plan = rules.ShipPlan(delayed=False, ship_from=None)
    dates = _estimate(at, at, plan, STANDARD)
    ship_date = dates[0] if ship_by is None or dates[0] is None else min(dates[0], ship_by)
    zero = Decimal("0.00")
    with transaction.atomic():
        reserve_stock(lines=[(sku, 1)])
        order = Order.objects.create(
            number=_new_number(),
            status=OrderStatus.RELEASED,
            channel=rules.Channel.REPLACEMENT,
            customer=recipient.customer if getattr(recipient.customer, "pk", None) else None,
            email=recipient.email.strip().lower(),
            contact_name=recipient.name,
            phone=recipient.phone,
            address_lines="\n".join(recipient.address.lines),
            city=recipient.address.city,
            province=recipient.address.province,
            postal_code=recipient.address.postal_code,
            country=recipient.address.country,
            subtotal=zero,
            shipping=zero,
            shipping_method=STANDARD,
            tax_components=[],
            total_tax=zero,
            grand_total=zero,
            payment_method="",
            idempotency_key=key,
            placed_at=at,
            payment_confirmed_at=at,
            released_at=at,
            ship_date=ship_date,
            delivery_earliest=dates[1],
            delivery_latest=dates[2],
        )
        OrderLine.objects.create(
            order=order,
            sku=sku,
            name=variant.product.name,
            colour=variant.colour,
            unit_price=zero,
            quantity=1,
            availability="in_stock",
        )
        OrderEvent.objects.create(
            order=order,
            from_status="",
            to_status=OrderStatus.RELEASED,
            actor=_user(actor),
            at=at,
            note=note,
        )
        audit.record(
            actor=actor,
            action=AuditAction.CREATED,
            obj=order,
            fields=[
                "email",
                "contact_name",
                "phone",
                "address_lines",
                "city",
                "province",
                "postal_code",
                "country",
                "status",
            ],
        )
    return order
