"""The sandbox provider's pages through Django's test client: card entry, PayPal approval, the
sales agent's card page and what error reports show."""

from __future__ import annotations

import sys
from decimal import Decimal

import pytest
from django.test import Client, RequestFactory
from django.views.debug import ExceptionReporter

from hearth.accounts.roles import ROLE_KEYS
from hearth.payments import services
from hearth.payments.models import HostedSession, PaymentToken
from hearth.payments.reporting import MASK
from hearth.payments.tests.conftest import CANCEL, RETURN, session_id_of, token_from
from hearth.payments.views import sandbox_card

pytestmark = pytest.mark.django_db


def _card_url(amount: str = "199.00") -> str:
    return services.start_card_session(
        amount=Decimal(amount), reference="EO-12345678", return_url=RETURN, cancel_url=CANCEL
    )


def _card_data(url: str, number: str = "4242 4242 4242 4242", **extra: str) -> dict[str, str]:
    return {
        "session": session_id_of(url),
        "card_number": number,
        "exp_month": "12",
        "exp_year": "2030",
        "cvc": "123",
        **extra,
    }


def test_the_card_page_shows_amount_merchant_notice_and_test_cards(frozen_now):
    response = Client().get(_card_url("226.87"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "$226.87" in html
    assert "Pay Ember &amp; Oak Audio" in html
    assert "EO-12345678" in html
    assert 'data-collection-point="card_entry"' in html
    assert "Card number (required)" in html
    for number in ("4242 4242 4242 4242", "4000 0000 0000 9979", "3782 8224 6310 005"):
        assert number in html
    assert 'autocomplete="cc-number"' in html


@pytest.mark.promise("TOS-10")
def test_a_good_card_returns_a_token_to_the_shop(frozen_now):
    url = _card_url()
    response = Client().post("/pay/sandbox/card/", _card_data(url))
    assert response.status_code == 302
    assert response["Location"].startswith(RETURN + "?payment_token=tok_")
    token = PaymentToken.objects.get(token=token_from(response["Location"]))
    assert (token.brand, token.last4, token.entered_by_agent) == ("visa", "4242", False)
    session = HostedSession.objects.get(session_id=session_id_of(url))
    assert (session.state, session.token) == ("completed", token.token)


def test_the_return_url_cannot_be_tampered_with(frozen_now):
    url = _card_url()
    data = _card_data(url, return_url="https://evil.example.net/", amount="0.01")
    response = Client().post("/pay/sandbox/card/", data)
    assert response["Location"].startswith(RETURN + "?payment_token=")


def test_a_card_page_is_used_once(frozen_now):
    url = _card_url()
    client = Client()
    client.post("/pay/sandbox/card/", _card_data(url))
    again = client.post("/pay/sandbox/card/", _card_data(url))
    assert again.status_code == 409
    assert "already used" in again.content.decode()
    assert PaymentToken.objects.count() == 1


@pytest.mark.parametrize("query", ["", "?session=cs_unknown"])
def test_a_card_page_without_a_valid_session_is_not_found(query):
    response = Client().get("/pay/sandbox/card/" + query)
    assert response.status_code == 404
    assert "expired" in response.content.decode()


@pytest.mark.promise("TOS-10")
@pytest.mark.parametrize(
    ("number", "message"),
    [
        (
            "6011 1111 1111 1117",
            "We do not accept Discover cards. Please pay with Visa, MasterCard, "
            "American Express or PayPal.",
        ),
        ("3530 1113 3330 0000", "We do not accept JCB cards."),
        ("4111 1111 1111 1112", "This card number is not valid."),
        ("4111 1111 1111 111", "A Visa card number has 13 / 16 / 19 digits."),
    ],
)
def test_a_refused_card_is_explained_beside_the_number_and_not_echoed(frozen_now, number, message):
    url = _card_url()
    response = Client().post("/pay/sandbox/card/", _card_data(url, number))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert number not in html and number.replace(" ", "") not in html
    assert PaymentToken.objects.count() == 0
    assert HostedSession.objects.get(session_id=session_id_of(url)).state == "open"


def test_an_expired_card_and_a_short_amex_code_are_refused(frozen_now):
    url = _card_url()
    data = _card_data(url, "3782 822463 10005", exp_month="2", exp_year="26", cvc="123")
    html = Client().post("/pay/sandbox/card/", data).content.decode()
    assert "This card has expired. Please use another card." in html
    assert "Enter the 4-digit security code printed on the card&#x27;s front." in html


def test_cancel_returns_to_the_shop_and_keeps_nothing(frozen_now):
    url = _card_url()
    response = Client().post(
        "/pay/sandbox/cancel/", {"session": session_id_of(url), "kind": "card"}
    )
    assert (response.status_code, response["Location"]) == (302, CANCEL)
    assert PaymentToken.objects.count() == 0
    assert HostedSession.objects.get(session_id=session_id_of(url)).state == "cancelled"


def _paypal_url() -> str:
    return services.start_paypal(
        amount=Decimal("89.00"), reference="EO-87654321", return_url=RETURN, cancel_url=CANCEL
    )


@pytest.mark.promise("TOS-10")
def test_paypal_approve_returns_a_paypal_token(frozen_now):
    url = _paypal_url()
    assert url.startswith("/pay/sandbox/paypal/ppa_")
    client = Client()
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "$89.00" in html and "Approve payment" in html and "Cancel" in html
    response = client.post(url, {"action": "approve"})
    assert response.status_code == 302
    assert response["Location"].startswith(RETURN + "?payment_token=pp_")
    token = PaymentToken.objects.get(token=token_from(response["Location"]))
    assert (token.method, token.brand, token.last4) == ("paypal", "paypal", "")
    assert client.post(url, {"action": "approve"}).status_code == 409


def test_paypal_cancel_returns_to_the_cancel_url_and_keeps_no_token(frozen_now):
    url = _paypal_url()
    response = Client().post(url, {"action": "cancel"})
    assert (response.status_code, response["Location"]) == (302, CANCEL)
    assert PaymentToken.objects.count() == 0
    assert Client().get(url).status_code == 409


def test_a_return_url_with_a_query_keeps_it(frozen_now):
    url = services.start_paypal(
        amount=Decimal("1.00"),
        reference="EO-1",
        return_url="/checkout/payment/return/?step=review",
        cancel_url=CANCEL,
    )
    response = Client().post(url, {"action": "approve"})
    assert response["Location"].startswith("/checkout/payment/return/?step=review&payment_token=")


# --- The sales agent's card page (phone orders).


def _agent_url() -> str:
    return services.start_agent_card_session(
        amount=Decimal("499.00"),
        reference="EO-11112222",
        return_url="/back-office/phone-orders/1/paid/",
        cancel_url="/back-office/phone-orders/1/",
    )


def test_the_agent_card_page_takes_a_card_for_a_sales_agent(frozen_now, staff_client):
    url = _agent_url()
    client = staff_client("sales_agent")
    page = client.get(url)
    assert page.status_code == 200
    assert "Phone order: sales agent card entry." in page.content.decode()
    response = client.post("/pay/sandbox/agent-card/", _card_data(url, "5555555555554444"))
    assert response["Location"].startswith("/back-office/phone-orders/1/paid/?payment_token=tok_")
    token = PaymentToken.objects.get(token=token_from(response["Location"]))
    assert (token.brand, token.last4, token.entered_by_agent) == ("mastercard", "4444", True)


@pytest.mark.parametrize("role", [r for r in ROLE_KEYS if r not in ("sales_agent",)])
def test_the_agent_card_page_is_refused_to_other_staff(frozen_now, staff_client, role):
    url = _agent_url()
    client = staff_client(role)
    if role == "administrator":
        # An administrator is not a sales agent unless also a superuser.
        assert not client.get("/admin/").wsgi_request.user.is_superuser
    assert client.get(url).status_code == 403
    assert client.post("/pay/sandbox/agent-card/", _card_data(url)).status_code == 403
    assert PaymentToken.objects.count() == 0


def test_the_agent_card_page_needs_the_second_factor(frozen_now, staff_client):
    client = staff_client("sales_agent", second_factor=False)
    assert client.get(_agent_url()).status_code == 403


def test_the_agent_card_page_sends_the_anonymous_to_sign_in(frozen_now):
    response = Client().get(_agent_url())
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_customer_cannot_use_the_agent_page_or_an_agent_session(frozen_now, django_user_model):
    customer = django_user_model.objects.create_user(email="ada@example.com", password="x" * 12)
    client = Client()
    client.force_login(customer)
    url = _agent_url()
    assert client.get(url).status_code == 403
    # Nor can the agent's session be used on the shopper's page.
    shopper_page = "/pay/sandbox/card/?session=" + session_id_of(url)
    assert client.get(shopper_page).status_code == 404
    response = client.post(
        "/pay/sandbox/cancel/", {"session": session_id_of(url), "kind": "agent_card"}
    )
    assert response.status_code == 403


# --- Error reports (PP-10).


@pytest.mark.promise("PP-10")
def test_error_reports_never_show_the_card_number_even_with_debug_on(frozen_now, settings):
    settings.DEBUG = True
    url = _card_url()
    # Built at run time: the HTML report quotes this file's source lines around each frame.
    dashed, digits = "-".join(["4242"] * 4), "4242" * 4
    request = RequestFactory().post("/pay/sandbox/card/", _card_data(url, dashed))
    request.session = {}  # the view does not use it
    request._dont_enforce_csrf_checks = True
    sandbox_card(request)
    assert request.sensitive_post_parameters == ("card_number", "cvc")

    def failing(card_number: str) -> None:
        digits = card_number.replace("-", "")
        raise RuntimeError(f"processor unreachable for {len(digits)} digits")

    try:
        failing(request.POST["card_number"])
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
        text = reporter.get_traceback_text()
        html = reporter.get_traceback_html()
    for report in (text, html):
        assert dashed not in report
        assert digits not in report
        assert "card_number" in report
    assert MASK in html  # the frame variables holding it, masked
