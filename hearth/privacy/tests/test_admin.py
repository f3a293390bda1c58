from __future__ import annotations

import datetime as dt

import pytest

from hearth.core import clock
from hearth.core.models import AuditEvent
from hearth.privacy import services
from hearth.privacy.models import ConfidentialityIncident, DataRequest

NOW = dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)


@pytest.fixture
def back_office(client, privacy_officer):
    from django_otp import DEVICE_ID_SESSION_KEY

    from hearth.accounts.tests.conftest import verified_device_id

    client.force_login(privacy_officer)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = verified_device_id(privacy_officer)
    session.save()
    return client


@pytest.fixture(autouse=True)
def frozen_now():
    with clock.frozen(NOW):
        yield


def test_viewing_a_customers_consent_record_is_logged(
    back_office, privacy_officer, make_user, policies
):
    customer = make_user()
    record = services.record_consent(
        purpose="marketing_email", granted=True, kind="express", source="t", at=NOW, user=customer
    )
    response = back_office.get(f"/admin/privacy/consentrecord/{record.pk}/change/")
    assert response.status_code == 200
    entry = AuditEvent.objects.get(action="viewed")
    assert (entry.actor, entry.action, entry.object_type, entry.object_id, entry.at) == (
        privacy_officer,
        "viewed",
        "privacy.ConsentRecord",
        str(record.pk),
        NOW,
    )


def test_the_consent_ledger_is_searchable_by_email_and_read_only(back_office, make_user, policies):
    services.record_consent(
        purpose="marketing_email",
        granted=True,
        kind="express",
        source="news",
        at=NOW,
        email="robin@example.com",
    )
    listing = back_office.get("/admin/privacy/consentrecord/", {"q": "Robin@example.com"})
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1
    assert back_office.get("/admin/privacy/consentrecord/add/").status_code == 403


def test_the_request_queue_extends_once(back_office, make_user):
    request = services.open_data_request(user=make_user(), kind="access", at=NOW)
    page = back_office.get("/admin/privacy/datarequest/")
    assert page.status_code == 200
    back_office.post(
        "/admin/privacy/datarequest/",
        {"action": "extend_30_days", "_selected_action": [request.pk]},
    )
    request.refresh_from_db()
    assert request.deadline == dt.date(2027, 1, 19)


def test_incidents_are_kept_at_least_five_years(db):
    incident = ConfidentialityIncident.objects.create(
        reference="INC-2026-01",
        information_concerned="names and emails of 3 customers",
        circumstances="email sent to the wrong recipient",
        discovered_on=dt.date(2026, 11, 1),
        people_affected=3,
        risk_assessment="low: no financial data",
        measures="recalled the email",
        recorded_at=NOW,
    )
    assert incident.keep_until == dt.date(2031, 11, 1)
    with pytest.raises(PermissionError):
        incident.delete()
    with clock.frozen(dt.datetime(2031, 11, 1, tzinfo=dt.UTC)):
        incident.delete()
    assert not ConfidentialityIncident.objects.exists()


def test_other_staff_cannot_open_the_request_queue(client, make_user):
    from django_otp import DEVICE_ID_SESSION_KEY

    from hearth.accounts.tests.conftest import verified_device_id

    staff = make_user(is_staff=True)
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = verified_device_id(staff)
    session.save()
    assert client.get("/admin/privacy/datarequest/").status_code == 403
    assert DataRequest.objects.count() == 0
