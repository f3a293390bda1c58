"""Registration, tiers, the consent ledger, purges and the owner's export (PP-17, PP-18)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client, TestCase

from hearth.accounts.models import User
from hearth.core import clock
from hearth.devices import services
from hearth.devices.models import Household, TelemetryEvent, WeeklyServiceHouseholds
from hearth.devices.tests.ingest_helpers import NOW, event, new_household, post_batch, post_json
from hearth.privacy import inventory
from hearth.privacy.models import ConsentRecord

pytestmark = pytest.mark.django_db

REG = {"email": "Owner@Example.com", "postal_code": "k1a0b1", "country": "ca"}


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


_inbox: list = []


@pytest.fixture(autouse=True)
def _mail(smtp_server):
    """Confirmation emails go to a real SMTP server on 127.0.0.1."""
    _inbox[:] = [smtp_server]
    yield smtp_server


def register(client: Client, hid: int, token: str, tier: str = "registered_opt_in"):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return post_json(
            client, f"/api/v1/households/{hid}/registration", {**REG, "tier": tier}, token
        )


def confirm_link() -> str:
    [server] = _inbox
    body = server.wait_for(1)[-1].get_content()
    match = re.search(r"http://[^\s]+/devices/confirm/([^/\s]+)/", body)
    assert match
    return f"/devices/confirm/{match.group(1)}/"


@pytest.mark.promise("PP-17")
def test_registration_stores_email_postal_code_country_and_a_ledger_entry(client: Client) -> None:
    hid, token = new_household(client)
    response = register(client, hid, token, "registered_opt_out")
    assert response.status_code == 200
    assert response.json() == {
        "household_id": hid,
        "tier": "registered_opt_out",
        "serials": ["EO-ONE-0001"],
        "registered": True,
        "confirmed": False,
    }
    household = Household.objects.get(pk=hid)
    assert (household.email, household.postal_code, household.country) == (
        "Owner@Example.com",
        "K1A 0B1",
        "CA",
    )
    assert household.customer is None
    records = list(ConsentRecord.objects.filter(household_id=hid))
    assert [(r.purpose, r.granted, r.evidence) for r in records] == [
        ("product_usage_analytics", False, "tier=registered_opt_out")
    ]


@pytest.mark.promise("PP-17")
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**REG, "email": "nope", "tier": "registered_opt_in"}, "email"),
        ({**REG, "postal_code": "12345", "tier": "registered_opt_in"}, "postal_code"),
        ({**REG, "country": "Canada", "tier": "registered_opt_in"}, "country"),
        ({**REG, "tier": "decline"}, "tier"),
        ({**REG, "tier": "registered_opt_in", "phone": "555"}, "phone"),
    ],
)
def test_bad_registrations_are_400_with_the_field(client: Client, body: dict, field: str) -> None:
    hid, token = new_household(client)
    response = post_json(client, f"/api/v1/households/{hid}/registration", body, token)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert Household.objects.get(pk=hid).email is None


@pytest.mark.promise("PP-17")
def test_the_household_links_to_the_account_only_after_the_emailed_link(client: Client) -> None:
    user = User.objects.create_user(
        email="owner@example.com", password="a-long-password-1", email_verified_at=NOW
    )
    hid, token = new_household(client)
    register(client, hid, token)
    assert Household.objects.get(pk=hid).customer is None
    link = confirm_link()
    assert client.get(link).status_code == 200
    assert Household.objects.get(pk=hid).customer is None  # GET only shows the button
    assert client.post(link).status_code == 200
    household = Household.objects.get(pk=hid)
    assert household.customer == user and household.confirmed_at == NOW
    assert client.post(link).status_code == 404  # used once
    client.force_login(user)
    page = client.get("/my-stuff/devices/").content.decode()
    assert str(hid) in page and "EO-ONE-0001" in page


@pytest.mark.promise("PP-17")
def test_the_owners_export_includes_households_and_products(client: Client) -> None:
    user = User.objects.create_user(
        email="owner@example.com", password="a-long-password-1", email_verified_at=NOW
    )
    hid, token = new_household(client)
    register(client, hid, token)
    client.post(confirm_link())
    exported = inventory.export_subject(user)["devices"]
    assert exported["Household"] == [
        {
            "id": hid,
            "tier": "registered_opt_in",
            "email": "Owner@Example.com",
            "postal_code": "K1A 0B1",
            "country": "CA",
        }
    ]
    assert [p["serial"] for p in exported["HouseholdProduct"]] == ["EO-ONE-0001"]


@pytest.mark.promise("PP-18")
def test_a_lowered_tier_stops_on_the_next_batch_and_purges(client: Client) -> None:
    hid, token = new_household(client)
    register(client, hid, token, "registered_opt_in")
    body = post_batch(
        client,
        token,
        [event("usage", "u1"), event("system_report", "s1"), event("product_added", "p1")],
    ).json()
    assert body["stored"] == 3
    WeeklyServiceHouseholds.objects.create(
        week_start=dt.date(2026, 3, 2), service="tunewave", household_id=hid
    )
    response = client.put(
        f"/api/v1/households/{hid}/tier",
        data='{"tier": "registered_opt_out"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200
    # Next batch: usage is above the tier now.
    body = post_batch(client, token, [event("usage", "u2"), event("system_report", "s2")]).json()
    assert body["accepted"] == 1 and body["rejected"][0]["code"] == "above_tier"
    # The purge (enqueued on the change; run here directly) deletes what is above the tier.
    assert services.purge_above_tier(household_id=hid) == 1
    assert sorted(
        TelemetryEvent.objects.filter(household_id=hid).values_list("client_event_id", flat=True)
    ) == ["p1", "s1", "s2"]
    assert not WeeklyServiceHouseholds.objects.filter(household_id=hid).exists()
    ledger = ConsentRecord.objects.filter(household_id=hid).order_by("id")
    assert [(r.granted, r.evidence) for r in ledger] == [
        (True, "tier=registered_opt_in"),
        (False, "tier=registered_opt_out"),
    ]


@pytest.mark.promise("PP-16")
def test_unregistering_erases_registration_and_keeps_only_decline_data(client: Client) -> None:
    hid, token = new_household(client)
    register(client, hid, token, "registered_opt_in")
    post_batch(
        client,
        token,
        [event("usage", "u1"), event("system_report", "s1"), event("product_added", "p1")],
    )
    response = client.delete(
        f"/api/v1/households/{hid}/registration", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 200 and response.json()["tier"] == "decline"
    household = Household.objects.get(pk=hid)
    assert (household.email, household.postal_code, household.country, household.customer) == (
        None,
        None,
        None,
        None,
    )
    assert services.sweep_above_tier() == 2
    assert list(TelemetryEvent.objects.values_list("client_event_id", flat=True)) == ["p1"]


@pytest.mark.promise("PP-17")
def test_owner_changes_tier_in_my_stuff(client: Client) -> None:
    user = User.objects.create_user(
        email="owner@example.com", password="a-long-password-1", email_verified_at=NOW
    )
    hid, token = new_household(client)
    register(client, hid, token, "registered_opt_in")
    client.post(confirm_link())
    client.force_login(user)
    response = client.post(f"/my-stuff/devices/{hid}/tier/", {"tier": "registered_opt_out"})
    assert response.status_code == 302
    assert Household.objects.get(pk=hid).tier == "registered_opt_out"
    last = ConsentRecord.objects.filter(household_id=hid).order_by("id").last()
    assert last is not None and (last.granted, last.user, last.source) == (
        False,
        user,
        "web:my-stuff/devices",
    )
    other = User.objects.create_user(
        email="other@example.com", password="a-long-password-2", email_verified_at=NOW
    )
    client.force_login(other)
    assert client.post(f"/my-stuff/devices/{hid}/tier/", {"tier": "decline"}).status_code == 404


def test_retention_purge_deletes_old_raw_events(client: Client, settings) -> None:
    settings.HEARTH_TELEMETRY_RETENTION_DAYS = 30
    _hid, token = new_household(client)
    post_batch(
        client,
        token,
        [event("product_added", "old", ts="2026-02-01T00:00:00Z"), event("product_added", "new")],
    )
    assert TelemetryEvent.objects.count() == 2
    assert services.purge_expired(at=NOW + dt.timedelta(days=5)) == 1
    assert list(TelemetryEvent.objects.values_list("client_event_id", flat=True)) == ["new"]


@pytest.mark.promise("PP-17")
def test_an_account_whose_email_is_not_proven_does_not_get_the_household(client: Client) -> None:
    stranger = User.objects.create_user(email="owner@example.com", password="a-long-password-1")
    hid, token = new_household(client)
    register(client, hid, token)
    assert client.post(confirm_link()).status_code == 200
    household = Household.objects.get(pk=hid)
    assert household.confirmed_at == NOW
    assert household.customer is None
    assert not Household.objects.filter(customer=stranger).exists()
