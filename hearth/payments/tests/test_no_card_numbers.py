"""PP-10: the platform never stores card numbers. Every test card goes through the real HTML pages
(shopper's and sales agent's), is authorised, captured and refunded; then neither any column of
any table (read with a raw cursor, sessions decoded), nor the captured logs (DEBUG, SQL included),
nor the sent mail hold any of the numbers, with or without spaces or dashes."""

from __future__ import annotations

import base64
import logging
from decimal import Decimal

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.db import connection
from django.test import Client

from hearth.payments import cardtables, services
from hearth.payments.tests.conftest import CANCEL, RETURN, session_id_of, token_from

pytestmark = pytest.mark.django_db

REFUSED = ["6011111111111117", "4111111111111112", "3530111333300000"]


def _forms(number: str) -> set[str]:
    groups = [number[i : i + 4] for i in range(0, len(number), 4)]
    amex = [number[:4], number[4:10], number[10:]] if len(number) == 15 else groups
    return {number, " ".join(groups), "-".join(groups), " ".join(amex), "-".join(amex)}


def _every_stored_value() -> list[str]:
    """Every value of every column of every table, as text (bytes decoded both ways)."""
    out: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - names from introspection
            for row in cursor.fetchall():
                for value in row:
                    if value is None:
                        continue
                    if isinstance(value, bytes | memoryview):
                        raw = bytes(value)
                        out.append(raw.decode("utf-8", "replace"))
                        out.append(base64.b64encode(raw).decode())
                    else:
                        out.append(str(value))
            if table == "django_session":
                cursor.execute(f"SELECT session_data FROM {quoted}")  # noqa: S608
                out.extend(str(SessionStore().decode(data)) for (data,) in cursor.fetchall())
    return out


def _pay_through_the_page(client: Client, page: str, url: str, number: str) -> str:
    data = {
        "session": session_id_of(url),
        "card_number": " ".join(number[i : i + 4] for i in range(0, len(number), 4)),
        "exp_month": "11",
        "exp_year": "2031",
        "cvc": "1234" if number.startswith("3") else "123",
    }
    response = client.post(page, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return token_from(response["Location"])


@pytest.mark.promise("PP-10")
def test_no_card_number_reaches_the_database_the_logs_or_the_mail(frozen_now, staff_client, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")  # Django's loggers stop at INFO otherwise
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    connection.force_debug_cursor = True  # every SQL statement goes to the log as well
    try:
        shopper = Client()
        agent = staff_client("sales_agent")
        cards = list(cardtables.sandbox_cards())
        assert len(cards) == 7
        for i, number in enumerate(cards):
            for who, page, start in (
                ("web", "/pay/sandbox/card/", services.start_card_session),
                ("phone", "/pay/sandbox/agent-card/", services.start_agent_card_session),
            ):
                client = shopper if who == "web" else agent
                url = start(
                    amount=Decimal("226.87"),
                    reference=f"EO-{i:08d}",
                    return_url=RETURN,
                    cancel_url=CANCEL,
                )
                assert client.get(url).status_code == 200
                token = _pay_through_the_page(client, page, url, number)
                result = services.authorise(
                    token=token,
                    amount=Decimal("226.87"),
                    reference=f"EO-{i:08d}",
                    idempotency_key=f"{who}-{i}",
                    payer_email="ada@example.com",
                )
                if result.status != "declined":
                    services.capture(payment_id=result.payment_id, idempotency_key=f"c-{who}-{i}")
                    services.refund(
                        payment_id=result.payment_id,
                        amount=Decimal("26.87"),
                        idempotency_key=f"r-{who}-{i}",
                    )
        for number in REFUSED:  # refused on the page: nothing may be kept either
            url = services.start_card_session(
                amount=Decimal("1.00"), reference="EO-1", return_url=RETURN, cancel_url=CANCEL
            )
            response = shopper.post(
                "/pay/sandbox/card/",
                {
                    "session": session_id_of(url),
                    "card_number": number,
                    "exp_month": "11",
                    "exp_year": "2031",
                    "cvc": "123",
                },
            )
            assert response.status_code == 400
    finally:
        connection.force_debug_cursor = False

    stored = "\n".join(_every_stored_value())
    logged = "\n".join(
        [r.getMessage() for r in caplog.records] + [str(r.args) for r in caplog.records]
    )
    sent = "\n".join(str(m.message()) + "".join(str(a) for a in m.attachments) for m in mail.outbox)
    assert "INSERT" in logged  # the SQL really was captured
    assert "4242" in stored  # last four digits are kept, as designed
    for number in cards + REFUSED:
        for form in _forms(number):
            assert form not in stored, f"card number found in the database ({number[-4:]})"
            assert form not in logged, f"card number found in the logs ({number[-4:]})"
            assert form not in sent, f"card number found in mail ({number[-4:]})"
