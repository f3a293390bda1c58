"""The privacy officer's page of one data request (issue #10 item 9): a guest's email shows
decrypted and the read is audited; what the person wrote is read-only; the officer's note is
the one thing staff edit, and editing it is audited by name."""

from __future__ import annotations

import datetime as dt

import pytest
from django_otp import DEVICE_ID_SESSION_KEY

from hearth.accounts.tests.conftest import verified_device_id
from hearth.core import clock
from hearth.core.models import AuditEvent
from hearth.privacy import services
from hearth.privacy.models import DataRequest

NOW = dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def office(client, privacy_officer):
    client.force_login(privacy_officer)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = verified_device_id(privacy_officer)
    session.save()
    return client


@pytest.fixture
def guest_request(db) -> DataRequest:
    return services.open_data_request(
        user=None,
        kind="correction",
        at=NOW,
        email="Robin@Example.com",
        details="My postal code is K1A 0B1, not K1A 0B2.",
    )


@pytest.mark.promise("PP-10")
@pytest.mark.promise("PP-15")
def test_the_officer_sees_a_guests_email_decrypted_and_the_read_is_audited(
    office, privacy_officer, guest_request
):
    page = office.get(f"/admin/privacy/datarequest/{guest_request.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "robin@example.com" in html
    assert "My postal code is K1A 0B1, not K1A 0B2." in html
    assert 'name="request_text"' not in html  # read-only: shown, not a form field
    assert 'name="requester_email"' not in html
    assert 'name="note"' in html
    event = AuditEvent.objects.get(action="viewed")
    assert (event.action, event.actor_id, event.object_type, event.object_id) == (
        "viewed",
        privacy_officer.pk,
        "privacy.DataRequest",
        str(guest_request.pk),
    )
    assert "requester_email" in event.fields
    assert "request_text" in event.fields


@pytest.mark.promise("PP-10")
def test_the_officer_edits_only_the_note_and_the_change_is_audited_by_field_name(
    office, privacy_officer, guest_request
):
    response = office.post(
        f"/admin/privacy/datarequest/{guest_request.pk}/change/",
        {
            "note": "Called back; address fixed in the shipping system.",
            "request_text": "tampered",
            "requester_email": "mallory@example.com",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    guest_request.refresh_from_db()
    assert guest_request.note == "Called back; address fixed in the shipping system."
    assert guest_request.request_text == "My postal code is K1A 0B1, not K1A 0B2."
    assert guest_request.requester_email == "robin@example.com"
    changed = AuditEvent.objects.get(action="changed")
    assert (changed.actor_id, changed.object_type, changed.object_id, changed.fields) == (
        privacy_officer.pk,
        "privacy.DataRequest",
        str(guest_request.pk),
        ["note"],
    )
    assert "Called back" not in repr(AuditEvent.objects.values_list("fields", flat=True))


def test_the_queue_lists_a_guest_without_their_address_and_finds_them_by_it(office, guest_request):
    listing = office.get("/admin/privacy/datarequest/")
    assert listing.status_code == 200
    assert "robin@example.com" not in listing.content.decode()
    found = office.get("/admin/privacy/datarequest/", {"q": "ROBIN@example.com"})
    assert [r.pk for r in found.context["cl"].result_list] == [guest_request.pk]


@pytest.mark.promise("PP-10")
def test_opening_extending_and_closing_a_request_are_audited_with_their_actors(
    office, privacy_officer, guest_request
):
    opened = AuditEvent.objects.get(action="created", object_type="privacy.DataRequest")
    assert (opened.actor_kind, opened.fields) == (
        "system",
        ["kind", "request_text", "requester_email"],
    )
    office.post(
        "/admin/privacy/datarequest/",
        {"action": "extend_30_days", "_selected_action": [guest_request.pk]},
    )
    office.post(
        "/admin/privacy/datarequest/",
        {"action": "mark_completed", "_selected_action": [guest_request.pk]},
    )
    moves = AuditEvent.objects.filter(action="state_changed").order_by("id")
    assert [(e.actor_id, e.object_id, e.fields) for e in moves] == [
        (
            privacy_officer.pk,
            str(guest_request.pk),
            ["deadline", "extended_at", "extension_reason", "status"],
        ),
        (privacy_officer.pk, str(guest_request.pk), ["closed_at", "outcome", "status"]),
    ]
    columns = [f.attname for f in AuditEvent._meta.fields]
    assert "robin@example.com" not in repr(list(AuditEvent.objects.values_list(*columns)))
