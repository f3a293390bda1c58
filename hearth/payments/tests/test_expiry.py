"""Authorisations lapse: a capture after the hold expired is refused; the order renews it first."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.payments import rules, services
from hearth.payments.models import Payment
from hearth.payments.tests.conftest import T0, make_token

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "days", "expired"),
    [("card", 7, False), ("card", 8, True), ("paypal", 3, False), ("paypal", 4, True)],
)
def test_authorisations_lapse_after_the_method_s_hold(method, days, expired):
    at = T0 + dt.timedelta(days=days)
    assert rules.authorisation_expired(method=method, authorised_at=T0, at=at) is expired


def _authorised() -> str:
    with clock.frozen(T0):
        return services.authorise(
            token=make_token(), amount=Decimal("120.00"), reference="EO-1", idempotency_key="a"
        ).payment_id


def test_capturing_a_lapsed_authorisation_is_refused_and_takes_nothing():
    pid = _authorised()
    with clock.frozen(T0 + dt.timedelta(days=8)), pytest.raises(DomainError) as caught:
        services.capture(payment_id=pid, idempotency_key="c")
    assert caught.value.code == "authorisation_expired"
    assert Payment.objects.get(payment_id=pid).captured_amount is None


def test_reauthorising_makes_a_new_payment_voids_the_old_and_is_idempotent():
    pid = _authorised()
    with clock.frozen(T0 + dt.timedelta(days=8)):
        renewed = services.reauthorise(payment_id=pid, idempotency_key="r")
        again = services.reauthorise(payment_id=pid, idempotency_key="r")
        assert again.payment_id == renewed.payment_id
        assert services.capture(payment_id=renewed.payment_id, idempotency_key="c").status == (
            "captured"
        )
    assert Payment.objects.get(payment_id=pid).status == "voided"
    assert Payment.objects.filter(reference="EO-1").count() == 2
