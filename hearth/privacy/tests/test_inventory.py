from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from hearth.comms.models import OutboxMessage
from hearth.privacy import inventory, services, taxonomy
from hearth.privacy.models import ConsentKind, PolicyKind, Purpose
from hearth.privacy.rules import taxonomy_problems

AT = dt.datetime(2026, 11, 2, 15, tzinfo=dt.UTC)


def test_category_taxonomy_has_unique_keys_and_every_parent():
    keys = list(taxonomy.categories())
    assert taxonomy_problems(keys) == []
    assert "user.contact.phone_number" in keys


def test_every_data_file_loads_and_validates():
    assert set(taxonomy.retention_periods()) >= {"account_lifetime", "tax_records"}
    assert taxonomy.retention_periods()["tax_records"].keep_years == 6
    assert set(taxonomy.processors()) == {"hosting", "shipping", "card_processing", "email"}
    assert "signup" in taxonomy.collection_points()
    assert taxonomy.field_patterns()


def test_consent_purposes_match_the_purpose_data_file():
    consent = {k for k, p in taxonomy.purposes().items() if p.kind == "consent"}
    assert consent == set(Purpose.values)
    assert set(PolicyKind.values) == {"privacy", "terms", "eula"}


@pytest.mark.promise("PP-3")
@pytest.mark.promise("PP-7")
def test_the_project_declares_every_personal_field():
    undeclared, problems = inventory.inventory_problems()
    assert undeclared == []
    assert problems == []
    assert inventory.check_inventory() == []


def test_manage_py_check_runs_the_inventory_check():
    call_command("check")  # raises SystemCheckError on privacy.E001/E002


@pytest.mark.promise("PP-7")
def test_every_declared_field_names_its_processors_from_the_registry():
    known = set(taxonomy.processors())
    for spec in inventory.declared_fields():
        assert spec.processors, spec
        assert set(spec.processors) <= known


def test_declared_fields_include_the_comms_outbox():
    refs = {(f.model, f.field) for f in inventory.declared_fields()}
    assert {("comms.OutboxMessage", "to_addresses"), ("comms.OutboxMessage", "body")} <= refs


@pytest.mark.promise("PP-15")
def test_export_holds_consents_and_emails_sent_to_the_person(make_user, policies):
    user = make_user(email="robin@example.com")
    other = make_user(email="sam@example.com")
    services.record_consent(
        purpose=Purpose.MARKETING_EMAIL,
        granted=True,
        kind=ConsentKind.EXPRESS,
        source="test",
        at=AT,
        user=user,
        evidence="checkbox",
    )
    services.record_consent(
        purpose=Purpose.MARKET_RESEARCH,
        granted=True,
        kind=ConsentKind.EXPRESS,
        source="news sign-up",
        at=AT,
        email="Robin@Example.com",
    )
    services.record_consent(
        purpose=Purpose.MARKETING_EMAIL,
        granted=True,
        kind=ConsentKind.EXPRESS,
        source="test",
        at=AT,
        user=other,
    )
    mine = OutboxMessage.objects.create(
        to_addresses=["robin@example.com"],
        from_address="x@example.com",
        subject="Hi",
        body="Hello Robin",
        raw=b"",
    )
    OutboxMessage.objects.create(
        to_addresses=["notrobin@example.com"],
        from_address="x@example.com",
        subject="Hi",
        body="Hello",
        raw=b"",
    )
    export = inventory.export_subject(user)
    consents = export["privacy"]["ConsentRecord"]
    assert [c["evidence"] for c in consents] == ["checkbox", ""]
    assert consents[1]["email"] == "robin@example.com"
    assert export["comms"]["OutboxMessage"] == [
        {
            "id": mine.pk,
            "to_addresses": ["robin@example.com"],
            "body": "Hello Robin",
            "html_body": "",
        }
    ]
