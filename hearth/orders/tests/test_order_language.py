"""The order's language (issue #16 item 2): recorded at placing (the page's on the web, the one the
agent chose with the customer on the phone), and every email about the order is written in the
customer's stored language, else the order's. Through the real worker and SMTP (aiosmtpd)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import translation

from hearth.accounts.tests.conftest import make_customer
from hearth.comms.models import OutboundMessage
from hearth.orders.models import CancellationReason, Order
from hearth.orders.selectors import email_language
from hearth.orders.services import cancel_order, place_order
from hearth.orders.tests.conftest import APPROVE_VISA, T0, card_token, draft
from hearth.orders.tests.test_pages import PHONE, _build_form


def _place(*, language: str = "", **kwargs) -> Order:
    from dataclasses import replace

    return place_order(
        draft=replace(draft(**kwargs), language=language),
        payment_token=card_token(APPROVE_VISA),
        payment_method="card",
        idempotency_key=f"k-{language}-{kwargs.get('email', '')}",
        channel="web",
        at=T0,
    )


def _subjects(smtp_server, count: int) -> set[str]:
    return {str(m["Subject"]).strip() for m in smtp_server.wait_for(count)}


def test_an_order_placed_on_a_french_page_records_french_and_its_emails_are_french(
    speaker, smtp_server, django_capture_on_commit_callbacks
) -> None:
    with translation.override("fr-ca"), django_capture_on_commit_callbacks(execute=True):
        order = _place()
    assert order.language == "fr-ca"
    # The worker renders the queued confirmation and invoice in the stored language, although
    # it runs in English here.
    with translation.override("en"):
        subjects = _subjects(smtp_server, 2)
    assert subjects == {
        f"Votre commande {order.number} est confirmée",
        f"Facture {order.invoice_number}",
    }
    assert set(OutboundMessage.objects.values_list("language", flat=True)) == {"fr-ca"}


def test_an_english_guest_order_gets_english_emails(
    speaker, smtp_server, django_capture_on_commit_callbacks
) -> None:
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        order = _place()
    assert order.language == "en"
    with translation.override("fr-ca"):
        subjects = _subjects(smtp_server, 2)
    assert f"Your order {order.number} is confirmed" in subjects


def test_a_customer_who_chose_french_gets_french_order_emails_from_an_english_order(
    speaker, smtp_server, django_capture_on_commit_callbacks
) -> None:
    with translation.override("fr-ca"):
        customer = make_customer()
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        order = _place(customer=customer)
    assert (order.language, email_language(order)) == ("en", "fr-ca")
    assert f"Votre commande {order.number} est confirmée" in _subjects(smtp_server, 2)
    # A later email (the cancellation) follows the customer too.
    with django_capture_on_commit_callbacks(execute=True):
        cancel_order(order=order, reason=CancellationReason.CUSTOMER_REQUEST, actor=None, at=T0)
    assert f"Votre commande {order.number} est annulée" in _subjects(smtp_server, 3)


def test_the_draft_s_language_wins_over_the_page_s_and_nonsense_means_the_page_s(speaker) -> None:
    with translation.override("en"):
        assert _place(language="fr-ca", email="a@example.com").language == "fr-ca"
    with translation.override("fr-ca"):
        assert _place(language="de", email="b@example.com").language == "fr-ca"


@pytest.mark.promise("TOS-5")
def test_a_phone_order_takes_the_language_the_agent_chose_with_the_customer(
    speaker, staff_client, smtp_server, django_capture_on_commit_callbacks
) -> None:
    agent = staff_client("sales_agent")
    build_url = agent.post(PHONE, {"email": "grace@example.com", "full_name": "Grace Hopper"})[
        "Location"
    ]
    page = agent.get(build_url).content.decode()
    assert 'name="language"' in page and 'for="id_language"' in page
    summary_url = agent.post(build_url, _build_form(language="fr-ca"))["Location"]
    card_page = agent.post(summary_url)["Location"]
    session_id = parse_qs(urlsplit(card_page).query)["session"][0]
    place_url = agent.post(
        card_page,
        {"session": session_id, "card_number": APPROVE_VISA, "exp_month": "12"}
        | {"exp_year": "2030", "cvc": "123"},
    )["Location"]
    token = parse_qs(urlsplit(place_url).query)["payment_token"][0]
    with django_capture_on_commit_callbacks(execute=True):
        agent.post(place_url.split("?")[0], {"payment_token": token})
    order = Order.objects.get()
    assert (order.channel, order.language) == ("phone", "fr-ca")
    assert f"Votre commande {order.number} est confirmée" in _subjects(smtp_server, 2)
