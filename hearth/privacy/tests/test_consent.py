from __future__ import annotations

import datetime as dt

import pytest

from hearth.core.errors import DomainError
from hearth.privacy import selectors, services
from hearth.privacy.models import ConsentKind, ConsentRecord, PolicyDocument, Purpose

UTC = dt.UTC
AT = dt.datetime(2026, 11, 2, 15, tzinfo=UTC)


def grant(**kw):
    defaults = {
        "purpose": Purpose.MARKETING_EMAIL,
        "granted": True,
        "kind": ConsentKind.EXPRESS,
        "source": "form:contact_preferences page:/my-stuff/",
        "at": AT,
    }
    return services.record_consent(**{**defaults, **kw})


@pytest.mark.promise("PP-5")
def test_a_purchase_implies_consent_to_product_email_until_opt_out(make_user, policies):
    user = make_user()
    grant(user=user, kind=ConsentKind.IMPLIED, implied_from="purchase", source="order")
    assert selectors.may_contact(purpose="marketing_email", at=AT, user=user) is True
    assert (
        selectors.may_contact(purpose="marketing_email", at=AT + dt.timedelta(days=732), user=user)
        is False
    )
    grant(user=user, granted=False, at=AT + dt.timedelta(hours=1), source="unsubscribe link")
    assert (
        selectors.may_contact(purpose="marketing_email", at=AT + dt.timedelta(hours=1), user=user)
        is False
    )


@pytest.mark.promise("PP-8")
def test_opt_out_is_recorded_in_the_ledger_and_takes_effect_at_once(make_user, policies):
    user = make_user()
    grant(user=user)
    assert selectors.may_contact(purpose="marketing_email", at=AT, user=user) is True
    withdrawal = grant(
        user=user, granted=False, at=AT + dt.timedelta(seconds=1), source="email footer"
    )
    assert selectors.may_contact(purpose="marketing_email", at=withdrawal.at, user=user) is False
    assert [(r.granted, r.source) for r in ConsentRecord.objects.filter(user=user)] == [
        (True, "form:contact_preferences page:/my-stuff/"),
        (False, "email footer"),
    ]


@pytest.mark.promise("PP-9")
def test_market_research_needs_an_express_opt_in(make_user, policies):
    user = make_user()
    grant(user=user, kind=ConsentKind.IMPLIED, implied_from="purchase")  # marketing email only
    assert selectors.may_contact(purpose="market_research", at=AT, user=user) is False
    with pytest.raises(DomainError) as err:
        grant(
            user=user,
            purpose=Purpose.MARKET_RESEARCH,
            kind=ConsentKind.IMPLIED,
            implied_from="purchase",
        )
    assert err.value.code == "implied_not_allowed"
    grant(user=user, purpose=Purpose.MARKET_RESEARCH)
    assert selectors.may_contact(purpose="market_research", at=AT, user=user) is True


@pytest.mark.promise("PP-9")
def test_implied_consent_from_an_enquiry_ends_after_six_months(policies):
    grant(email="asker@example.com", kind=ConsentKind.IMPLIED, implied_from="enquiry")
    assert (
        selectors.may_contact(
            purpose="marketing_email",
            at=dt.datetime(2027, 5, 2, 15, tzinfo=UTC),
            email="asker@example.com",
        )
        is True
    )
    assert (
        selectors.may_contact(
            purpose="marketing_email",
            at=dt.datetime(2027, 5, 2, 15, 1, tzinfo=UTC),
            email="asker@example.com",
        )
        is False
    )


def test_consent_given_by_email_counts_for_the_account_with_that_email(make_user, policies):
    grant(email="Robin@Example.com", source="news sign-up")
    user = make_user(email="robin@example.com")
    assert selectors.may_contact(purpose="marketing_email", at=AT, user=user) is True


def test_household_consent_for_usage_statistics(policies):
    grant(
        household_id=123456789012, purpose=Purpose.PRODUCT_USAGE_ANALYTICS, source="controller app"
    )
    assert (
        selectors.may_contact(purpose="product_usage_analytics", at=AT, household_id=123456789012)
        is True
    )
    assert selectors.may_contact(purpose="product_usage_analytics", at=AT, household_id=1) is False


def test_nobody_named_and_unknown_purposes_answer_no(db):
    assert selectors.may_contact(purpose="marketing_email", at=AT) is False
    with pytest.raises(DomainError):
        grant(email="x@example.com", purpose="telepathy")
    with pytest.raises(DomainError):
        services.record_consent(
            purpose="marketing_email", granted=True, kind="express", source="x", at=AT
        )


@pytest.mark.promise("TOS-25")
def test_consents_keep_the_policy_version_in_force_when_given(make_user, policies):
    user = make_user()
    before = grant(user=user, at=dt.datetime(2026, 5, 1, tzinfo=UTC))
    after = grant(
        user=user, at=dt.datetime(2026, 10, 5, tzinfo=UTC), purpose=Purpose.MARKET_RESEARCH
    )
    assert (before.policy_version, after.policy_version) == ("privacy-2025.1", "privacy-2026.2")
    PolicyDocument.objects.create(
        kind="privacy",
        version="2027.1",
        effective_at=dt.datetime(2027, 1, 1, tzinfo=UTC),
        last_updated=dt.date(2027, 1, 1),
        title="Privacy",
        body="x",
        title_fr="P",
        body_fr="x",
    )
    before.refresh_from_db()
    assert before.policy_version == "privacy-2025.1"
    state = selectors.current_consents(at=dt.datetime(2027, 2, 1, tzinfo=UTC), user=user)
    assert state["marketing_email"].policy_version == "privacy-2025.1"


def test_the_ledger_refuses_update_and_delete(make_user, policies):
    record = grant(user=make_user())
    record.granted = False
    with pytest.raises(PermissionError):
        record.save()
    with pytest.raises(PermissionError):
        record.delete()
    with pytest.raises(PermissionError):
        ConsentRecord.objects.filter(pk=record.pk).update(granted=False)
    with pytest.raises(PermissionError):
        ConsentRecord.objects.all().delete()
    assert ConsentRecord.objects.get(pk=record.pk).granted is True
