"""Per-event validation against events.toml and the tier (pure rules)."""

from __future__ import annotations

import datetime as dt

import pytest

from hearth.devices import rules
from hearth.devices.tests.ingest_helpers import EVENTS, LOWEST, NOW, TIERS, event

SCHEMA = rules.event_schema()
OLDEST = NOW - dt.timedelta(days=90)


def check(raw: object, tier: str = "registered_opt_in") -> rules.ValidEvent | rules.Rejection:
    return rules.validate_event(raw, 0, schema=SCHEMA, tier=tier, now=NOW, oldest=OLDEST)


@pytest.mark.promise("PP-16")
@pytest.mark.promise("PP-17")
@pytest.mark.promise("PP-18")
@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("etype", sorted(EVENTS))
def test_each_type_is_allowed_exactly_from_its_lowest_tier(etype: str, tier: str) -> None:
    result = check(event(etype, "c1"), tier)
    if TIERS.index(tier) >= TIERS.index(LOWEST[etype]):
        assert isinstance(result, rules.ValidEvent)
        assert result.payload == EVENTS[etype]
    else:
        assert isinstance(result, rules.Rejection)
        assert result.code == rules.Reject.ABOVE_TIER


@pytest.mark.promise("PP-18")
@pytest.mark.parametrize(
    "extra",
    ["track", "artist", "album", "station", "title", "uri", "track_title", "now_playing_uri"],
)
def test_anything_about_what_is_played_rejects_the_event(extra: str) -> None:
    result = check(event("usage", "c1", **{extra: "x"}))
    assert isinstance(result, rules.Rejection)
    assert result.code == rules.Reject.FORBIDDEN_FIELD


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not an object", rules.Reject.NOT_AN_OBJECT),
        ({**event("usage", "c1"), "client_event_id": ""}, rules.Reject.BAD_CLIENT_EVENT_ID),
        ({**event("usage", "c1"), "client_event_id": "x" * 65}, rules.Reject.BAD_CLIENT_EVENT_ID),
        ({**event("usage", "c1"), "type": "weather"}, rules.Reject.UNKNOWN_TYPE),
        ({**event("usage", "c1"), "device_ts": "2026-03-02T14:00:00"}, rules.Reject.BAD_DEVICE_TS),
        ({**event("usage", "c1"), "device_ts": 12}, rules.Reject.BAD_DEVICE_TS),
        (
            {**event("usage", "c1"), "device_ts": "2026-03-03T15:00:01Z"},
            rules.Reject.FUTURE_TIMESTAMP,
        ),
        ({**event("usage", "c1"), "device_ts": "2025-01-01T00:00:00Z"}, rules.Reject.TOO_OLD),
        ({**event("usage", "c1"), "mood": "happy"}, rules.Reject.UNDECLARED_FIELD),
        ({**event("usage", "c1"), "service_minutes": "42"}, rules.Reject.WRONG_TYPE),
        ({**event("usage", "c1"), "service_minutes": -1}, rules.Reject.WRONG_TYPE),
        ({**event("usage", "c1"), "service_minutes": True}, rules.Reject.WRONG_TYPE),
        ({**event("usage", "c1"), "service": "Tune Wave"}, rules.Reject.BAD_VALUE),
        ({**event("usage", "c1"), "service": 7}, rules.Reject.WRONG_TYPE),
        ({**event("playback_error", "c1"), "kind": "crash"}, rules.Reject.WRONG_TYPE),
        (
            {**event("system_report", "c1"), "products": [{"serial": "A1B2", "title": "x"}]},
            rules.Reject.WRONG_TYPE,
        ),
        (
            {k: v for k, v in event("playback_error", "c1").items() if k != "count"},
            rules.Reject.MISSING_FIELD,
        ),
    ],
)
def test_bad_events_are_rejected_with_a_code(raw: object, code: rules.Reject) -> None:
    result = check(raw)
    assert isinstance(result, rules.Rejection)
    assert result.code == code


def test_a_timestamp_exactly_one_day_ahead_is_accepted() -> None:
    result = check({**event("usage", "c1"), "device_ts": "2026-03-03T15:00:00+00:00"})
    assert isinstance(result, rules.ValidEvent)
    assert result.day == dt.date(2026, 3, 3)


def test_day_is_the_utc_date_of_the_device_time() -> None:
    result = check({**event("usage", "c1"), "device_ts": "2026-03-01T22:30:00-05:00"})
    assert isinstance(result, rules.ValidEvent)
    assert result.device_ts == dt.datetime(2026, 3, 2, 3, 30, tzinfo=dt.UTC)
    assert result.day == dt.date(2026, 3, 2)
    assert result.service == "tunewave"


def test_contributions_map_events_to_metrics() -> None:
    usage = SCHEMA.events["usage"]
    assert rules.contributions(usage, EVENTS["usage"]) == [
        ("service_minutes", 42),
        ("local_library_minutes", 5),
        ("queue_actions", 3),
        ("eq_changes", 1),
        ("stereo_pairs_created", 0),
        ("line_in_minutes", 7),
        ("dock_minutes", 2),
    ]
    errors = SCHEMA.events["playback_error"]
    assert rules.contributions(errors, EVENTS["playback_error"]) == [("dropouts", 2)]
    assert rules.contributions(errors, {"service": "x", "kind": "unavailable", "count": 4}) == [
        ("unavailable_errors", 4)
    ]


def test_a_schema_declaring_a_content_field_does_not_load() -> None:
    doc = {
        "tiers": TIERS,
        "forbidden": ["track"],
        "event": [{"type": "x", "tier": "decline", "source": "s", "fields": {"track_name": "str"}}],
    }
    with pytest.raises(ValueError, match="forbidden content"):
        rules.parse_schema(doc)


@pytest.mark.parametrize(
    ("serials", "expected"),
    [
        (["eo-one-0001", "EO-ONE-0001 "], ["EO-ONE-0001"]),
        ([], None),
        (["x"], None),
        ([1234], None),
        ("EO-ONE-0001", None),
        (["EO ONE 0001"], None),
    ],
)
def test_clean_serials(serials: object, expected: list[str] | None) -> None:
    assert rules.clean_serials(serials) == expected


@pytest.mark.parametrize(
    ("ids", "valid"),
    [
        ([], True),
        (["c1"], True),
        (["c1", "c.2:x_-", "x" * 64], True),
        (["c1", "x" * 65], False),
        (["c1", ""], False),
        (["c\n2"], False),  # two valid IDs once split at the newline: still one bad ID
        (["c1", "\nc3"], False),
        (["c1\n"], False),
        (["bad id"], False),
        (["é"], False),
    ],
)
def test_a_batch_s_client_event_ids_are_valid_together_exactly_when_each_is(
    ids: list[str], valid: bool
) -> None:
    assert rules._client_ids_valid(ids) is valid
    assert all(rules._CLIENT_ID.fullmatch(i) for i in ids) is valid
