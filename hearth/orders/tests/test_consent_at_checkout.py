"""The two marketing boxes of a purchase, as a customer reads them (issue #10 follow-up).

"Email me news and offers" is express consent; leaving it unticked is not an opt-out (it
withdraws only an express consent the customer had). "Do not email me about products related to
my purchase" is the opt-out at the point of collection: a withdrawal that the purchase's implied
consent (2 years) never overrides. The table: (express before, express box, opt-out box) ->
records the placing appends, and ``may_contact`` at send time within and after the implied term.
"""

from __future__ import annotations

import datetime as dt

import pytest

from hearth.core.errors import DomainError
from hearth.orders.models import Order
from hearth.orders.services import place_order
from hearth.orders.tests.conftest import APPROVE_VISA, T0, card_token, draft
from hearth.privacy import selectors
from hearth.privacy.models import ConsentKind, ConsentRecord, Purpose
from hearth.privacy.services import record_consent

WITHIN = T0 + dt.timedelta(days=365)  # implied consent from the purchase still in force
EXPIRED = T0.replace(year=T0.year + 2) + dt.timedelta(days=1)  # two years and a day later

GRANT = ("express", True)
WITHDRAWAL = ("express", False)
IMPLIED = ("implied", True)


def place(customer, *, key: str = "key-1", at: dt.datetime = T0, **choices) -> Order:
    return place_order(
        draft=draft(customer=customer, email=customer.email, **choices),
        payment_token=card_token(APPROVE_VISA),
        payment_method="card",
        idempotency_key=key,
        channel="web",
        at=at,
    )


def opt_in_before(customer) -> None:
    record_consent(
        purpose=Purpose.MARKETING_EMAIL,
        granted=True,
        kind=ConsentKind.EXPRESS,
        source="my_stuff",
        at=T0 - dt.timedelta(days=30),
        user=customer,
        evidence="box ticked",
    )


def appended(customer) -> list[tuple[str, bool]]:
    return list(
        ConsentRecord.objects.filter(user=customer, at=T0)
        .order_by("at", "id")
        .values_list("kind", "granted")
    )


@pytest.mark.promise("PP-5")
@pytest.mark.promise("PP-8")
@pytest.mark.promise("PP-9")
@pytest.mark.parametrize(
    ("express_before", "ticked", "opted_out", "records", "may_within", "may_expired"),
    [
        # No express consent, both boxes left: implied consent only, for two years.
        (False, False, False, [IMPLIED], True, False),
        # Ticked: express consent, which outlives the implied term.
        (False, True, False, [GRANT, IMPLIED], True, True),
        # Already opted in and left ticked: still express.
        (True, True, False, [GRANT, IMPLIED], True, True),
        # Already opted in and unticked: a withdrawal, which the implied consent does not undo.
        (True, False, False, [WITHDRAWAL, IMPLIED], False, False),
        # The opt-out box: a withdrawal; the purchase's implied consent never counts over it.
        (False, False, True, [WITHDRAWAL, IMPLIED], False, False),
        (True, False, True, [WITHDRAWAL, IMPLIED], False, False),
        # Not asked (the API's field left out): the choice stays as it was.
        (False, None, False, [IMPLIED], True, False),
        (True, None, False, [IMPLIED], True, True),
    ],
)
def test_the_two_boxes_record_what_the_customer_chose(
    speaker, customer, express_before, ticked, opted_out, records, may_within, may_expired
):
    if express_before:
        opt_in_before(customer)
    place(customer, marketing_opt_in=ticked, marketing_opt_out=opted_out)
    assert appended(customer) == records
    assert selectors.may_contact(purpose="marketing_email", at=T0, user=customer) is may_within
    assert selectors.may_contact(purpose="marketing_email", at=WITHIN, user=customer) is may_within
    assert (
        selectors.may_contact(purpose="marketing_email", at=EXPIRED, user=customer) is may_expired
    )


@pytest.mark.promise("PP-8")
@pytest.mark.parametrize("express_before", [False, True])
def test_both_boxes_ticked_is_refused_and_nothing_is_placed_or_recorded(
    speaker, customer, express_before
):
    if express_before:
        opt_in_before(customer)
    with pytest.raises(DomainError) as caught:
        place(customer, marketing_opt_in=True, marketing_opt_out=True)
    assert (caught.value.code, list(caught.value.fields)) == (
        "marketing_choices_conflict",
        ["marketing_opt_out"],
    )
    assert Order.objects.count() == 0
    assert appended(customer) == []


@pytest.mark.promise("PP-8")
def test_a_later_purchase_does_not_override_the_opt_out(speaker, customer):
    place(customer, marketing_opt_out=True)
    later = T0 + dt.timedelta(days=60)
    place(customer, key="key-2", at=later)
    assert ConsentRecord.objects.filter(user=customer, kind=ConsentKind.IMPLIED).count() == 2
    assert (
        selectors.may_contact(
            purpose="marketing_email", at=later + dt.timedelta(days=1), user=customer
        )
        is False
    )


@pytest.mark.promise("PP-5")
def test_a_guest_who_leaves_the_box_unticked_gets_the_implied_consent(speaker):
    order = place_order(
        draft=draft(marketing_opt_in=False),
        payment_token=card_token(APPROVE_VISA),
        payment_method="card",
        idempotency_key="key-g",
        channel="phone",
        at=T0,
    )
    rows = list(ConsentRecord.objects.values_list("kind", "granted"))
    assert rows == [IMPLIED]
    assert selectors.may_contact(purpose="marketing_email", at=WITHIN, email=order.email) is True
    assert selectors.may_contact(purpose="marketing_email", at=EXPIRED, email=order.email) is False
