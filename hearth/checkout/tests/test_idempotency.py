"""Stripe-grade Idempotency-Key on placing an order (issue #10 item 20).

The key remembers the fingerprint of the request that placed the order: the same key with a
different body is refused (422 ``idempotency_key_mismatch``) and charges nothing; concurrent
duplicates place one order, answered 201 once and 200 (the same order) to every other call.
The concurrency test runs real threads through HTTP on a database they share (``file_db``: a
SQLite file, or the PostgreSQL test database when DATABASE_URL names one).
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import close_old_connections, connection
from django.test import Client

from hearth.catalog.models import Variant
from hearth.checkout.tests.conftest import ADDRESS, VISA, card_token, make_variant
from hearth.orders.models import Order
from hearth.orders.rules import replay_matches, request_fingerprint
from hearth.payments.models import Payment

URL = "/api/v1/checkout/orders"


def order_body(token: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": "ada@example.com",
        "name": "Ada Lovelace",
        "shipping_address": {**ADDRESS},
        "attestations": {"adult": True, "end_user": True, "accurate": True},
        "payment_method": "card",
        "payment_token": token,
        "lines": [{"sku": "EO-IDEM-1", "quantity": 1}],
    }
    body.update(overrides)
    return body


def post(client: Client, body: Any, key: str, *, raw: str | None = None) -> tuple[int, Any]:
    response = client.post(
        URL,
        data=raw if raw is not None else json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )
    return response.status_code, response.json()


def test_the_fingerprint_ignores_key_order_but_not_values() -> None:
    assert request_fingerprint({"a": 1, "b": [1, 2]}) == request_fingerprint({"b": [1, 2], "a": 1})
    assert request_fingerprint({"a": 1}) != request_fingerprint({"a": 2})
    assert len(request_fingerprint({})) == 64
    assert replay_matches(stored="", given="abc")  # placed before fingerprints existed
    assert not replay_matches(stored="abc", given="abd")


@pytest.mark.django_db
@pytest.mark.promise("TOS-4")
def test_the_same_key_with_a_different_body_is_refused_and_charges_nothing(
    frozen_clock: Any,
) -> None:
    make_variant("EO-IDEM-1", price="249.00", stock=5, slug="idem-speaker")
    client = Client()
    token = card_token(VISA)
    status, _first = post(client, order_body(token), "key-mismatch-1")
    assert status == 201

    status, answer = post(client, order_body(token, name="Ada King"), "key-mismatch-1")

    assert status == 422
    assert answer["error"]["code"] == "idempotency_key_mismatch"
    assert list(answer["error"]["fields"]) == ["Idempotency-Key"]
    assert "EO-" not in json.dumps(answer)  # the placed order's number is not shown
    assert Order.objects.count() == 1
    assert Order.objects.get().contact_name == "Ada Lovelace"
    assert Payment.objects.count() == 1
    assert Variant.objects.get(sku="EO-IDEM-1").stock_on_hand == 4
    # Another quantity is another request too.
    body = order_body(token, lines=[{"sku": "EO-IDEM-1", "quantity": 2}])
    assert post(client, body, "key-mismatch-1")[0] == 422


@pytest.mark.django_db
@pytest.mark.promise("TOS-4")
def test_the_same_body_with_its_keys_reordered_replays_as_200(frozen_clock: Any) -> None:
    make_variant("EO-IDEM-1", price="249.00", stock=5, slug="idem-speaker")
    client = Client()
    body = order_body(card_token(VISA))
    status, first = post(client, body, "key-reorder-1")
    assert status == 201
    reordered = json.dumps(dict(reversed(list(body.items()))))

    status, again = post(client, None, "key-reorder-1", raw=reordered)

    assert (status, again) == (200, first)
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1


DUPLICATES = 6


@pytest.mark.promise("TOS-4")
def test_concurrent_duplicates_place_one_order_answered_201_once_and_200_to_the_rest(
    file_db: str,
) -> None:
    make_variant("EO-IDEM-1", price="249.00", stock=5, slug="idem-speaker")
    body = json.dumps(order_body(card_token(VISA)))
    start = threading.Barrier(DUPLICATES)
    answers: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            client = Client()
            start.wait()
            answer = post(client, None, "key-concurrent-1", raw=body)
            with lock:
                answers.append(answer)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(DUPLICATES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    statuses = sorted(status for status, _answer in answers)
    assert statuses == [200] * (DUPLICATES - 1) + [201], (file_db, answers)
    assert len({answer["number"] for _status, answer in answers}) == 1
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1  # charged once
    assert Variant.objects.get(sku="EO-IDEM-1").stock_on_hand == 4  # reserved once
