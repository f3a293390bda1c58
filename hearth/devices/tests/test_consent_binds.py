"""One state, one truth (issue #10 item 4): the consent ledger decides what telemetry is kept.

A withdrawal of product usage statistics made in My Stuff (contact preferences) or through the
privacy API lowers the household's tier as the device API does: the next batch's usage is
refused, and the usage already held is purged. Ingestion and dropout outreach ask the ledger,
so even a stale row cannot let usage in (PP-5, PP-8, PP-17, PP-18).
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client, TestCase

from hearth.accounts.models import User
from hearth.core import clock
from hearth.devices import outreach, services
from hearth.devices.models import Household, TelemetryEvent, WeeklyServiceHouseholds
from hearth.devices.models_reports import DropoutCase
from hearth.devices.tests.ingest_helpers import NOW, event, new_household, post_batch, post_json
from hearth.privacy.models import ConsentKind, ConsentRecord, Purpose
from hearth.privacy.services import record_consent

pytestmark = pytest.mark.django_db

OWNER = "owner@example.com"
REG = {"email": OWNER, "postal_code": "K1A 0B1", "country": "CA"}


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "email", "rollups"],
        }
    }


def _stored(hid: int) -> list[str]:
    rows = TelemetryEvent.objects.filter(household_id=hid).order_by("client_event_id")
    return list(rows.values_list("client_event_id", flat=True))


def linked_opted_in_household(client: Client, smtp_server, user: User) -> tuple[int, str]:
    """A household registered at the opt-in tier through the API, confirmed by its owner through
    the emailed link, holding one usage, one system report and one product event."""
    hid, token = new_household(client)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = post_json(
            client,
            f"/api/v1/households/{hid}/registration",
            {**REG, "tier": "registered_opt_in"},
            token,
        )
    assert response.status_code == 200
    body = smtp_server.wait_for(1)[-1].get_content()
    match = re.search(r"/devices/confirm/([^/\s]+)/", body)
    assert match
    assert client.post(f"/devices/confirm/{match.group(1)}/").status_code in (200, 302)
    assert Household.objects.get(pk=hid).customer == user
    stored = post_batch(
        client,
        token,
        [event("usage", "u1"), event("system_report", "s1"), event("product_added", "p1")],
    ).json()
    assert stored["stored"] == 3
    WeeklyServiceHouseholds.objects.create(
        week_start=dt.date(2026, 3, 2), service="tunewave", household_id=hid
    )
    client.logout()
    return hid, token


@pytest.mark.promise("PP-18")
@pytest.mark.promise("PP-8")
def test_withdrawing_usage_in_my_stuff_refuses_the_next_batch_and_purges_usage(
    client: Client, smtp_server
) -> None:
    user = User.objects.create_user(
        email=OWNER, password="a-long-password-1", email_verified_at=NOW
    )
    hid, token = linked_opted_in_household(client, smtp_server, user)
    client.force_login(user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            "/my-stuff/contact-preferences/", {"marketing_email": "", "market_research": ""}
        )
    assert response.status_code == 302
    household = Household.objects.get(pk=hid)
    assert household.tier == "registered_opt_out"
    # The usage held is purged (the enqueued task ran), and the rollup membership with it.
    assert _stored(hid) == ["p1", "s1"]
    assert not WeeklyServiceHouseholds.objects.filter(household_id=hid).exists()
    # The next batch: usage refused with its reason, the rest stored.
    client.logout()
    body = post_batch(client, token, [event("usage", "u2"), event("system_report", "s2")]).json()
    assert body["accepted"] == 1
    assert [(r["index"], r["code"]) for r in body["rejected"]] == [(0, "above_tier")]
    assert _stored(hid) == ["p1", "s1", "s2"]
    # One withdrawal on record, the one the owner made; no copy was written elsewhere.
    last = ConsentRecord.objects.filter(purpose=Purpose.PRODUCT_USAGE_ANALYTICS).last()
    assert last is not None
    assert (last.granted, last.user, last.household_id, last.source) == (
        False,
        user,
        None,
        "my_stuff:contact_preferences",
    )
    withdrawals = ConsentRecord.objects.filter(purpose="product_usage_analytics", granted=False)
    assert withdrawals.count() == 1


@pytest.mark.promise("PP-18")
def test_withdrawing_usage_through_the_privacy_api_lowers_the_tier_too(
    client: Client, smtp_server
) -> None:
    user = User.objects.create_user(
        email=OWNER, password="a-long-password-1", email_verified_at=NOW
    )
    hid, token = linked_opted_in_household(client, smtp_server, user)
    client.force_login(user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = post_json(
            client,
            "/api/v1/privacy/me/consents",
            {"purpose": "product_usage_analytics", "granted": False},
        )
    assert response.status_code == 200, response.content
    assert Household.objects.get(pk=hid).tier == "registered_opt_out"
    assert _stored(hid) == ["p1", "s1"]
    client.logout()
    body = post_batch(client, token, [event("usage", "u2")]).json()
    assert (body["accepted"], body["rejected"][0]["code"]) == (0, "above_tier")


@pytest.mark.promise("PP-18")
def test_ingestion_asks_the_ledger_even_when_the_row_still_says_opted_in(client: Client) -> None:
    hid, token = new_household(client)
    household = services.register_household(
        household=Household.objects.get(pk=hid), at=NOW, tier="registered_opt_in", **REG
    )
    assert post_batch(client, token, [event("usage", "u1")]).json()["stored"] == 1
    record_consent(
        purpose=Purpose.PRODUCT_USAGE_ANALYTICS,
        granted=False,
        kind=ConsentKind.EXPRESS,
        source="back office",
        at=NOW,
        email=OWNER,
    )
    # A stale copy: someone sets the row back without the ledger.
    Household.objects.filter(pk=household.pk).update(tier="registered_opt_in")
    body = post_batch(client, token, [event("usage", "u2"), event("system_report", "s2")]).json()
    assert body["accepted"] == 1 and body["rejected"][0]["code"] == "above_tier"
    assert "u2" not in _stored(hid)


@pytest.mark.promise("PP-18")
def test_dropout_outreach_asks_the_ledger_not_the_row(client: Client) -> None:
    hid, _token = new_household(client)
    household = services.register_household(
        household=Household.objects.get(pk=hid), at=NOW, tier="registered_opt_in", **REG
    )
    dropouts = [
        event("playback_error", f"d{i}", ts=f"2026-03-02T1{i}:00:00Z", count=1) for i in range(5)
    ]
    record_consent(
        purpose=Purpose.PRODUCT_USAGE_ANALYTICS,
        granted=False,
        kind=ConsentKind.EXPRESS,
        source="back office",
        at=NOW,
        email=OWNER,
    )
    Household.objects.filter(pk=household.pk).update(tier="registered_opt_in")
    # Stored by a path that does not check (as if accepted before the withdrawal).
    from hearth.devices import repository, rules

    valid, rejected = rules.validate_events(
        dropouts,
        schema=rules.event_schema(),
        tier="registered_opt_in",
        now=NOW,
        oldest=NOW - dt.timedelta(days=30),
    )
    assert not rejected
    repository.insert_events(
        [
            (
                hid,
                e.client_event_id,
                e.type,
                "registered_opt_in",
                e.device_ts,
                NOW,
                e.day,
                e.service,
                json.dumps(e.payload),
            )
            for e in valid
        ]
    )
    assert outreach.after_ingest(household_id=hid, at=NOW) == []
    assert not DropoutCase.objects.exists()
    # With the ledger granting again (express), the same dropouts open one case.
    record_consent(
        purpose=Purpose.PRODUCT_USAGE_ANALYTICS,
        granted=True,
        kind=ConsentKind.EXPRESS,
        source="back office",
        at=NOW,
        household_id=hid,
    )
    assert [c.service for c in outreach.after_ingest(household_id=hid, at=NOW)] == ["radiolia"]


@pytest.mark.promise("PP-18")
def test_a_tier_chosen_for_one_household_does_not_move_the_owners_other_household(
    client: Client, smtp_server
) -> None:
    user = User.objects.create_user(
        email=OWNER, password="a-long-password-1", email_verified_at=NOW
    )
    first, _first_token = linked_opted_in_household(client, smtp_server, user)
    second, second_token = new_household(client, ["EO-ONE-0777"])
    services.register_household(
        household=Household.objects.get(pk=second), at=NOW, tier="registered_opt_in", **REG
    )
    Household.objects.filter(pk=second).update(customer=user, confirmed_at=NOW)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.change_tier(
            household=Household.objects.get(pk=first), tier="registered_opt_out", at=NOW
        )
    assert Household.objects.get(pk=second).tier == "registered_opt_in"
    body = post_batch(client, second_token, [event("usage", "x1")]).json()
    assert body["stored"] == 1
    # A person-level withdrawal (My Stuff) covers both.
    client.force_login(user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/my-stuff/contact-preferences/", {"marketing_email": ""})
    assert response.status_code == 302
    assert Household.objects.get(pk=second).tier == "registered_opt_out"
    assert _stored(second) == []


@pytest.mark.promise("PP-18")
def test_a_grant_in_my_stuff_does_not_raise_a_household_that_chose_no_usage(
    client: Client,
) -> None:
    user = User.objects.create_user(
        email=OWNER, password="a-long-password-1", email_verified_at=NOW
    )
    hid, token = new_household(client)
    services.register_household(
        household=Household.objects.get(pk=hid), at=NOW, tier="registered_opt_out", **REG
    )
    Household.objects.filter(pk=hid).update(customer=user, confirmed_at=NOW)
    client.force_login(user)
    client.post("/my-stuff/contact-preferences/", {"product_usage_analytics": "on"})
    assert Household.objects.get(pk=hid).tier == "registered_opt_out"
    client.logout()
    body = post_batch(client, token, [event("usage", "u1")]).json()
    assert (body["stored"], body["rejected"][0]["code"]) == (0, "above_tier")
