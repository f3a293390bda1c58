"""A placed order (web or phone) writes CASL implied consent for 2 years (issue #10 item 6).

An unticked news-and-offers box is not an opt-out; the separate opt-out box is, and the implied
consent never counts over it (the whole table: test_consent_at_checkout.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from hearth.orders.services import place_order
from hearth.orders.tests.conftest import APPROVE_VISA, T0, card_token, draft
from hearth.privacy import selectors
from hearth.privacy.models import ConsentKind, ConsentRecord, Purpose
from hearth.privacy.services import record_consent


def place(channel: str = "web", key: str = "key-1", **kwargs):
    return place_order(
        draft=draft(**kwargs),
        payment_token=card_token(APPROVE_VISA),
        payment_method="card",
        idempotency_key=key,
        channel=channel,
        at=T0,
    )


def two_years_after(at: dt.datetime) -> dt.datetime:
    return at.replace(year=at.year + 2)


@pytest.mark.promise("PP-5")
@pytest.mark.parametrize("channel", ["web", "phone"])
def test_a_placed_order_writes_implied_consent_for_two_years(speaker, channel):
    order = place(channel=channel, marketing_opt_in=True)
    implied = ConsentRecord.objects.get(kind=ConsentKind.IMPLIED)
    assert (
        implied.purpose,
        implied.granted,
        implied.implied_from,
        implied.expires_at,
        implied.email,
        implied.source,
        implied.evidence,
    ) == (
        "marketing_email",
        True,
        "purchase",
        two_years_after(T0),
        "ada@example.com",
        f"order ({channel})",
        f"order {order.number} placed",
    )


@pytest.mark.promise("PP-8")
def test_a_purchase_after_an_unsubscribe_does_not_bring_email_back(speaker):
    record_consent(
        purpose=Purpose.MARKETING_EMAIL,
        granted=True,
        kind=ConsentKind.EXPRESS,
        source="sign-up",
        at=T0 - dt.timedelta(days=30),
        email="ada@example.com",
    )
    record_consent(
        purpose=Purpose.MARKETING_EMAIL,
        granted=False,
        kind=ConsentKind.EXPRESS,
        source="unsubscribe link",
        at=T0 - dt.timedelta(days=1),
        email="ada@example.com",
    )
    place(marketing_opt_in=False)
    later = T0 + dt.timedelta(days=30)
    may = selectors.may_contact(purpose="marketing_email", at=later, email="ada@example.com")
    assert may is False


@pytest.mark.promise("PP-5")
def test_a_ticked_box_stays_express_and_outlives_the_implied_consent(speaker):
    place(marketing_opt_in=True)
    state = selectors.current_consents(at=T0 + dt.timedelta(days=800), email="ada@example.com")
    assert (state["marketing_email"].granted, state["marketing_email"].kind) == (True, "express")
