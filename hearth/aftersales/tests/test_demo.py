"""The after-sales demo command: idempotent, and what it makes is eligible for the four flows
(a 45-day return, covered and not-covered claims, an advance replacement) through the rules."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from hearth.accounts.models import User
from hearth.aftersales import demo
from hearth.aftersales.selectors import shipped_units
from hearth.aftersales.services import begin_order_rma
from hearth.aftersales.warranty import terms_of
from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.fulfilment.models import Unit
from hearth.orders.models import Order

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(settings, db) -> None:
    settings.PASSWORD_HASHERS = ["hearth.accounts.tests.conftest.QuickArgon2PasswordHasher"]
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }
    for name in ("sync_roles", "load_policies", "load_catalogue"):
        call_command(name, stdout=io.StringIO())


def run() -> str:
    out = io.StringIO()
    with clock.frozen(NOW):
        call_command("demo_aftersales", stdout=out)
    return out.getvalue()


@pytest.mark.promise("TOS-22")
@pytest.mark.promise("TOS-23")
def test_the_demo_makes_a_verified_customer_with_delivered_orders_once(store) -> None:
    first = run()
    customer = User.objects.get(email=demo.DEMO_CUSTOMER)
    assert customer.email_verified_at is not None
    assert customer.check_password(demo.DEMO_CUSTOMER_PASSWORD)
    orders = list(Order.objects.filter(customer=customer).order_by("placed_at"))
    assert [o.status for o in orders] == ["delivered", "delivered"]
    serials = sorted(s for spec in demo.ORDERS for _sku, s in spec.serials(1))
    assert sorted(Unit.objects.values_list("serial", flat=True)) == serials
    for order in orders:
        assert order.number in first
    assert demo.DEMO_CUSTOMER_PASSWORD in first and demo.DEALER_SERIAL in first
    second = run()  # idempotent: nothing new, the same report
    assert Order.objects.count() == 2 and Unit.objects.count() == len(serials)
    assert second == first
    assert not Unit.objects.filter(serial=demo.DEALER_SERIAL).exists()


@pytest.mark.promise("TOS-22")
@pytest.mark.promise("TOS-23")
def test_the_demo_units_are_eligible_for_a_return_and_for_warranty_claims(store) -> None:
    run()
    recent = Order.objects.get(idempotency_key="demo-aftersales-recent")
    older = Order.objects.get(idempotency_key="demo-aftersales-older")
    assert {u.serial for u in shipped_units(recent)} == {"EO1C90000001", "EOGC90000001"}
    with clock.frozen(NOW):
        returned = begin_order_rma(
            order=recent, serials=["EO1C90000001"], kind="return", actor=None, at=NOW
        )
        claim = begin_order_rma(
            order=older,
            serials=["EO1B90000001"],
            kind="warranty",
            actor=None,
            at=NOW,
            problem="It stopped playing.",
        )
    assert (returned.state, claim.state) == ("issued", "issued")
    # The 200-day-old order is past its 45 days: a return there is refused with its reason.
    with clock.frozen(NOW), pytest.raises(DomainError):
        begin_order_rma(order=older, serials=["EO5C90000001"], kind="return", actor=None, at=NOW)
    assert older.rmas.count() == 1
    # The advance replacement's unit qualifies by its SKU's terms.
    terms = terms_of("EO-ONE-BIR")
    assert terms is not None and terms.advance_replacement


def test_the_demo_customer_sees_the_recent_order_returnable_in_my_stuff(store) -> None:
    from django.test import Client

    run()
    recent = Order.objects.get(idempotency_key="demo-aftersales-recent")
    client = Client()
    client.force_login(User.objects.get(email=demo.DEMO_CUSTOMER))
    with clock.frozen(NOW):
        page = client.get(f"/my-stuff/orders/{recent.number}/return/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "EO1C90000001" in text and "EOGC90000001" in text


@pytest.mark.promise("TOS-22")
def test_a_demo_kept_for_weeks_gets_a_fresh_returnable_order_once(store) -> None:
    run()
    later = NOW + dt.timedelta(days=40)
    out = io.StringIO()
    with clock.frozen(later):
        call_command("demo_aftersales", stdout=out)
        call_command("demo_aftersales", stdout=io.StringIO())  # and only once
    fresh = Order.objects.get(idempotency_key="demo-aftersales-recent-2")
    assert fresh.status == "delivered" and fresh.number in out.getvalue()
    assert {u.serial for u in shipped_units(fresh)} == {"EO1C90000002", "EOGC90000002"}
    assert Order.objects.count() == 3  # the 200-day order is still inside its warranty year
    with clock.frozen(later):
        rma = begin_order_rma(
            order=fresh, serials=["EO1C90000002"], kind="return", actor=None, at=later
        )
    assert rma.state == "issued"
