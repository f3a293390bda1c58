"""Guessing claim codes on the unauthenticated POST /api/v1/households is throttled per serial
and per client, as sign-in is (issue #10 follow-up item 3; PP-16): after 5 wrong codes in 15
minutes, claiming answers 429 ``claim_throttled``, even with the right code."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from hearth.core import clock
from hearth.devices import services
from hearth.devices.models import ClaimFailure, HouseholdProduct
from hearth.devices.tests.ingest_helpers import NOW, new_household, post_json

pytestmark = pytest.mark.django_db

SERIAL = "EO-ONE-0001"
GUESSER = {"REMOTE_ADDR": "203.0.113.7"}
OTHER = {"REMOTE_ADDR": "198.51.100.9"}
WRONG = "0000-0000-0000"


def owner_of(serial: str) -> int | None:
    return (
        HouseholdProduct.objects.filter(serial=serial)
        .values_list("household_id", flat=True)
        .first()
    )


def claim(client: Client, serial: str, code: str, **meta: str):
    return post_json(
        client, "/api/v1/households", {"serials": [serial], "claim_codes": {serial: code}}, **meta
    )


@pytest.mark.promise("PP-16")
def test_five_wrong_codes_for_a_serial_pause_claiming_it_from_any_client(client: Client) -> None:
    with clock.frozen(NOW):
        code = services.issue_claim_code(serial=SERIAL, at=NOW)
        owner, _token = new_household(client, [SERIAL])
        for _guess in range(5):
            wrong = claim(client, SERIAL, WRONG, **GUESSER)
            assert (wrong.status_code, wrong.json()["error"]["code"]) == (409, "bad_claim_code")
        # Another client, even with the right code, is refused while the serial is paused.
        blocked = claim(client, SERIAL, code, **OTHER)
        assert blocked.status_code == 429
        error = blocked.json()["error"]
        assert (error["code"], list(error["fields"])) == ("claim_throttled", ["claim_codes"])
        assert "Too many wrong claim codes" in error["message"]
        assert owner_of(SERIAL) == owner
        # No plaintext serial or address is kept: only keyed digests.
        digests = set(ClaimFailure.objects.values_list("key_digest", flat=True))
        assert SERIAL not in str(digests) and "203.0.113.7" not in str(digests)
    # Once the 15-minute window has passed, the right code moves the unit.
    with clock.frozen(NOW + dt.timedelta(minutes=16)):
        moved = claim(client, SERIAL, code, **OTHER)
        assert moved.status_code == 201
        assert owner_of(SERIAL) == moved.json()["household_id"]


@pytest.mark.promise("PP-16")
def test_five_wrong_codes_from_a_client_pause_that_client_only(client: Client) -> None:
    with clock.frozen(NOW):
        serials = [f"EO-ONE-{n:04d}" for n in range(10, 16)]
        codes = {s: services.issue_claim_code(serial=s, at=NOW) for s in serials}
        new_household(client, serials)
        for serial in serials[:5]:  # one wrong guess per serial: no serial reaches 5
            assert claim(client, serial, WRONG, **GUESSER).status_code == 409
        last = serials[5]
        blocked = claim(client, last, codes[last], **GUESSER)
        assert (blocked.status_code, blocked.json()["error"]["code"]) == (429, "claim_throttled")
        # The same serial from another client, with its right code, moves.
        assert claim(client, last, codes[last], **OTHER).status_code == 201


@pytest.mark.promise("PP-16")
def test_new_households_without_claim_codes_are_not_throttled(client: Client) -> None:
    with clock.frozen(NOW):
        services.issue_claim_code(serial=SERIAL, at=NOW)
        new_household(client, [SERIAL])
        for _guess in range(6):
            claim(client, SERIAL, WRONG, **GUESSER)
        fresh = post_json(client, "/api/v1/households", {"serials": ["EO-SUB-0777"]}, **GUESSER)
        assert fresh.status_code == 201
