"""The telemetry path's device-token cache (issue #12 item 5): one lookup per token per TTL in a
worker, cleared by this process's household changes, and never a reason to accept a batch the
household may no longer send."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from hearth.core import clock
from hearth.devices import selectors, services
from hearth.devices.models import Household, TelemetryEvent
from hearth.devices.tests.ingest_helpers import NOW, event, new_household, post_batch, set_tier

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def _queries_for_batch(client: Client, token: str, cid: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = post_batch(client, token, [event("usage", cid)])
    assert response.status_code == 200, response.content
    assert response.json()["stored"] == 1
    return len(queries)


def test_a_second_batch_within_the_ttl_skips_the_token_lookup(client: Client) -> None:
    hid, token = new_household(client)
    set_tier(hid, "registered_opt_in")
    first = _queries_for_batch(client, token, "a1")
    second = _queries_for_batch(client, token, "a2")
    third = _queries_for_batch(client, token, "a3")
    assert (first - second, third) == (1, second)
    assert TelemetryEvent.objects.filter(household_id=hid).count() == 3


def test_with_a_ttl_of_zero_every_batch_looks_the_token_up(client: Client) -> None:
    hid, token = new_household(client)
    set_tier(hid, "registered_opt_in")
    with override_settings(HEARTH_DEVICE_AUTH_TTL=0):
        first = _queries_for_batch(client, token, "b1")
        second = _queries_for_batch(client, token, "b2")
    assert second == first


@pytest.mark.promise("PP-18")
def test_a_lower_tier_set_through_the_service_applies_to_the_next_batch(client: Client) -> None:
    hid, token = new_household(client)
    set_tier(hid, "registered_opt_in")
    assert post_batch(client, token, [event("usage", "u1")]).json()["stored"] == 1
    household = Household.objects.get(pk=hid)
    services.change_tier(household=household, tier="registered_opt_out", at=NOW)
    body = post_batch(client, token, [event("usage", "u2")]).json()
    assert body["stored"] == 0
    assert [r["code"] for r in body["rejected"]] == ["above_tier"]
    # u2 never stored (u1 goes with the purge task that the lower tier enqueued).
    assert not TelemetryEvent.objects.filter(household_id=hid, client_event_id="u2").exists()


def test_an_unknown_token_is_refused_and_not_remembered(client: Client) -> None:
    response = post_batch(client, "not-a-token", [event("product_added", "p1")])
    assert response.status_code == 401
    assert selectors._auth_cache == {}
    assert TelemetryEvent.objects.count() == 0


def test_a_cached_answer_is_read_again_after_the_ttl(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    hid, token = new_household(client)
    set_tier(hid, "registered_opt_out")
    assert selectors.household_for_device_token(token).tier == "registered_opt_out"  # type: ignore[union-attr]
    # Changed behind this process's back (another worker): still the cached row...
    Household.objects.filter(pk=hid).update(tier="decline")
    assert selectors.household_for_device_token(token).tier == "registered_opt_out"  # type: ignore[union-attr]
    # ...until the TTL (5 s by default) has passed.
    later = selectors.time.monotonic() + 5.01
    monkeypatch.setattr(selectors.time, "monotonic", lambda: later)
    assert selectors.household_for_device_token(token).tier == "decline"  # type: ignore[union-attr]
