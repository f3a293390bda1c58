"""Households, tokens and telemetry batches over HTTP (PP-16, PP-17, PP-18)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hearth.core import clock
from hearth.devices import rules
from hearth.devices.models import Household, HouseholdProduct, TelemetryEvent
from hearth.devices.tests.ingest_helpers import (
    EVENTS,
    LOWEST,
    NOW,
    TIERS,
    event,
    new_household,
    post_batch,
    post_json,
    set_tier,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def stored(household_id: int) -> list[tuple[str, str, str, dict]]:
    return list(
        TelemetryEvent.objects.filter(household_id=household_id)
        .order_by("client_event_id")
        .values_list("client_event_id", "type", "batch__tier_at_receipt", "payload")
    )


@pytest.mark.promise("PP-16")
def test_a_household_gets_a_random_12_digit_id_and_a_token_stored_only_as_a_hash(
    client: Client,
) -> None:
    hid, token = new_household(client, ["EO-ONE-0001", "EO-MOVE-0002"])
    other, _token = new_household(client, ["EO-ONE-0003"])
    assert 10**11 <= hid < 10**12 and 10**11 <= other < 10**12
    assert abs(hid - other) != 1
    household = Household.objects.get(pk=hid)
    assert household.tier == "decline"
    assert token not in household.token_hash and len(household.token_hash) == 64
    assert household.email is None and household.postal_code is None and household.country is None
    assert sorted(
        HouseholdProduct.objects.filter(household=household).values_list("serial", flat=True)
    ) == [
        "EO-MOVE-0002",
        "EO-ONE-0001",
    ]


@pytest.mark.promise("PP-16")
@pytest.mark.parametrize("extra", ["email", "postal_code", "model", "software_version", "name"])
def test_creating_a_household_accepts_nothing_but_serials(client: Client, extra: str) -> None:
    response = post_json(client, "/api/v1/households", {"serials": ["EO-ONE-0001"], extra: "x"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert extra in response.json()["error"]["fields"]
    assert Household.objects.count() == 0


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"serials": []}', b'{"serials": [7]}'])
def test_bad_household_bodies_are_4xx(client: Client, body: bytes) -> None:
    response = post_json(client, "/api/v1/households", body)
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message", "fields"}


@pytest.mark.promise("PP-16")
@pytest.mark.promise("PP-17")
@pytest.mark.promise("PP-18")
@pytest.mark.parametrize("tier", TIERS)
def test_each_tier_stores_exactly_the_event_types_it_allows(client: Client, tier: str) -> None:
    hid, token = new_household(client)
    set_tier(hid, tier)
    batch = [event(etype, f"e-{etype}") for etype in sorted(EVENTS)]
    response = post_batch(client, token, batch)
    assert response.status_code == 200
    allowed = [t for t in sorted(EVENTS) if TIERS.index(tier) >= TIERS.index(LOWEST[t])]
    refused = [t for t in sorted(EVENTS) if t not in allowed]
    body = response.json()
    assert body["accepted"] == len(allowed)
    assert body["stored"] == len(allowed)
    assert [(r["client_event_id"], r["code"]) for r in body["rejected"]] == [
        (f"e-{t}", "above_tier") for t in refused
    ]
    assert [r["index"] for r in body["rejected"]] == [sorted(EVENTS).index(t) for t in refused]
    assert stored(hid) == [(f"e-{t}", t, tier, EVENTS[t]) for t in allowed]


@pytest.mark.promise("PP-18")
def test_a_played_track_rejects_only_its_event_and_stores_nothing_of_it(client: Client) -> None:
    hid, token = new_household(client)
    set_tier(hid, "registered_opt_in")
    batch = [
        event("usage", "ok-1"),
        event("usage", "bad-1", track="Song 2", artist="Blur"),
        event("playback_error", "ok-2"),
    ]
    body = post_batch(client, token, batch).json()
    assert body["accepted"] == 2
    assert body["rejected"] == [
        {
            "index": 1,
            "client_event_id": "bad-1",
            "code": "forbidden_field",
            "reason": body["rejected"][0]["reason"],
        }
    ]
    assert [row[0] for row in stored(hid)] == ["ok-1", "ok-2"]
    assert "Blur" not in json.dumps([row[3] for row in stored(hid)])


@pytest.mark.promise("PP-18")
def test_a_replayed_batch_stores_nothing_new(client: Client) -> None:
    hid, token = new_household(client)
    set_tier(hid, "registered_opt_in")
    batch = [event("usage", f"u-{i}") for i in range(20)]
    first = post_batch(client, token, batch).json()
    again = post_batch(client, token, batch, gz=True).json()
    assert (first["accepted"], first["stored"]) == (20, 20)
    assert (again["accepted"], again["stored"], again["rejected"]) == (20, 0, [])
    assert TelemetryEvent.objects.filter(household_id=hid).count() == 20


@pytest.mark.promise("PP-16")
def test_one_households_token_cannot_touch_another(client: Client) -> None:
    mine, my_token = new_household(client, ["EO-ONE-0001"])
    theirs, _their_token = new_household(client, ["EO-ONE-0002"])
    for method, url, body in [
        ("get", f"/api/v1/households/{theirs}", None),
        (
            "post",
            f"/api/v1/households/{theirs}/registration",
            {
                "email": "x@example.com",
                "postal_code": "K1A 0B1",
                "country": "CA",
                "tier": "registered_opt_in",
            },
        ),
        ("post", f"/api/v1/households/{theirs}/products", {"serials": ["EO-ONE-0009"]}),
        ("put", f"/api/v1/households/{theirs}/tier", {"tier": "registered_opt_in"}),
        ("delete", f"/api/v1/households/{theirs}/registration", None),
        ("get", "/api/v1/households/999999999999", None),
    ]:
        response = getattr(client, method)(
            url,
            data=json.dumps(body) if body is not None else None,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {my_token}",
        )
        assert response.status_code == 404, (method, url)
        assert response.json()["error"]["code"] == "unknown_household"
    assert Household.objects.get(pk=theirs).email is None
    assert HouseholdProduct.objects.filter(serial="EO-ONE-0009").count() == 0
    # A batch goes to the token's own household, whatever it claims.
    set_tier(mine, "registered_opt_out")
    post_batch(client, my_token, [event("product_added", "p1", household_id=theirs)])
    assert TelemetryEvent.objects.filter(household_id=theirs).count() == 0


@pytest.mark.parametrize("auth", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_a_missing_or_wrong_token_is_401(client: Client, auth: str | None) -> None:
    new_household(client)
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    response = client.post(
        "/api/v1/telemetry/batches",
        data=json.dumps({"events": []}),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b"{nope", {}, 400, "malformed_json"),
        (b"", {}, 400, "malformed_json"),
        (b'{"events": {}}', {}, 400, "malformed_batch"),
        (b'{"events": [], "household_id": 1}', {}, 400, "malformed_batch"),
        (b"[]", {}, 400, "malformed_batch"),
        (b"not gzip", {"HTTP_CONTENT_ENCODING": "gzip"}, 400, "bad_gzip"),
        (gzip.compress(b'{"events": []}')[:-6], {"HTTP_CONTENT_ENCODING": "gzip"}, 400, "bad_gzip"),
        (b'{"events": []}', {"HTTP_CONTENT_ENCODING": "br"}, 415, "unsupported_encoding"),
        (json.dumps({"events": [{}] * 1001}).encode(), {}, 413, "too_many_events"),
        (b'{"events": [' + b'"' + b"x" * 1_000_001 + b'"]}', {}, 413, "batch_too_large"),
        (
            gzip.compress(b'{"events": ["' + b"x" * 1_200_000 + b'"]}'),
            {"HTTP_CONTENT_ENCODING": "gzip"},
            413,
            "batch_too_large",
        ),
    ],
)
def test_bad_batches_are_clear_4xx_and_store_nothing(
    client: Client, body: bytes, headers: dict, status: int, code: str
) -> None:
    hid, token = new_household(client)
    set_tier(hid, "registered_opt_in")
    response = client.post(
        "/api/v1/telemetry/batches",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        **headers,
    )
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert TelemetryEvent.objects.count() == 0


def test_a_gzip_batch_is_accepted(client: Client) -> None:
    hid, token = new_household(client)
    body = post_batch(client, token, [event("product_added", "p1")], gz=True).json()
    assert (body["accepted"], body["stored"]) == (1, 1)
    assert HouseholdProduct.objects.get(serial="EO-ONE-0042").household_id == hid


def test_future_timestamps_are_rejected_per_event(client: Client) -> None:
    hid, token = new_household(client)
    body = post_batch(
        client, token, [event("product_added", "p1", ts="2026-03-03T15:00:01Z")]
    ).json()
    assert body["accepted"] == 0
    assert body["rejected"][0]["code"] == "future_timestamp"
    assert stored(hid) == []


@pytest.mark.promise("PP-17")
def test_a_system_report_sets_the_model_and_software_version_of_the_households_products(
    client: Client,
) -> None:
    hid, token = new_household(client, ["EO-ONE-0001", "EO-MOVE-0002"])
    other, _other_token = new_household(client, ["EO-ERA-0003"])
    set_tier(hid, "registered_opt_out")
    older = event(
        "system_report",
        "s1",
        ts="2026-03-02T13:00:00Z",
        products=[{"serial": "EO-ONE-0001", "model": "One", "software_version": "15.1"}],
    )
    newer = event(
        "system_report",
        "s2",
        products=[
            {"serial": "eo-one-0001", "software_version": "15.2"},
            {"serial": "EO-MOVE-0002", "model": "Move", "software_version": "15.3"},
            {"serial": "EO-ERA-0003", "model": "Era", "software_version": "9.9"},
            {"serial": "EO-UNKNOWN-9", "model": "Ghost", "software_version": "1.0"},
        ],
    )
    body = post_batch(client, token, [newer, older]).json()
    assert (body["accepted"], body["stored"], body["rejected"]) == (2, 2, [])
    products = HouseholdProduct.objects.order_by("serial").values_list(
        "serial", "household_id", "model", "software_version"
    )
    assert list(products) == [
        ("EO-ERA-0003", other, "", ""),
        ("EO-MOVE-0002", hid, "Move", "15.3"),
        ("EO-ONE-0001", hid, "One", "15.2"),
    ]


def test_a_rejected_system_report_changes_no_product(client: Client) -> None:
    hid, token = new_household(client, ["EO-ONE-0001"])
    set_tier(hid, "registered_opt_out")
    bad = event(
        "system_report",
        "s1",
        products=[{"serial": "EO-ONE-0001", "model": "One", "software_version": "15.2"}],
        track="x",
    )
    body = post_batch(client, token, [bad]).json()
    assert (body["accepted"], body["rejected"][0]["code"]) == (0, "forbidden_field")
    assert HouseholdProduct.objects.get(serial="EO-ONE-0001").software_version == ""


_JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-2, max_value=10_000_002),
    st.sampled_from([0, 10_000_000, 2**70, 1.0, 42.5, -0.0]),
    st.sampled_from(["", "x", "x" * 200, "x" * 201, "é" * 200, "Tune Wave", "tunewave", "a\n"]),
    st.sampled_from(["dropout", "unavailable", "crash", "EO-ONE-0001", "-", "_x_"]),
    st.text(max_size=5),
)
_JSON = st.recursive(
    _JSON_LEAF,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["serial", "model", "software_version", "x"]), inner)
    ),
    max_leaves=8,
)
_KEYS = sorted(
    {k for spec in rules.event_schema().events.values() for k in spec.field_types}
    | {"mood", "track", "now_playing_uri", "Title", "type", "device_ts", "client_event_id"}
)
_TIMES = [
    "2026-03-02T14:00:00Z",
    "2026-03-02T14:00:00+00:00",
    "2026-03-01T22:30:00-05:00",
    "2026-03-03T15:00:00Z",
    "2026-03-03T15:00:01Z",
    "2025-12-02T15:00:00Z",
    "2025-01-01T00:00:00Z",
    "2026-03-02T14:00:00",
    "2026-03-02",
    "not a time at all",
    12,
    None,
]
# The last three: a newline inside or first (the batch's IDs are checked joined by newlines,
# rules._client_ids_valid) and a letter outside ASCII.
_IDS = ["c1", "c.2:x_-", "", "x" * 64, "x" * 65, "bad id", "c1\n", 7, "c\n2", "\nc3", "é"]
_OBJ = {"serial": "A"}
_EDGES: dict[str, list[Any]] = {  # per field type: values at and just past each limit
    "str": ["", "x" * 200, "é" * 200, "x" * 201, "a\n", 5, None, ["x"]],
    "key": ["a\n", "Tune Wave", "x" * 40, "x" * 41, "", "tune-wave_2", 3, "É"],
    "count": [-1, 0, 10_000_000, 10_000_001, True, 1.0, None, "4", 2**70],
    "list[str]": [[], [""], ["x"] * 50, ["x"] * 51, "x", [1], ["x" * 201], None],
    "list[key]": [[], ["a\n"], ["A"], ["x"] * 50, ["x"] * 51, ["ok"], [None]],
    # String kinds (events.toml [string.*]): declared values and patterns, just inside and out.
    "str:service": ["tunewave", "Tunewave", "tune wave", "spotify", "", 3, "local", "x" * 41],
    "list[str:service]": [[], ["local"], ["nope"], ["tunewave"] * 50, ["tunewave"] * 51, [3]],
    "str:serial": ["EO-ONE-0001", "EO", "EO--1", "EO-" + "1" * 16, "EO-" + "1" * 17, "é-1", 5],
    "str:account_id": ["acct-77", "-acct", "a" * 40, "a" * 41, "a b", "", None],
    "str:software_version": ["16.4", "16.4.1-beta2", "1" * 33, "v16", "16.", "", 16.4],
    "list[str:controller_os]": [["iOS 17.4"], ["iOS"], ["Hey Jude 1.0"], ["Android 15"], []],
    "list[str:hardware_model]": [["ONE"], ["One"], ["O"], ["X" * 12], ["X" * 13], ["a b"]],
    "enum:unavailable|dropout": ["dropout", "unavailable", "crash", "", None, ["dropout"]],
    "list[object:product]": [
        [_OBJ],
        [{"serial": ""}],
        [{"model": "m"}],
        [{**_OBJ, "title": "x"}],
        [{**_OBJ, "model": None}],
        [{**_OBJ, "software_version": 15}],
        [{**_OBJ, "model": "x" * 201}],
        [{"serial": "EO-ONE-0001", "model": "Bohemian Rhapsody"}],
        [{"serial": "EO-ONE-0001", "software_version": "16.4"}],
        [_OBJ] * 200,
        [_OBJ] * 201,
        _OBJ,
        [[]],
        [],
    ],
}


@st.composite
def _raw_event(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 30)) == 0:
        return draw(_JSON)
    etype = draw(st.sampled_from(sorted(EVENTS)))
    raw = {
        "client_event_id": draw(st.sampled_from(_IDS[:4])),
        "device_ts": draw(st.sampled_from(_TIMES[:5])),
        "type": etype,
        **json.loads(json.dumps(EVENTS[etype])),
    }
    own = rules.event_schema().events[etype].field_types
    for _step in range(draw(st.sampled_from([1, 1, 1, 2, 0]))):
        action = draw(st.sampled_from(["own", "own", "own", "set", "drop", "id", "ts", "type"]))
        if action == "own":
            key = draw(st.sampled_from(sorted(own)))
            raw[key] = draw(st.sampled_from(_EDGES[own[key]]))
        elif action == "set":
            raw[draw(st.sampled_from(_KEYS))] = draw(_JSON)
        elif action == "drop":
            raw.pop(draw(st.sampled_from(sorted(raw))))
        elif action == "id":
            raw["client_event_id"] = draw(st.sampled_from(_IDS))
        elif action == "ts":
            raw["device_ts"] = draw(st.sampled_from(_TIMES))
        else:
            raw["type"] = draw(st.sampled_from([*sorted(EVENTS), "weather", None, 3]))
    return raw


@settings(
    max_examples=500,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(events=st.lists(_raw_event(), max_size=20), tier=st.sampled_from([*TIERS, TIERS[-1]]))
def test_the_fast_validation_path_decides_exactly_as_the_per_event_rules(
    events: list[Any], tier: str
) -> None:
    events = json.loads(json.dumps(events))  # JSON values only, as decode_batch gives
    schema = rules.event_schema()
    oldest = NOW - dt.timedelta(days=90)
    fast = rules.validate_events(
        events, schema=schema, tier=tier, now=NOW, oldest=oldest, from_json=True
    )
    each = rules.validate_events(events, schema=schema, tier=tier, now=NOW, oldest=oldest)
    assert fast == each
    assert [list(e.payload) for e in fast[0]] == [list(e.payload) for e in each[0]]


def _edge_cases() -> list[Any]:
    schema = rules.event_schema()
    cases: list[Any] = ["not an object", [], None]
    for etype, spec in sorted(schema.events.items()):
        base = event(etype, "c1")
        cases += [
            {**base, key: value}
            for key in spec.field_types
            for value in _EDGES[spec.field_types[key]]
        ]
        cases += [{k: v for k, v in base.items() if k != key} for key in base]
        cases += [{**base, "device_ts": ts} for ts in [*_TIMES, "2025-12-02T14:59:59Z"]]
        cases += [{**base, "client_event_id": cid} for cid in _IDS]
        cases += [{**base, key: "x"} for key in _KEYS]
        cases += [{**base, "type": bad} for bad in [None, 3, ["x"], {"a": 1}, etype.upper()]]
    return json.loads(json.dumps(cases))


@pytest.mark.parametrize("tier", TIERS)
def test_the_fast_validation_path_decides_each_edge_case_as_the_per_event_rules(
    tier: str,
) -> None:
    schema = rules.event_schema()
    oldest = NOW - dt.timedelta(days=90)
    cases = _edge_cases()
    for batch in [[case] for case in cases] + [cases]:
        fast = rules.validate_events(
            batch, schema=schema, tier=tier, now=NOW, oldest=oldest, from_json=True
        )
        each = rules.validate_events(batch, schema=schema, tier=tier, now=NOW, oldest=oldest)
        assert fast == each, batch
