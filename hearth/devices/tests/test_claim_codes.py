"""A serial in a household moves only when that household releases it, or with the claim code
from its box (issue #10 item 14; PP-16). The unauthenticated POST /api/v1/households cannot take
a unit from its owner."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from hearth.core import clock
from hearth.core.models import AuditEvent
from hearth.devices import rules, services
from hearth.devices.models import ClaimCode, HouseholdProduct
from hearth.devices.tests.ingest_helpers import NOW, event, new_household, post_batch, post_json

pytestmark = pytest.mark.django_db

SERIAL = "EO-ONE-0001"


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def code() -> str:
    return services.issue_claim_code(serial=SERIAL, at=NOW)


def owner_of(serial: str) -> int | None:
    return (
        HouseholdProduct.objects.filter(serial=serial)
        .values_list("household_id", flat=True)
        .first()
    )


def households_count() -> int:
    from hearth.devices.models import Household

    return Household.objects.count()


@pytest.mark.promise("PP-16")
@pytest.mark.parametrize(
    ("claim_codes", "status", "error"),
    [
        (None, 409, "serial_claimed"),
        ({}, 409, "serial_claimed"),
        ({"EO-ONE-0001": "0000-0000-0000"}, 409, "bad_claim_code"),
        ({"EO-ONE-0001": "not a code"}, 409, "bad_claim_code"),
        ({"EO-ONE-9999": "CODE"}, 409, "serial_claimed"),  # a code for another serial
        ("right", 201, None),
        ("right-lower", 201, None),
    ],
)
def test_a_serial_in_a_household_moves_only_with_its_claim_code(
    client: Client, code: str, claim_codes, status, error
) -> None:
    first, first_token = new_household(client, [SERIAL, "EO-SUB-0002"])
    before = households_count()
    if claim_codes == "right":
        claim_codes = {SERIAL: code}
    elif claim_codes == "right-lower":
        claim_codes = {SERIAL.lower(): code.lower().replace("-", " ")}
    body = {"serials": [SERIAL, "EO-ONE-0500"]}
    if claim_codes is not None:
        body["claim_codes"] = claim_codes
    response = post_json(client, "/api/v1/households", body)
    assert response.status_code == status, response.content
    if error:
        assert response.json()["error"]["code"] == error
        # Nothing moved, nothing was created, not even the free serial.
        assert owner_of(SERIAL) == first
        assert owner_of("EO-ONE-0500") is None
        assert households_count() == before
        assert not AuditEvent.objects.filter(action="product_claimed").exists()
    else:
        new = response.json()["household_id"]
        assert owner_of(SERIAL) == new and owner_of("EO-ONE-0500") == new
        assert owner_of("EO-SUB-0002") == first  # the rest of the old household stays
        first_view = client.get(
            f"/api/v1/households/{first}", HTTP_AUTHORIZATION=f"Bearer {first_token}"
        ).json()
        assert first_view["serials"] == ["EO-SUB-0002"]
        assert AuditEvent.objects.filter(action="product_claimed").count() == 1


@pytest.mark.promise("PP-16")
def test_a_released_serial_is_added_by_the_next_household_without_a_code(client: Client) -> None:
    first, token = new_household(client, [SERIAL])
    url = f"/api/v1/households/{first}/products/{SERIAL}/release"
    assert client.post(url).status_code == 401  # no token
    _other, other_token = new_household(client, ["EO-ONE-0777"])
    forged = client.post(url, HTTP_AUTHORIZATION=f"Bearer {other_token}")
    assert forged.status_code == 404 and owner_of(SERIAL) == first
    released = client.post(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert released.status_code == 200
    assert released.json() == {"household_id": first, "released": SERIAL}
    assert owner_of(SERIAL) is None
    again = client.post(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert (again.status_code, again.json()["error"]["code"]) == (404, "unknown_serial")
    response = post_json(client, "/api/v1/households", {"serials": [SERIAL]})
    assert response.status_code == 201
    assert owner_of(SERIAL) == response.json()["household_id"]


@pytest.mark.promise("PP-16")
def test_adding_products_follows_the_same_rule(client: Client, code: str) -> None:
    first, _first_token = new_household(client, [SERIAL])
    second, token = new_household(client, ["EO-ONE-0777"])
    url = f"/api/v1/households/{second}/products"
    refused = post_json(client, url, {"serials": [SERIAL]}, token)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "serial_claimed")
    assert owner_of(SERIAL) == first
    moved = post_json(client, url, {"serials": [SERIAL], "claim_codes": {SERIAL: code}}, token)
    assert moved.status_code == 200
    assert moved.json()["serials"] == ["EO-ONE-0001", "EO-ONE-0777"]
    # Its own serial again is a no-op, no code needed.
    assert post_json(client, url, {"serials": [SERIAL]}, token).status_code == 200


@pytest.mark.promise("PP-16")
def test_a_product_added_event_cannot_move_a_serial_from_another_household(
    client: Client,
) -> None:
    first, _token = new_household(client, [SERIAL])
    _second, token = new_household(client, ["EO-ONE-0777"])
    body = post_batch(
        client,
        token,
        [
            event("product_added", "p1", serial=SERIAL),
            event("product_added", "p2", serial="EO-ONE-0888"),
        ],
    ).json()
    assert body["accepted"] == 1 and body["stored"] == 1
    assert [(r["index"], r["client_event_id"], r["code"]) for r in body["rejected"]] == [
        (0, "p1", "serial_claimed")
    ]
    assert owner_of(SERIAL) == first
    assert owner_of("EO-ONE-0888") == _second


def test_claim_codes_are_kept_only_as_keyed_hashes(code: str) -> None:
    row = ClaimCode.objects.get(serial=SERIAL)
    canonical = rules.normalise_claim_code(code)
    assert canonical is not None and len(canonical) == 12
    assert code not in row.code_hash and canonical not in row.code_hash
    assert len(row.code_hash) == 64


def test_the_factory_command_prints_one_code_per_serial() -> None:
    out = io.StringIO()
    call_command("issue_claim_codes", "eo-one-0005", "EO-SUB-0006", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["EO-ONE-0005", "EO-SUB-0006"]
    assert all(rules.normalise_claim_code(line.split("\t")[1]) for line in lines)
    assert ClaimCode.objects.count() == 2


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("7KQ2-M9XD-4RTB", "7KQ2M9XD4RTB"),
        ("7kq2 m9xd 4rtb", "7KQ2M9XD4RTB"),
        ("OOOO-IIII-LLLL", "000011111111"),
        ("7KQ2-M9XD-4RT", None),
        ("7KQ2-M9XD-4RTU", None),  # U is not in the alphabet
        (None, None),
        ("x" * 41, None),
    ],
)
def test_claim_codes_are_read_as_typed(typed, canonical):
    assert rules.normalise_claim_code(typed) == canonical
