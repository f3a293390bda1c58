"""The checkout's pages take as many queries with 3 lines in the basket as with 1, and with 200
products in the catalogue as with 1 (issue #12: no query count per page grows with catalogue or
basket size); each page reads the basket once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hearth.catalog.models import Product, Variant
from hearth.checkout.tests.conftest import VISA, make_variant
from hearth.checkout.tests.test_one_page_checkout import DETAILS
from hearth.checkout.tests.test_web_checkout import hidden, text

pytestmark = pytest.mark.usefixtures("frozen_clock", "speaker")


def _catalogue(count: int) -> None:
    products = Product.objects.bulk_create(
        Product(slug=f"filler-{n:04d}", name=f"Filler {n}", category="speakers", summary="x")
        for n in range(count)
    )
    Variant.objects.bulk_create(
        Variant(product=p, sku=f"FIL-{n:04d}", colour="Birch", price=Decimal("99.00"))
        for n, p in enumerate(products)
    )


def _journey(client: Client, skus: list[str]) -> dict[str, int]:
    """Queries per request of the guest journey, by step; each step answered as expected."""
    counts: dict[str, int] = {}

    def step(name: str, method: str, url: str, data: dict[str, Any] | None = None) -> Any:
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, method)(url, data or {})
        assert response.status_code in (200, 302), (name, response.status_code)
        counts[name] = len(captured.captured_queries)
        return response

    client.get("/")  # the policy versions are read once per process, not per page
    for n, sku in enumerate(skus):
        step(f"add {n}", "post", "/basket/add/", {"sku": sku, "quantity": "1"})
    step("basket", "get", "/basket/")
    step("start", "get", "/checkout/")
    step("age", "get", "/checkout/age/")
    step("age post", "post", "/checkout/age/", {"adult": "yes"})
    step("details", "get", "/checkout/details/")
    to_provider = step("details post", "post", "/checkout/details/", DETAILS)
    session = parse_qs(urlsplit(to_provider.url).query)["session"][0]
    step("card page", "get", to_provider.url)
    card = {"session": session, "card_number": VISA, "exp_month": "12", "exp_year": "2030"}
    back = step("card post", "post", to_provider.url, card | {"cvc": "123"})
    step("payment return", "get", back.url)
    review = text(step("review", "get", "/checkout/review/"))
    placed = step(
        "place",
        "post",
        "/checkout/review/",
        {"adult": "on", "end_user": "on", "accurate": "on"}
        | {k: hidden(review, k) for k in ("place_token", "basket_version")},
    )
    assert placed.url.startswith("/checkout/confirmation/")
    step("confirmation", "get", placed.url)
    return counts


def test_no_checkout_page_takes_more_queries_for_a_bigger_catalogue_or_basket() -> None:
    small = _journey(Client(), ["EO-ONE-CHR"])
    _catalogue(200)
    assert _journey(Client(), ["EO-ONE-CHR"]) == small  # 200 more products: the same
    make_variant("EO-TWO-BIR", slug="ember-two", price="199.00")
    make_variant("EO-SUB-CHR", slug="ember-sub", price="499.00")
    big = _journey(Client(), ["EO-ONE-CHR", "EO-TWO-BIR", "EO-SUB-CHR"])
    # Three lines: every page the same, but placing reserves stock with one conditional
    # UPDATE per SKU (in SKU order: the correctness of stock under concurrency).
    assert big.pop("place") == small.pop("place") + 2
    assert {k: v for k, v in big.items() if k not in ("add 1", "add 2")} == small
    # Each page reads the session once and the basket's lines once (one join).
    for name in ("basket", "start", "age", "details", "review"):
        assert small[name] <= 6, (name, small[name])


def _session_writes(client: Client, method: str, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries if "django_session" in q["sql"]][1:]


def test_showing_the_basket_after_adding_and_the_review_writes_no_session() -> None:
    """The add-to-basket POST remembers the header's count and the payment's return makes the
    review's one-time token, both with the session write they make anyway: the pages that
    follow only read it."""
    client = Client()
    client.get("/")
    client.post("/basket/add/", {"sku": "EO-ONE-CHR", "quantity": "2"})
    assert _session_writes(client, "get", "/basket/") == []
    assert client.post("/checkout/age/", {"adult": "yes"}).status_code == 302
    to_provider = client.post("/checkout/details/", DETAILS)
    session = parse_qs(urlsplit(to_provider.url).query)["session"][0]
    card = {"session": session, "card_number": VISA, "exp_month": "12", "exp_year": "2030"}
    back = client.post(to_provider.url, card | {"cvc": "123"})
    assert client.get(back.url).url == "/checkout/review/"
    assert _session_writes(client, "get", "/checkout/review/") == []
    # The header's count, remembered at the add, is the basket's.
    assert '<span class="basket-count" aria-hidden="true">2</span>' in text(client.get("/"))
