"""Writes of the checkout app: the basket (one function per action, each one transaction).

A guest's basket is found by a random token kept in the session (``SESSION_BASKET``), so that it
survives the session key change at sign-in; a customer's by the user. Prices never live in the
basket: only SKUs and quantities, priced from the catalogue whenever shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext

from hearth.catalog.selectors import variant_by_sku, variants_by_sku
from hearth.checkout import rules
from hearth.checkout.errors import CheckoutErrorCode
from hearth.checkout.models import Basket, BasketLine
from hearth.checkout.selectors import (
    SESSION_BASKET,
    SESSION_BASKET_ITEMS,
    ZERO,
    BasketSummary,
    basket_for,
    items_in_customers_basket,
    summarise,
)
from hearth.core import audit, clock
from hearth.core.audit import Actor, AuditAction
from hearth.core.errors import DomainError
from hearth.core.ids import random_token
from hearth.discounts import services as discounts
from hearth.discounts.services import DiscountPreview
from hearth.fulfilment.rules import Estimate, ShippingMethod, shipping_method, shipping_methods
from hearth.fulfilment.selectors import delivery_estimate, translated
from hearth.orders.selectors import ShipDates, ship_dates


def _quantity_error(refusal: rules.Refusal, *, field: str) -> DomainError:
    if refusal.code == CheckoutErrorCode.QUANTITY_ABOVE_STOCK:
        stock = int(refusal.params["stock"])
        if stock == 0:
            message = gettext("Sorry, this item is out of stock.")
        else:
            message = gettext("Only %(stock)s left in stock: choose %(stock)s or fewer.") % {
                "stock": stock
            }
    else:
        message = gettext("Choose a quantity from 1 to %(max)s.") % refusal.params
    return DomainError(refusal.code, message, field=field)


def parse_quantity(raw: Any, *, field: str = "quantity") -> int:
    """A quantity typed into a form: a whole number, else a clear error on ``field``."""
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        raise DomainError(
            CheckoutErrorCode.INVALID_QUANTITY,
            gettext("Choose a quantity from 1 to %(max)s.") % {"max": rules.MAX_LINE_QUANTITY},
            field=field,
        ) from None


def open_basket(request: HttpRequest, *, at: dt.datetime | None = None) -> Basket:
    """The request's basket, created (and remembered in the session or on the user) if none."""
    basket = basket_for(request)
    if basket is not None:
        return basket
    at = at or clock.now()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        basket, _ = Basket.objects.get_or_create(user=user, defaults={"updated_at": at})
        return basket
    token = random_token(24)
    basket = Basket.objects.create(session_key=token, updated_at=at)
    request.session[SESSION_BASKET] = token
    return basket


def _check_line(*, sku: str, quantity: int, field: str) -> None:
    variant = variant_by_sku(sku)
    refusal = rules.quantity_refusal(
        quantity=quantity,
        stock_on_hand=variant.stock_on_hand,
        availability=variant.availability,
    )
    if refusal is not None:
        raise _quantity_error(refusal, field=field)


def _audit_line(
    *, basket: Basket, actor: Actor | None, action: AuditAction, obj: Any, fields: list[str]
) -> None:
    """One audit row for an edit of a basket linked to a person (a guest's basket is nobody's)."""
    if basket.user_id is not None:
        audit.record(actor=actor, action=action, obj=obj, fields=fields)


def add_to_basket(
    *, basket: Basket, sku: str, quantity: int, at: dt.datetime, actor: Actor | None = None
) -> BasketLine:
    """Add ``quantity`` units of ``sku`` (added to any already there), checked against stock.

    Raises ``unknown_sku`` (field ``sku``), ``invalid_quantity`` or ``quantity_above_stock``
    (field ``quantity``); the basket is unchanged then.
    """
    sku = (sku or "").strip()
    if quantity < 1:
        raise _quantity_error(
            rules.Refusal("invalid_quantity", {"max": str(rules.MAX_LINE_QUANTITY)}),
            field="quantity",
        )
    with transaction.atomic():
        line = BasketLine.objects.select_for_update().filter(basket=basket, sku=sku).first()
        total = quantity + (line.quantity if line else 0)
        _check_line(sku=sku, quantity=total, field="quantity")
        if line is None:
            try:
                with transaction.atomic():
                    line = BasketLine.objects.create(
                        basket=basket, sku=sku, quantity=total, added_at=at
                    )
            except IntegrityError:  # the same shopper added the same SKU twice at once
                line = BasketLine.objects.get(basket=basket, sku=sku)
                line.quantity = total
                line.save(update_fields=["quantity"])
            fields = ["sku", "quantity"]
        else:
            line.quantity = total
            line.save(update_fields=["quantity"])
            fields = ["quantity"]
        Basket.objects.filter(pk=basket.pk).update(updated_at=at)
        action = AuditAction.CREATED if fields == ["sku", "quantity"] else AuditAction.CHANGED
        _audit_line(basket=basket, actor=actor, action=action, obj=line, fields=fields)
    return line


