"""Dropout outreach through the database (PP-19): one case per episode, only when opted in."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from hearth.devices import services
from hearth.devices.models import Household, Tier
from hearth.devices.models_reports import DropoutCase, DropoutCaseStatus
from hearth.devices.outreach import after_ingest, close_case

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)
_ids = itertools.count(1)


def household(tier: str) -> Household:
    hh, _token = services.create_household(serials=[f"EO-ONE-{next(_ids):04d}"], at=T0)
    if tier != Tier.DECLINE:
        hh = services.register_household(
            household=hh,
            email=f"owner{hh.id}@example.com",
            postal_code="K1A 0B1",
            country="CA",
            tier=tier,
            at=T0,
        )
    return hh


def dropouts(hh: Household, *, at: dt.datetime, hours: list[float], service: str = "tunewave"):
    """Send one dropout event per entry of ``hours`` (device time T0 + hours); ingestion runs
    outreach itself. Returns the cases this batch opened."""
    events = [
        {
            "client_event_id": f"d-{next(_ids)}",
            "device_ts": (T0 + dt.timedelta(hours=h)).isoformat(),
            "type": "playback_error",
            "service": service,
            "kind": "dropout",
            "count": 1,
        }
        for h in hours
    ]
    before = set(DropoutCase.objects.filter(household_id=hh.id).values_list("id", flat=True))
    result = services.ingest_batch(household=hh, events=events, at=at)
    assert result.rejected == []
    return list(DropoutCase.objects.filter(household_id=hh.id).exclude(id__in=before))


def cases(hh: Household) -> list[tuple[str, str, int]]:
    return list(
        DropoutCase.objects.filter(household_id=hh.id)
        .order_by("id")
        .values_list("service", "status", "dropouts")
    )


@pytest.mark.promise("PP-19")
def test_five_dropouts_in_a_day_open_one_case():
    hh = household(Tier.REGISTERED_OPT_IN)
    assert dropouts(hh, at=T0 + dt.timedelta(hours=4), hours=[0, 1, 2, 3]) == []
    assert cases(hh) == []
    opened = dropouts(hh, at=T0 + dt.timedelta(hours=5), hours=[4])
    assert [(c.service, c.dropouts, c.episode_start) for c in opened] == [("tunewave", 5, T0)]
    assert cases(hh) == [("tunewave", DropoutCaseStatus.OPEN, 5)]


@pytest.mark.promise("PP-19")
def test_more_dropouts_while_a_case_is_open_open_no_second_case():
    hh = household(Tier.REGISTERED_OPT_IN)
    dropouts(hh, at=T0 + dt.timedelta(hours=5), hours=[0, 1, 2, 3, 4])
    assert dropouts(hh, at=T0 + dt.timedelta(hours=9), hours=[5, 6, 7, 8, 8.5]) == []
    assert dropouts(hh, at=T0 + dt.timedelta(hours=40), hours=[35, 36, 37, 38, 39]) == []
    assert after_ingest(household_id=hh.id, at=T0 + dt.timedelta(hours=41)) == []
    assert cases(hh) == [("tunewave", DropoutCaseStatus.OPEN, 5)]


@pytest.mark.promise("PP-19")
def test_after_closing_a_new_episode_needs_new_dropouts_after_the_window():
    hh = household(Tier.REGISTERED_OPT_IN)
    dropouts(hh, at=T0 + dt.timedelta(hours=5), hours=[0, 1, 2, 3, 4])
    case = DropoutCase.objects.get(household_id=hh.id)
    close_case(case_id=case.id, at=T0 + dt.timedelta(hours=6), actor=None)
    # the same episode's dropouts (and more within its window) do not reopen it
    assert dropouts(hh, at=T0 + dt.timedelta(hours=7), hours=[6.5]) == []
    assert after_ingest(household_id=hh.id, at=T0 + dt.timedelta(hours=8)) == []
    # a new burst after the window (T0 + 24 h) is a new episode
    assert dropouts(hh, at=T0 + dt.timedelta(hours=31), hours=[26, 27, 28, 29]) == []
    opened = dropouts(hh, at=T0 + dt.timedelta(hours=31), hours=[30])
    assert [(c.episode_start, c.dropouts) for c in opened] == [(T0 + dt.timedelta(hours=26), 5)]
    assert cases(hh) == [
        ("tunewave", DropoutCaseStatus.CLOSED, 5),
        ("tunewave", DropoutCaseStatus.OPEN, 5),
    ]


@pytest.mark.promise("PP-19")
@pytest.mark.parametrize("tier", [Tier.REGISTERED_OPT_OUT, Tier.DECLINE])
def test_no_case_for_a_household_that_has_not_opted_in(tier):
    hh = household(Tier.REGISTERED_OPT_IN)
    dropouts(hh, at=T0 + dt.timedelta(hours=4), hours=[0, 1, 2, 3])
    services.change_tier(household=hh, tier=tier, at=T0 + dt.timedelta(hours=4), actor=None)
    # the events already stored are still there until the purge task runs: no case all the same
    assert after_ingest(household_id=hh.id, at=T0 + dt.timedelta(hours=4)) == []
    hh.tier = Tier.REGISTERED_OPT_IN  # even were a stale tier read elsewhere, outreach rereads
    assert after_ingest(household_id=hh.id, at=T0 + dt.timedelta(hours=5)) == []
    assert DropoutCase.objects.count() == 0


@pytest.mark.promise("PP-19")
def test_dropout_events_from_an_opt_out_household_are_never_stored_nor_counted():
    hh = household(Tier.REGISTERED_OPT_OUT)
    events = [
        {
            "client_event_id": f"x-{i}",
            "device_ts": T0.isoformat(),
            "type": "playback_error",
            "service": "tunewave",
            "kind": "dropout",
            "count": 5,
        }
        for i in range(3)
    ]
    result = services.ingest_batch(household=hh, events=events, at=T0)
    assert result.accepted == 0
    assert after_ingest(household_id=hh.id, at=T0) == []
    assert DropoutCase.objects.count() == 0


def test_services_are_separate_episodes_and_unavailable_errors_do_not_count():
    hh = household(Tier.REGISTERED_OPT_IN)
    dropouts(hh, at=T0 + dt.timedelta(hours=3), hours=[0, 1, 2], service="tunewave")
    dropouts(hh, at=T0 + dt.timedelta(hours=3), hours=[0, 1, 2], service="radiolia")
    unavailable = [
        {
            "client_event_id": f"u-{i}",
            "device_ts": T0.isoformat(),
            "type": "playback_error",
            "service": "tunewave",
            "kind": "unavailable",
            "count": 10,
        }
        for i in range(2)
    ]
    services.ingest_batch(household=hh, events=unavailable, at=T0 + dt.timedelta(hours=3))
    assert after_ingest(household_id=hh.id, at=T0 + dt.timedelta(hours=3)) == []
    opened = dropouts(hh, at=T0 + dt.timedelta(hours=4), hours=[3, 3.5], service="radiolia")
    assert [c.service for c in opened] == ["radiolia"]


def test_an_empty_service_hint_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert after_ingest(household_id=123456789012, at=T0, services=set()) == []


def test_the_threshold_is_a_setting(settings):
    settings.HEARTH_DROPOUT_THRESHOLD = 2
    settings.HEARTH_DROPOUT_WINDOW_HOURS = 1
    hh = household(Tier.REGISTERED_OPT_IN)
    assert dropouts(hh, at=T0 + dt.timedelta(hours=3), hours=[0, 1.5]) == []
    assert [c.dropouts for c in dropouts(hh, at=T0 + dt.timedelta(hours=3), hours=[2])] == [2]


@pytest.mark.promise("PP-19")
def test_dropouts_posted_over_the_telemetry_api_open_a_care_case(client):
    from hearth.core import clock
    from hearth.devices.tests.ingest_helpers import post_batch, set_tier

    with clock.frozen(T0 + dt.timedelta(hours=6)):
        created = client.post(
            "/api/v1/households", {"serials": ["EO-ONE-API-0001"]}, content_type="application/json"
        ).json()
        set_tier(created["household_id"], Tier.REGISTERED_OPT_IN)
        events = [
            {
                "client_event_id": f"api-{n}",
                "device_ts": (T0 + dt.timedelta(hours=n)).isoformat(),
                "type": "playback_error",
                "service": "radiolia",
                "kind": "dropout",
                "count": 1,
            }
            for n in range(5)
        ]
        response = post_batch(client, created["token"], events)

    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == 5
    assert list(
        DropoutCase.objects.filter(household_id=created["household_id"]).values_list(
            "service", "status", "dropouts"
        )
    ) == [("radiolia", DropoutCaseStatus.OPEN, 5)]
