"""PP-10 end to end (issue #4): after web orders with every sandbox test card, neither the
database, nor the captured logs (SQL included), nor the mail that went out over SMTP holds any
card number, in any spacing."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from hearth.checkout.tests.test_web_checkout import place, to_review
from hearth.orders.models import Order
from hearth.payments import cardtables
from hearth.payments.tests.test_no_card_numbers import _every_stored_value, _forms

pytestmark = pytest.mark.usefixtures("frozen_clock", "speaker")


@pytest.mark.promise("PP-10")
@pytest.mark.promise("TOS-10")
def test_orders_with_every_test_card_leave_no_card_number_in_database_logs_or_mail(
    settings: Any, smtp_server: Any, caplog: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    cards = list(cardtables.sandbox_cards())
    assert len(cards) >= 6  # approve (3 brands), decline, stolen, review, ...
    connection.force_debug_cursor = True  # log every SQL statement with its parameters
    try:
        for number in cards:
            client = Client()
            with django_capture_on_commit_callbacks(execute=True):
                page = to_review(client, card=number)
                place(client, page)
    finally:
        connection.force_debug_cursor = False

    placed = Order.objects.count()
    assert placed >= 4  # the approving cards and the one held for review
    messages = smtp_server.wait_for(2 * placed)
    assert len(messages) >= 2 * placed  # a confirmation and an invoice per order
    sent = "\n".join(m.as_string() for m in messages)
    stored = "\n".join(_every_stored_value())
    logged = "\n".join(
        [r.getMessage() for r in caplog.records] + [str(r.args) for r in caplog.records]
    )
    assert "INSERT" in logged  # the SQL really was captured
    assert "Tax invoice" in sent
    for number in cards:
        for form in _forms(number):
            assert form not in stored, f"card number in the database ({number[-4:]})"
            assert form not in logged, f"card number in the logs ({number[-4:]})"
            assert form not in sent, f"card number in the mail ({number[-4:]})"