def add_to_request_basket(
    request: HttpRequest, *, sku: str, quantity: int, at: dt.datetime, actor: Actor | None = None
) -> BasketLine:
    """:func:`add_to_basket` on the request's basket (:func:`open_basket`). A guest's first add
    checks the line, then writes the basket and its line with one INSERT each: no line can be
    in a basket made now, and no other request can know it (its token reaches the session with
    this response), so the look-up, lock, savepoint and touch of an existing one are not needed.
    A refused first add creates no basket."""
    user = getattr(request, "user", None)
    basket = basket_for(request)
    if basket is not None or (user is not None and user.is_authenticated):
        return add_to_basket(
            basket=basket or open_basket(request, at=at),
            sku=sku,
            quantity=quantity,
            at=at,
            actor=actor,
        )
    sku = (sku or "").strip()
    if quantity < 1:
        raise _quantity_error(
            rules.Refusal("invalid_quantity", {"max": str(rules.MAX_LINE_QUANTITY)}),
            field="quantity",
        )
    _check_line(sku=sku, quantity=quantity, field="quantity")
    with transaction.atomic():
        basket = open_basket(request, at=at)
        return BasketLine.objects.create(basket=basket, sku=sku, quantity=quantity, added_at=at)


def change_quantity(
    *, basket: Basket, sku: str, quantity: int, at: dt.datetime, actor: Actor | None = None
) -> BasketLine | None:
    """Set a line's quantity; 0 removes the line (returns None). Checked against stock."""
    if quantity == 0:
        remove_line(basket=basket, sku=sku, at=at, actor=actor)
        return None
    with transaction.atomic():
        line = BasketLine.objects.select_for_update().filter(basket=basket, sku=sku).first()
        if line is None:
            raise DomainError(
                CheckoutErrorCode.NOT_IN_BASKET,
                gettext("This item is not in your basket."),
                field="sku",
                status=404,
            )
        _check_line(sku=sku, quantity=quantity, field="quantity")
        line.quantity = quantity
        line.save(update_fields=["quantity"])
        Basket.objects.filter(pk=basket.pk).update(updated_at=at)
        _audit_line(
            basket=basket, actor=actor, action=AuditAction.CHANGED, obj=line, fields=["quantity"]
        )
    return line


def remove_line(*, basket: Basket, sku: str, at: dt.datetime, actor: Actor | None = None) -> None:
    """Take ``sku`` out of the basket (nothing happens if it is not there)."""
    with transaction.atomic():
        line = BasketLine.objects.filter(basket=basket, sku=sku).first()
        if line is None:
            return
        ref = audit.object_ref(line)
        line.delete()
        Basket.objects.filter(pk=basket.pk).update(updated_at=at)
        _audit_line(basket=basket, actor=actor, action=AuditAction.DELETED, obj=ref, fields=[])


def empty_request_basket(request: HttpRequest, *, at: dt.datetime, actor: Actor | None) -> None:
    """Remove every line of the request's basket (after the order is placed). A guest's basket
    is nobody's (no audit): its lines go in one statement, found by the session's token; a
    customer's goes through :func:`empty_basket`, audited."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        if (basket := basket_for(request)) is not None:
            empty_basket(basket=basket, at=at, actor=actor)
        return
    token = request.session.get(SESSION_BASKET)
    if token:
        BasketLine.objects.filter(basket__session_key=token, basket__user__isnull=True).delete()


def empty_basket(*, basket: Basket, at: dt.datetime, actor: Actor | None = None) -> None:
    """Remove every line (after the order is placed)."""
    with transaction.atomic():
        removed, _detail = basket.lines.all().delete()
        Basket.objects.filter(pk=basket.pk).update(updated_at=at)
        if removed:
            _audit_line(
                basket=basket, actor=actor, action=AuditAction.DELETED, obj=basket, fields=["lines"]
            )


def remember_item_count(request: HttpRequest, count: int) -> None:
    """Keep the basket's item count in the session for the header (written only when it
    changes, so reading a basket that did not change costs no session write)."""
    session = getattr(request, "session", None)
    if session is None:
        return
    if count <= 0:
        if SESSION_BASKET_ITEMS in session:
            del session[SESSION_BASKET_ITEMS]
    elif session.get(SESSION_BASKET_ITEMS) != count:
        session[SESSION_BASKET_ITEMS] = count


def count_basket_on_sign_in(request: HttpRequest, user: Any) -> None:
    """After sign-in (and the merge), the header counts the customer's own basket."""
    remember_item_count(request, items_in_customers_basket(user))


