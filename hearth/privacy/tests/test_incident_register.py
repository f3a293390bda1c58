"""The confidentiality incident register (issue #10 item 10; Law 25 s.3.8, regulation s.7):
append-only, corrections are new entries, no correction shortens the 5-year retention, and
the whole register exports as CSV for a regulator."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from hypothesis import given
from hypothesis import strategies as st

from hearth.accounts.tests.conftest import verified_device_id
from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.core.models import AuditEvent
from hearth.privacy import rules, services
from hearth.privacy.models import ConfidentialityIncident

NOW = dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)

FACTS = {
    "information_concerned": "names and emails of 3 customers",
    "circumstances": "an order email sent to the wrong recipient",
    "occurred_on": dt.date(2026, 10, 30),
    "occurred_until": None,
    "discovered_on": dt.date(2026, 11, 1),
    "people_affected": 3,
    "risk_assessment": "low: no financial data",
    "serious_injury_risk": False,
    "commission_notified_on": None,
    "persons_notified_on": dt.date(2026, 11, 3),
    "notifications": "each person, by email",
    "measures": "=recalled the email",
}


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
def incident(db, privacy_officer) -> ConfidentialityIncident:
    return services.record_incident(
        reference="INC-2026-01", facts=FACTS, at=NOW, actor=privacy_officer
    )


@given(
    first=st.dates(dt.date(2000, 1, 1), dt.date(2090, 12, 31)),
    corrected=st.dates(dt.date(2000, 1, 1), dt.date(2090, 12, 31)),
)
def test_a_correction_never_keeps_an_entry_for_less_time_than_what_it_corrects(first, corrected):
    original = rules.incident_keep_until(first)
    assert rules.incident_keep_until(corrected, corrected_keep_until=original) >= original
    assert rules.incident_keep_until(corrected, corrected_keep_until=original) >= (
        rules.incident_keep_until(corrected)
    )


@pytest.mark.promise("PP-10")
def test_recording_an_incident_keeps_it_five_years_and_audits_the_fields(incident, privacy_officer):
    assert incident.keep_until == dt.date(2031, 11, 1)
    assert incident.recorded_at == NOW
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id, event.object_type, event.object_id) == (
        "created",
        privacy_officer.pk,
        "privacy.ConfidentialityIncident",
        str(incident.pk),
    )
    assert event.fields == sorted(["reference", *FACTS])


@pytest.mark.promise("PP-10")
def test_an_entry_is_never_changed_in_place(incident):
    incident.discovered_on = dt.date(2020, 1, 1)
    with pytest.raises(PermissionError):
        incident.save()
    with pytest.raises(PermissionError):
        ConfidentialityIncident.objects.filter(pk=incident.pk).update(
            discovered_on=dt.date(2020, 1, 1)
        )
    with pytest.raises(PermissionError):
        ConfidentialityIncident.objects.all().delete()
    stored = ConfidentialityIncident.objects.get()
    assert (stored.discovered_on, stored.keep_until) == (dt.date(2026, 11, 1), dt.date(2031, 11, 1))


@pytest.mark.promise("PP-10")
def test_a_correction_is_a_new_entry_and_an_earlier_date_does_not_shorten_retention(
    incident, privacy_officer
):
    correction = services.correct_incident(
        incident=incident,
        facts={"discovered_on": dt.date(2024, 11, 1), "people_affected": 5},
        at=NOW,
        actor=privacy_officer,
    )
    incident.refresh_from_db()
    assert (incident.discovered_on, incident.people_affected) == (dt.date(2026, 11, 1), 3)
    assert (correction.corrects_id, correction.reference) == (incident.pk, "INC-2026-01")
    assert (correction.discovered_on, correction.people_affected) == (dt.date(2024, 11, 1), 5)
    assert correction.measures == FACTS["measures"]  # restated, not lost
    assert correction.keep_until == dt.date(2031, 11, 1)  # not 2029-11-01
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert (event.object_id, event.fields) == (
        str(correction.pk),
        ["corrects", "discovered_on", "people_affected"],
    )
    with clock.frozen(dt.datetime(2030, 1, 1, tzinfo=dt.UTC)):
        with pytest.raises(PermissionError):
            correction.delete()
        with pytest.raises(PermissionError):
            incident.delete()
    assert ConfidentialityIncident.objects.count() == 2


def test_only_the_latest_entry_can_be_corrected(incident, privacy_officer):
    services.correct_incident(incident=incident, facts={"people_affected": 4}, at=NOW, actor=None)
    with pytest.raises(DomainError) as caught:
        services.correct_incident(
            incident=incident, facts={"people_affected": 6}, at=NOW, actor=privacy_officer
        )
    assert caught.value.code == "incident_already_corrected"
    assert ConfidentialityIncident.objects.count() == 2


def test_a_reference_is_used_once(incident):
    with pytest.raises(DomainError) as caught:
        services.record_incident(reference="INC-2026-01", facts=FACTS, at=NOW, actor=None)
    assert caught.value.code == "incident_reference_taken"


@pytest.mark.promise("PP-10")
def test_the_back_office_adds_and_corrects_but_never_edits(office, incident):
    assert (
        office.get(f"/admin/privacy/confidentialityincident/{incident.pk}/change/").status_code
        == 200
    )
    edit = office.post(
        f"/admin/privacy/confidentialityincident/{incident.pk}/change/",
        {"reference": "INC-2026-01", **{k: "" for k in FACTS}, "discovered_on": "2020-01-01"},
    )
    assert edit.status_code == 403
    start = office.get("/admin/privacy/confidentialityincident/add/", {"corrects": incident.pk})
    assert start.status_code == 200
    assert start.context["adminform"].form.initial["people_affected"] == 3
    form = {
        "corrects": incident.pk,
        "reference": "",
        **{k: ("" if v is None else str(v)) for k, v in FACTS.items()},
        "people_affected": "4",
        "_save": "Save",
    }
    form.pop("serious_injury_risk")  # unchecked box
    saved = office.post("/admin/privacy/confidentialityincident/add/", form)
    assert saved.status_code == 302
    correction = ConfidentialityIncident.objects.get(corrects=incident)
    assert (correction.reference, correction.people_affected) == ("INC-2026-01", 4)
    incident.refresh_from_db()
    assert incident.people_affected == 3


@pytest.mark.promise("PP-10")
def test_the_register_exports_as_csv_for_a_regulator(office, incident, privacy_officer):
    correction = services.correct_incident(
        incident=incident, facts={"people_affected": 4}, at=NOW, actor=None
    )
    response = office.get("/admin/privacy/confidentialityincident/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="incident-register-2026-11-20.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["id", "reference", "corrects", "corrected_by", "recorded_at"]
    header = rows[0]
    first, second = (dict(zip(header, r, strict=True)) for r in rows[1:])
    assert len(rows) == 3
    assert (first["id"], first["corrects"], first["corrected_by"]) == (
        str(incident.pk),
        "",
        str(correction.pk),
    )
    assert (second["corrects"], second["people_affected"]) == (str(incident.pk), "4")
    assert first["discovered_on"] == "2026-11-01"
    assert first["keep_until"] == "2031-11-01"
    assert first["serious_injury_risk"] == "no"
    assert first["recorded_at"] == "2026-11-20T15:00:00+00:00"
    assert first["measures"] == "'=recalled the email"  # a spreadsheet will not run it
    exported = AuditEvent.objects.get(action="exported")
    assert (exported.actor_id, exported.object_type) == (
        privacy_officer.pk,
        "privacy.ConfidentialityIncident",
    )


def test_staff_without_the_register_cannot_export_it_and_the_attempt_is_audited(client, make_user):
    staff = make_user(is_staff=True)
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = verified_device_id(staff)
    session.save()
    assert client.get("/admin/privacy/confidentialityincident/export.csv").status_code == 403
    refused = AuditEvent.objects.get()
    assert (refused.action, refused.actor_id) == ("view_refused", staff.pk)
