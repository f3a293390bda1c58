"""Telemetry string fields are validated by the event data (issue #10 item 15, PP-18): the music
service from the declared list, identifiers by pattern and length, so that what is played cannot
be smuggled into a permitted field. Refusals are per event, with the kind's exact reason."""

from __future__ import annotations

import copy
import tomllib

import pytest
from django.test import Client

from hearth.core import clock
from hearth.devices import rules
from hearth.devices.models import TelemetryEvent
from hearth.devices.tests.ingest_helpers import (
    NOW,
    event,
    new_household,
    post_batch,
    set_tier,
)

SERVICE_REASON = (
    "service: not a music service Hearth knows (the list is [string.service] in events.toml)."
)


@pytest.fixture
def opted_in(client: Client, db) -> tuple[int, str]:
    with clock.frozen(NOW):
        hid, token = new_household(client)
        set_tier(hid, "registered_opt_in")
    return hid, token


@pytest.mark.promise("PP-18")
@pytest.mark.parametrize(
    ("etype", "smuggled", "reason"),
    [
        ("usage", {"service": "bohemian-rhapsody"}, SERVICE_REASON),
        ("playback_error", {"service": "queen"}, SERVICE_REASON),
        (
            "system_report",
            {"music_services": ["tunewave", "hey-jude"]},
            "music_services[1]: not a music service Hearth knows (the list is [string.service] "
            "in events.toml).",
        ),
        (
            "system_report",
            {"account_id": "Yesterday by The Beatles"},
            "account_id: an account ID: 1 to 40 letters, digits, '_' or '-'.",
        ),
        (
            "system_report",
            {"hardware_models": ["ONE", "StairwayToHeaven"]},
            "hardware_models[1]: a hardware model code: 2 to 12 letters and digits, such as ONE.",
        ),
        (
            "system_report",
            {"controller_os": ["Imagine 9"]},
            "controller_os[0]: a controller operating system and its version, such as iOS 17.4.",
        ),
        (
            "system_report",
            {"software_version": "16.4 (now playing: Let It Be)"},
            "software_version: a software version such as 16.4 or 16.4.1-beta2, at most 32 "
            "characters.",
        ),
    ],
)
def test_what_is_played_cannot_ride_in_a_permitted_string_field(
    client: Client, opted_in, etype, smuggled, reason
) -> None:
    hid, token = opted_in
    with clock.frozen(NOW):
        body = post_batch(
            client, token, [event(etype, "bad", **smuggled), event("usage", "good")]
        ).json()
    assert body["accepted"] == 1 and body["stored"] == 1
    assert body["rejected"] == [
        {"index": 0, "client_event_id": "bad", "code": "bad_value", "reason": reason}
    ]
    stored = TelemetryEvent.objects.filter(household_id=hid)
    assert list(stored.values_list("client_event_id", flat=True)) == ["good"]


@pytest.mark.promise("PP-18")
def test_a_product_in_a_system_report_is_checked_field_by_field(client: Client, opted_in) -> None:
    _hid, token = opted_in
    report = event(
        "system_report",
        "r1",
        products=[{"serial": "EO-ONE-0001", "model": "Hotel California", "software_version": "1"}],
    )
    with clock.frozen(NOW):
        body = post_batch(client, token, [report]).json()
    assert (body["accepted"], body["rejected"][0]["code"]) == (0, "wrong_type")
    assert body["rejected"][0]["reason"] == "products: expected list[object:product]."


def _doc() -> dict:
    with rules.EVENTS_FILE.open("rb") as fh:
        return tomllib.load(fh)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["event"][2]["fields"].update(service="str"), "free text"),
        (lambda d: d["object"]["product"]["fields"].update(model="str"), "free text"),
        (lambda d: d["event"][1]["fields"].update(account_id="str:station"), "no [string.station]"),
        (lambda d: d["string"]["serial"].update(pattern="[A-Z]*"), "empty string"),
        (lambda d: d["string"]["serial"].update(pattern="[A-Z"), "bad pattern"),
        (lambda d: d["string"]["serial"].pop("max_length"), "needs a max_length"),
        (lambda d: d["string"]["service"].update(pattern="x+"), "either values or a pattern"),
        (lambda d: d["string"]["service"].update(values=["Tune Wave"]), "lower-case"),
        (lambda d: d["string"]["service"].update(values=["a", "a"]), "listed twice"),
        (lambda d: d["string"]["service"].pop("reason"), "needs the reason"),
        (lambda d: d["string"]["service"].pop("source"), "needs a source"),
        (lambda d: d["event"][2]["fields"].update(service="key"), "not a str:service"),
    ],
)
def test_the_string_kinds_are_validated_when_loaded(change, message) -> None:
    doc = copy.deepcopy(_doc())
    assert rules.parse_schema(doc).strings["service"].values  # the file as shipped loads
    change(doc)
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        rules.parse_schema(doc)


def test_every_string_field_of_the_shipped_schema_has_a_declared_kind() -> None:
    schema = rules.event_schema()
    types = [t for spec in schema.events.values() for t in spec.field_types.values()]
    types += [t for obj in schema.objects.values() for t in obj.field_types.values()]
    assert "str" not in types and "list[str]" not in types
    assert schema.events["usage"].field_types["service"] == "str:service"