def merge_basket_on_sign_in(request: HttpRequest, user: Any) -> Basket | None:
    """Move the guest's basket lines into the customer's basket (quantities add up, each line
    capped at the most one line may hold); the guest basket is then deleted."""
    token = request.session.get(SESSION_BASKET)
    if not token:
        return None
    at = clock.now()
    with transaction.atomic():
        guest = Basket.objects.filter(session_key=token, user__isnull=True).first()
        request.session.pop(SESSION_BASKET, None)
        if guest is None:
            return None
        own, _ = Basket.objects.get_or_create(user=user, defaults={"updated_at": at})
        existing = {line.sku: line for line in own.lines.select_for_update()}
        for line in guest.lines.all():
            mine = existing.get(line.sku)
            if mine is None:
                BasketLine.objects.create(
                    basket=own, sku=line.sku, quantity=line.quantity, added_at=line.added_at
                )
            else:
                mine.quantity = min(mine.quantity + line.quantity, rules.MAX_LINE_QUANTITY)
                mine.save(update_fields=["quantity"])
        guest.delete()
        Basket.objects.filter(pk=own.pk).update(updated_at=at)
    return own


# --- Quoting and placing (the web checkout and the API both call these).


@dataclass(frozen=True, slots=True)
class CheckoutQuote:
    summary: BasketSummary
    discount: DiscountPreview | None
    method: ShippingMethod
    estimate: Estimate  # the method's ordinary estimate, as if every line were in stock
    dates: ShipDates  # what the order will say: delayed lines count (confirmation agrees)


def shipping_fee(method: str) -> Decimal:
    """The fee of a shipping method (standard is free inside Canada: TOS-14; express: TOS-15)."""
    return shipping_method(method).fee


def quote_checkout(
    *,
    lines: Sequence[tuple[str, int]],
    province: str | None,
    shipping_method_code: str,
    discount_code: str | None,
    email: str | None,
    shopper: str,
    at: dt.datetime,
) -> CheckoutQuote:
    """Price an order before placing: lines from the catalogue, the discount (via
    :func:`~hearth.discounts.services.preview`, so invalid codes count towards the throttle),
    shipping fee, each tax component for ``province`` (when known) and the delivery estimate.

    Raises ``empty_basket``, discount refusals (field ``discount_code``) and
    ``unknown_method`` (field ``method``).
    """
    if not lines:
        raise DomainError(
            CheckoutErrorCode.EMPTY_BASKET,
            gettext("Your basket is empty: add a product before checking out."),
            field="lines",
        )
    try:
        method = shipping_method(shipping_method_code)
    except DomainError as error:
        raise translated(error) from None
    on = at.astimezone(clock.EASTERN).date()
    variants = variants_by_sku([sku for sku, _ in lines])  # read once, priced twice
    subtotal = summarise(lines, variants=variants).subtotal
    preview = discounts.preview(
        code=discount_code, subtotal=subtotal, at=at, shopper=shopper, email=email
    )
    summary = summarise(
        lines,
        variants=variants,
        province=province or None,
        on=on,
        discount=preview.amount if preview else ZERO,
        shipping=method.fee,
        shipping_method=method.code,
    )
    estimate = delivery_estimate(placed_at=at, payment_confirmed_at=None, method=method.code)
    # The same dates the order will carry (delayed lines ship together from their latest date).
    dates = ship_dates(
        placed_at=at,
        confirmed_at=None,
        method=method.code,
        lines=[(line.availability, line.expected_ship_date) for line in summary.lines],
    )
    return CheckoutQuote(summary, preview, method, estimate, dates)


def shipping_choices(*, at: dt.datetime) -> list[tuple[ShippingMethod, Estimate]]:
    """Every shipping method with its fee and its estimate now, shown before choosing (TOS-15)."""
    return [
        (m, delivery_estimate(placed_at=at, payment_confirmed_at=None, method=m.code))
        for m in shipping_methods()
    ]


# --- Abandoned checkouts (issue #10 item 11, PP-13): nothing personal stays in a session whose
# checkout was left. The web checkout keeps its state under this session key.

CHECKOUT_SESSION_STATE = "checkout"


def _touched_at(state: dict[str, Any]) -> dt.datetime | None:
    raw = state.get("touched_at")
    try:
        return dt.datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def checkout_state_abandoned(state: dict[str, Any], *, at: dt.datetime) -> bool:
    return rules.checkout_abandoned(_touched_at(state), now=at)


def checkout_touch_due(state: dict[str, Any], *, at: dt.datetime) -> bool:
    """Whether a page that only shows the checkout should refresh its idle clock now."""
    return rules.checkout_touch_due(_touched_at(state), now=at)


def purge_abandoned_checkouts(*, at: dt.datetime) -> int:
    """Remove the checkout state (contact, address, payment choice) from every stored session
    whose checkout was left idle past ``rules.CHECKOUT_IDLE``; returns how many. Safe to run
    twice. Reads each unexpired session once (the database session store)."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    store = SessionStore()
    purged = 0
    for key, data in (
        Session.objects.filter(expire_date__gt=at)
        .values_list("session_key", "session_data")
        .iterator()
    ):
        decoded = store.decode(data)
        state = decoded.get(CHECKOUT_SESSION_STATE)
        if not state or not checkout_state_abandoned(state, at=at):
            continue
        decoded.pop(CHECKOUT_SESSION_STATE, None)
        Session.objects.filter(session_key=key, session_data=data).update(
            session_data=store.encode(decoded)
        )
        purged += 1
    return purged
