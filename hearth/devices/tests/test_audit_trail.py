"""Household registration, tier changes and unregistering leave audit rows naming the device or
the owner as actor and the fields touched, never the email (PP-10, PP-17)."""

from __future__ import annotations

import pytest
from django.test import Client, TestCase

from hearth.core import clock
from hearth.core.models import AuditEvent
from hearth.devices.tests.ingest_helpers import NOW, new_household, post_json

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def household_events(hid: int) -> list[tuple[str, str, str, list[str]]]:
    return [
        (e.action, e.actor_kind, e.system_actor, e.fields)
        for e in AuditEvent.objects.filter(
            object_type="devices.Household", object_id=str(hid)
        ).order_by("id")
    ]


@pytest.mark.promise("PP-10")
@pytest.mark.promise("PP-17")
def test_the_device_api_registers_changes_tier_and_unregisters_on_the_record(
    client: Client, smtp_server
) -> None:
    hid, token = new_household(client)
    body = {"email": "Owner@Example.com", "postal_code": "K1A 0B1", "country": "CA"}
    with TestCase.captureOnCommitCallbacks(execute=True):
        registered = post_json(
            client,
            f"/api/v1/households/{hid}/registration",
            {**body, "tier": "registered_opt_in"},
            token,
        )
    assert registered.status_code == 200
    changed = client.put(
        f"/api/v1/households/{hid}/tier",
        data='{"tier": "registered_opt_out"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert changed.status_code == 200
    gone = client.delete(
        f"/api/v1/households/{hid}/registration", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert gone.status_code == 200
    assert household_events(hid) == [
        (
            "changed",
            "system",
            "household device",
            sorted(
                [
                    "confirmed_at",
                    "country",
                    "customer",
                    "email",
                    "postal_code",
                    "tier",
                    "tier_changed_at",
                ]
            ),
        ),
        ("changed", "system", "household device", ["tier", "tier_changed_at"]),
        (
            "erased",
            "system",
            "household device",
            sorted(["confirmed_at", "country", "customer", "email", "postal_code", "tier"]),
        ),
    ]
    columns = [f.attname for f in AuditEvent._meta.fields]
    assert "owner@example.com" not in repr(list(AuditEvent.objects.values_list(*columns))).lower()
