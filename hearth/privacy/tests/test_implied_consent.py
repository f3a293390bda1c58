"""Implied consent (CASL) is written when it arises (issue #10 item 6): an enquiry implies
consent to product email for 6 months; it never overrides a withdrawal (PP-5, PP-8)."""

from __future__ import annotations

import datetime as dt

import pytest

from hearth.core.errors import DomainError
from hearth.privacy import selectors, services
from hearth.privacy.models import ConsentKind, ConsentRecord, Purpose

AT = dt.datetime(2026, 3, 31, 15, tzinfo=dt.UTC)
SIX_MONTHS = dt.datetime(2026, 9, 30, 15, tzinfo=dt.UTC)  # 31 March + 6 months, clamped


def implied_rows() -> list[tuple]:
    return list(
        ConsentRecord.objects.filter(kind=ConsentKind.IMPLIED).values_list(
            "purpose", "granted", "implied_from", "expires_at", "source"
        )
    )


@pytest.mark.promise("PP-5")
def test_a_data_request_writes_implied_consent_for_six_months(make_user, policies):
    user = make_user()
    request = services.open_data_request(user=user, kind="access", at=AT)
    assert implied_rows() == [
        ("marketing_email", True, "enquiry", SIX_MONTHS, "data request (access)")
    ]
    record = ConsentRecord.objects.get(kind=ConsentKind.IMPLIED)
    assert (record.user, record.evidence) == (user, f"data request #{request.pk} received")
    assert selectors.may_contact(purpose="marketing_email", at=SIX_MONTHS, user=user) is True
    later = SIX_MONTHS + dt.timedelta(seconds=1)
    assert selectors.may_contact(purpose="marketing_email", at=later, user=user) is False
    # Only marketing email allows implied consent: nothing for research or usage statistics.
    assert selectors.may_contact(purpose="market_research", at=AT, user=user) is False


@pytest.mark.promise("PP-5")
def test_a_request_by_email_alone_implies_consent_for_that_address(policies):
    services.open_data_request(user=None, kind="export", at=AT, email="Asker@Example.com")
    assert implied_rows() == [
        ("marketing_email", True, "enquiry", SIX_MONTHS, "data request (export)")
    ]
    assert selectors.may_contact(purpose="marketing_email", at=AT, email="asker@example.com")


@pytest.mark.promise("PP-8")
def test_an_enquiry_after_an_unsubscribe_implies_nothing(make_user, policies):
    user = make_user()
    services.record_consent(
        purpose=Purpose.MARKETING_EMAIL,
        granted=False,
        kind=ConsentKind.EXPRESS,
        source="unsubscribe link",
        at=AT - dt.timedelta(days=10),
        user=user,
    )
    services.open_data_request(user=user, kind="correction", at=AT)
    assert len(implied_rows()) == 1  # written, as it arose
    assert selectors.may_contact(purpose="marketing_email", at=AT, user=user) is False
    # Only an express grant brings it back.
    services.record_consent(
        purpose=Purpose.MARKETING_EMAIL,
        granted=True,
        kind=ConsentKind.EXPRESS,
        source="my_stuff:contact_preferences",
        at=AT + dt.timedelta(days=1),
        user=user,
    )
    assert selectors.may_contact(purpose="marketing_email", at=AT + dt.timedelta(days=1), user=user)


def test_an_erasure_request_implies_no_consent(make_user, policies):
    services.open_data_request(user=make_user(), kind="erasure", at=AT)
    assert implied_rows() == []


@pytest.mark.promise("PP-5")
def test_the_support_form_service_records_an_enquiry(policies):
    """What the care app's support form will call."""
    records = services.record_implied_consent(
        implied_from="enquiry",
        source="care:support_request",
        at=AT,
        email="caller@example.com",
        evidence="support request 12",
    )
    assert [(r.purpose, r.implied_from, r.expires_at) for r in records] == [
        ("marketing_email", "enquiry", SIX_MONTHS)
    ]
    with pytest.raises(DomainError) as caught:
        services.record_implied_consent(
            implied_from="newsletter", source="care", at=AT, email="caller@example.com"
        )
    assert caught.value.code == "implied_needs_source"
    assert services.record_implied_consent(implied_from="enquiry", source="care", at=AT) == []
    assert ConsentRecord.objects.count() == 1
