"""Receiving stock re-dates the orders it leaves waiting (issue #11, TOS-20): the oldest orders
get the units, the rest take the "expected date for the rest" the warehouse enters (required
while any would still wait, never in the past), the variant takes it too, and every re-dated
customer gets exactly one email, through the comms outbox to a real SMTP server."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hearth.catalog.models import Availability, Variant
from hearth.core.errors import DomainError
from hearth.fulfilment import rules, services
from hearth.fulfilment.models import StockReceipt
from hearth.fulfilment.tests.conftest import ON_ADDRESS, T0
from hearth.orders.models import Order, OrderEvent, OrderLine, OrderStatus

pytestmark = pytest.mark.usefixtures("warehouse_setup")

SKU = "EO-FIVE-BIR"
DECEMBER = dt.date(2026, 12, 1)  # the pre-order's date when the orders were placed
JANUARY = dt.date(2027, 1, 15)  # the next container
TODAY = dt.date(2026, 11, 2)  # T0 in Toronto
IS_IN = "Your order {}: the item you waited for is in"
NEW_DATE = "A new expected ship date for your order {}"


@pytest.fixture
def preorder() -> Variant:
    from hearth.orders.tests.conftest import make_variant

    return make_variant(
        SKU, "349.00", 0, availability=Availability.PREORDER, expected_ship_date=DECEMBER
    )


def placed(key: str, *, hours: int) -> Order:
    """A pre-order of one unit placed ``hours`` after T0, paid by card, waiting for stock."""
    from hearth.core import clock
    from hearth.orders import rules as order_rules
    from hearth.orders.services import place_order
    from hearth.orders.tests.conftest import APPROVE_VISA, card_token

    at = T0 - dt.timedelta(days=20) + dt.timedelta(hours=hours)
    draft = order_rules.OrderDraft(
        lines=[(SKU, 1)],
        customer=None,
        email=f"{key}@example.com",
        name="Ada Lovelace",
        phone="+1 416 555 0100",
        shipping_address=ON_ADDRESS,
        attestations=order_rules.Attestations(adult=True, end_user=True, accurate=True),
        shipping_method="standard",
    )
    with clock.frozen(at):
        return place_order(
            draft=draft,
            payment_token=card_token(APPROVE_VISA),
            payment_method="card",
            idempotency_key=f"rd-{key}",
            channel="web",
            at=at,
        )


def four_waiting() -> list[Order]:
    return [placed(key, hours=hours) for hours, key in enumerate(["a", "b", "c", "d"])]


def _nothing_changed(orders: list[Order], smtp_server: Any) -> None:
    assert not StockReceipt.objects.exists()
    assert not OrderLine.objects.filter(allocated_at__isnull=False).exists()
    assert set(OrderLine.objects.values_list("expected_ship_date", flat=True)) == {DECEMBER}
    assert not OrderEvent.objects.filter(note__contains=SKU).exists()
    v = Variant.objects.get(sku=SKU)
    assert (v.stock_on_hand, v.expected_ship_date) == (0, DECEMBER)
    assert all(
        Order.objects.get(pk=o.pk).status == OrderStatus.PLACED for o in orders
    )  # nobody captured
    assert smtp_server.messages == []


def _subjects(mails: list[Any]) -> dict[str, list[str]]:
    by_recipient: dict[str, list[str]] = {}
    for mail in mails:
        by_recipient.setdefault(mail["To"], []).append(mail["Subject"])
    return by_recipient


@pytest.mark.promise("TOS-20")
def test_receiving_gives_the_oldest_orders_stock_and_re_dates_the_rest_one_email_each(
    preorder, smtp_server, django_capture_on_commit_callbacks
):
    a, b, c, d = four_waiting()
    with django_capture_on_commit_callbacks(execute=True):
        receipt = services.receive_stock(
            sku=SKU,
            quantity=2,
            reference="PO 41",
            actor=None,
            at=T0,
            rest_expected_ship_date=JANUARY,
        )
    assert (receipt.sku, receipt.quantity, receipt.reference) == (SKU, 2, "PO 41")
    for order in (a, b, c, d):
        order.refresh_from_db()
    assert [o.lines.get().allocated_at for o in (a, b, c, d)] == [T0, T0, None, None]
    assert [o.status for o in (a, b)] == [OrderStatus.RELEASED, OrderStatus.RELEASED]
    assert [o.status for o in (c, d)] == [OrderStatus.PLACED, OrderStatus.PLACED]
    assert [o.lines.get().expected_ship_date for o in (c, d)] == [JANUARY, JANUARY]
    assert [o.ship_date for o in (c, d)] == [JANUARY, JANUARY]
    assert (a.ship_date, b.ship_date) == (TODAY, TODAY)  # in stock now, before the cut-off
    preorder.refresh_from_db()
    assert (preorder.expected_ship_date, preorder.stock_on_hand) == (JANUARY, 0)
    mails = smtp_server.wait_for(4)
    assert len(mails) == 4
    assert _subjects(mails) == {
        "a@example.com": [IS_IN.format(a.number)],
        "b@example.com": [IS_IN.format(b.number)],
        "c@example.com": [NEW_DATE.format(c.number)],
        "d@example.com": [NEW_DATE.format(d.number)],
    }
    body = mails[[m["To"] for m in mails].index("c@example.com")].get_body(("plain",))
    assert "expected to ship January 15, 2027" in body.get_content()


@pytest.mark.promise("TOS-20")
def test_a_receipt_leaving_orders_waiting_without_a_date_is_refused_and_changes_nothing(
    preorder, smtp_server, django_capture_on_commit_callbacks
):
    orders = four_waiting()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError) as caught:
        services.receive_stock(sku=SKU, quantity=3, reference="PO 42", actor=None, at=T0)
    assert caught.value.code == "rest_date_required"
    assert list(caught.value.fields) == ["rest_expected_ship_date"]
    assert str(caught.value.message) == (
        "1 order would still wait for EO-FIVE-BIR after this receipt: enter the expected ship "
        "date for the rest."
    )
    _nothing_changed(orders, smtp_server)


@pytest.mark.promise("TOS-20")
@pytest.mark.parametrize("quantity", [2, 4, 9])
def test_an_expected_date_in_the_past_is_refused_and_changes_nothing(
    preorder, smtp_server, django_capture_on_commit_callbacks, quantity
):
    orders = four_waiting()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError) as caught:
        services.receive_stock(
            sku=SKU,
            quantity=quantity,
            reference="PO 43",
            actor=None,
            at=T0,
            rest_expected_ship_date=TODAY - dt.timedelta(days=1),
        )
    assert caught.value.code == "rest_date_in_past"
    _nothing_changed(orders, smtp_server)


@pytest.mark.promise("TOS-20")
def test_a_receipt_for_every_waiting_order_needs_no_date_and_one_given_dates_the_variant(
    preorder, smtp_server, django_capture_on_commit_callbacks
):
    a, b, c, d = four_waiting()
    with django_capture_on_commit_callbacks(execute=True):
        services.receive_stock(
            sku=SKU, quantity=5, reference="PO 44", actor=None, at=T0, rest_expected_ship_date=None
        )
    preorder.refresh_from_db()
    assert (preorder.stock_on_hand, preorder.expected_ship_date) == (1, DECEMBER)
    mails = smtp_server.wait_for(4)
    assert sorted(m["Subject"] for m in mails) == sorted(
        IS_IN.format(o.number) for o in (a, b, c, d)
    )
    # The next pre-orders' date (today is allowed): the variant takes it, nobody is re-dated.
    with django_capture_on_commit_callbacks(execute=True):
        services.receive_stock(
            sku=SKU, quantity=1, reference="PO 45", actor=None, at=T0, rest_expected_ship_date=TODAY
        )
    preorder.refresh_from_db()
    assert (preorder.stock_on_hand, preorder.expected_ship_date) == (2, TODAY)
    assert len(smtp_server.messages) == 4


@pytest.mark.promise("TOS-20")
def test_the_stock_page_shows_who_waits_and_needs_the_date_for_the_rest(
    preorder, smtp_server, staff_client, django_capture_on_commit_callbacks
):
    a, b, c, d = four_waiting()
    client = staff_client("warehouse")
    page = client.get("/back-office/warehouse/stock/").content.decode()
    assert f'<tr data-waiting-sku="{SKU}"><td>{SKU}</td><td>4</td><td>4</td></tr>' in page
    assert '<label for="id_r-rest_expected_ship_date">' in page
    form = {"receive": "1", "r-sku": SKU, "r-quantity": "1", "r-reference": "PO 46"}
    with django_capture_on_commit_callbacks(execute=True):
        missing = client.post("/back-office/warehouse/stock/", form)
        past = client.post(
            "/back-office/warehouse/stock/", {**form, "r-rest_expected_ship_date": "2026-11-01"}
        )
    assert (missing.status_code, past.status_code) == (400, 400)
    assert (
        "3 orders would still wait for EO-FIVE-BIR after this receipt: enter the expected ship "
        "date for the rest." in missing.content.decode()
    )
    assert "cannot be in the past (today is 2026-11-02)" in past.content.decode()
    _nothing_changed([a, b, c, d], smtp_server)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/back-office/warehouse/stock/", {**form, "r-rest_expected_ship_date": "2027-01-15"}
        )
    assert done.status_code == 200
    assert f'<tr data-waiting-sku="{SKU}"><td>{SKU}</td><td>3</td><td>3</td></tr>' in (
        done.content.decode()
    )
    mails = smtp_server.wait_for(4)
    assert len(mails) == 4
    assert _subjects(mails) == {
        "a@example.com": [IS_IN.format(a.number)],
        "b@example.com": [NEW_DATE.format(b.number)],
        "c@example.com": [NEW_DATE.format(c.number)],
        "d@example.com": [NEW_DATE.format(d.number)],
    }
    preorder.refresh_from_db()
    assert preorder.expected_ship_date == JANUARY
    event = Order.objects.get(pk=b.pk).events.last()
    assert event.actor.email == "warehouse@example.com"
    assert "2026-12-01 to 2027-01-15" in event.note


@pytest.mark.parametrize(
    ("still_waiting", "date", "problem"),
    [
        (0, None, None),
        (2, None, rules.RestDateProblem.REQUIRED),
        (2, TODAY, None),
        (0, TODAY - dt.timedelta(days=1), rules.RestDateProblem.IN_THE_PAST),
        (1, TODAY - dt.timedelta(days=1), rules.RestDateProblem.IN_THE_PAST),
        (1, JANUARY, None),
    ],
)
def test_the_rest_date_rule(still_waiting, date, problem):
    assert rules.rest_date_problem(still_waiting=still_waiting, date=date, today=TODAY) == problem
