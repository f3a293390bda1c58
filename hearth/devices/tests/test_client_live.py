"""The device client and the simulator against a real running Hearth (pytest-django's
live_server): real HTTP, the real API, the real database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from hearth.devices.client import (
    HttpTransport,
    TelemetryClient,
    create_household,
    register_household,
)
from hearth.devices.models import Household, TelemetryEvent, Tier
from hearth.devices.simulator import run_fleet

pytestmark = pytest.mark.django_db(transaction=True)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@pytest.mark.promise("PP-18")
def test_client_sets_up_a_household_and_reports_within_its_tier(live_server):
    transport = HttpTransport(timeout=10)
    creds = create_household(
        base_url=live_server.url, serials=["EO-ONE-LIVE01"], transport=transport
    )
    client = TelemetryClient(
        base_url=live_server.url, token=creds.token, tier="decline", transport=transport
    )
    assert client.record("usage", {"service": "tunewave", "service_minutes": 5}) is None
    register_household(
        base_url=live_server.url,
        credentials=creds,
        email="live@example.com",
        postal_code="K1A 0B1",
        country="CA",
        tier="registered_opt_in",
        transport=transport,
    )
    client.set_tier("registered_opt_in")
    ids = [
        client.record("usage", {"service": "tunewave", "service_minutes": 5}),
        client.record("playback_error", {"service": "tunewave", "kind": "dropout", "count": 1}),
        client.record("system_report", {"software_version": "16.4"}),
    ]
    result = client.flush()
    assert (result.ok, result.accepted, result.rejected, client.pending) == (True, 3, [], 0)
    stored = TelemetryEvent.objects.filter(household_id=creds.household_id)
    assert sorted(stored.values_list("client_event_id", flat=True)) == sorted(ids)
    assert Household.objects.get(id=creds.household_id).tier == Tier.REGISTERED_OPT_IN


def test_a_resent_batch_is_stored_once(live_server):
    creds = create_household(base_url=live_server.url, serials=["EO-ONE-LIVE02"])
    register_household(
        base_url=live_server.url,
        credentials=creds,
        email="resend@example.com",
        postal_code="K1A 0B1",
        country="CA",
        tier="registered_opt_in",
    )
    answers = []
    real = HttpTransport(timeout=10)

    def lossy(method, url, body, headers):  # the first answer is lost on the way back
        response = real(method, url, body, headers)
        answers.append(response.status)
        if len(answers) == 1:
            from hearth.devices.client import TransportError

            raise TransportError("answer lost")
        return response

    client = TelemetryClient(
        base_url=live_server.url,
        token=creds.token,
        tier="registered_opt_in",
        transport=lossy,
        sleep=lambda s: None,
    )
    for _ in range(10):
        client.record("usage", {"service": "radiolia", "service_minutes": 1})
    result = client.flush()
    assert answers == [200, 200]
    assert result.ok and result.attempts == 2
    assert TelemetryEvent.objects.filter(household_id=creds.household_id).count() == 10


def test_a_wrong_token_keeps_the_events(live_server):
    client = TelemetryClient(
        base_url=live_server.url, token="nope", tier="registered_opt_in", max_attempts=2
    )
    client.record("usage", {"service": "radiolia", "service_minutes": 1})
    result = client.flush()
    assert (result.ok, result.status, client.pending) == (False, 401, 1)


def test_simulator_drives_a_small_fleet_bounded_in_count(live_server):
    result = run_fleet(
        base_url=live_server.url,
        households=6,
        seconds=20,
        batch=50,
        threads=1,  # the test database is in-memory SQLite, shared by one server thread
        max_events=400,
        seed=3,
    )
    assert sum(result.households.values()) == 6
    assert Household.objects.count() == 6
    assert result.rejected == 0 and result.failed_batches == 0
    assert result.accepted <= 400
    assert TelemetryEvent.objects.count() == result.accepted
    registered = Household.objects.exclude(tier=Tier.DECLINE).count()
    assert registered == 6 - result.households["decline"]


def test_simulate_fleet_command_prints_events_per_second(live_server, capsys):
    call_command(
        "simulate_fleet",
        "--households",
        "3",
        "--seconds",
        "10",
        "--base-url",
        live_server.url,
        "--batch",
        "20",
        "--max-events",
        "100",
        "--seed",
        "1",
        "--threads",
        "1",
        "--no-progress",
    )
    out = capsys.readouterr().out
    assert "households: 3 (" in out
    assert "accepted events/s: " in out


@pytest.mark.promise("PP-16")
def test_the_simulator_keeps_working_with_claim_codes_run_after_run(live_server):
    """Issue #10 follow-up item 4: the simulator draws fresh serials, so its households never
    need a claim code; a second run against the same store is not refused or throttled."""
    from hearth.devices.models import ClaimFailure, HouseholdProduct

    runs = [
        run_fleet(
            base_url=live_server.url,
            households=3,
            seconds=20,
            batch=50,
            threads=1,
            max_events=60,
            seed=3,
        )
        for _run in range(2)
    ]
    assert [sum(r.households.values()) for r in runs] == [3, 3]
    assert [(r.rejected, r.failed_batches) for r in runs] == [(0, 0), (0, 0)]
    assert Household.objects.count() == 6
    products = HouseholdProduct.objects.values_list("serial", flat=True)
    assert len(set(products)) == len(products) > 0
    assert ClaimFailure.objects.count() == 0
