"""API error messages in the caller's language (issue #16 item 1): ``Accept-Language: fr-CA``
gets French messages, while the codes and field names, the contract, stay the same."""

from __future__ import annotations

import json
from typing import Any

import pytest

QUOTE = "/api/v1/tax/quote"
ADDRESS_CHECK = "/api/v1/fulfilment/address-check"


def post(client: Any, path: str, body: object, language: str) -> tuple[int, dict[str, Any]]:
    response = client.post(
        path,
        data=json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    return response.status_code, response.json()


@pytest.mark.parametrize(
    ("body", "code", "field", "english", "french"),
    [
        (
            {
                "date": "2026-03-01",
                "province": "ZZ",
                "lines": [{"unit_price": "1.00", "quantity": 1}],
            },
            "unknown_province",
            "province",
            "Unknown province or territory",
            "Province ou territoire inconnu",
        ),
        (
            {"date": "2026-03-01", "province": "ON", "lines": [{"unit_price": 199, "quantity": 1}]},
            "invalid",
            "lines.0.unit_price",
            "must be a decimal string",
            "doit être une chaîne décimale",
        ),
    ],
)
def test_api_error_is_french_for_a_french_caller_with_the_same_code(
    api_client: Any, db: Any, body: object, code: str, field: str, english: str, french: str
) -> None:
    status_en, answer_en = post(api_client, QUOTE, body, "en")
    status_fr, answer_fr = post(api_client, QUOTE, body, "fr-CA")
    assert status_en == status_fr == 400
    assert answer_en["error"]["code"] == answer_fr["error"]["code"] == code
    assert set(answer_en["error"]["fields"]) == set(answer_fr["error"]["fields"]) == {field}
    assert english in answer_en["error"]["message"]
    assert french in answer_fr["error"]["message"]
    assert french in answer_fr["error"]["fields"][field]


def test_address_problems_are_french_with_the_same_codes(api_client: Any, db: Any) -> None:
    body = {
        "lines": ["PO Box 123"],
        "city": "Ottawa",
        "province": "ON",
        "postal_code": "K1A 0B1",
        "country": "CA",
    }
    _status, english = post(api_client, ADDRESS_CHECK, body, "en")
    _status, french = post(api_client, ADDRESS_CHECK, body, "fr-CA")
    assert english["accepted"] is french["accepted"] is False
    codes = [(p["code"], p["field"]) for p in english["problems"]]
    assert codes == [(p["code"], p["field"]) for p in french["problems"]]
    assert ("po_box", "lines") in codes
    for mine, theirs in zip(english["problems"], french["problems"], strict=True):
        assert mine["message"] != theirs["message"]


def test_an_unsupported_language_gets_english_without_error(api_client: Any, db: Any) -> None:
    body = {
        "date": "2026-03-01",
        "province": "ZZ",
        "lines": [{"unit_price": "1.00", "quantity": 1}],
    }
    status, answer = post(api_client, QUOTE, body, "de-DE")
    assert status == 400
    assert answer["error"]["message"].startswith("Unknown province or territory")
