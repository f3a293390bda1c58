"""Device-side writes that were silent now leave one audit row each, naming the real actor and
the field names only (issue #10 item 7; PP-10): a consent withdrawal lowering a household's
tier, a proven email linking households to the account, a care agent closing a dropout case,
and a partner (an API credential) created by the management command."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from hearth.core.models import AuditEvent
from hearth.devices import services
from hearth.devices.models import Household, Tier
from hearth.devices.models_reports import DropoutCaseStatus, Partner
from hearth.devices.outreach import close_case
from hearth.devices.tests.test_outreach import T0, dropouts, household
from hearth.privacy.models import ConsentKind, Purpose
from hearth.privacy.services import record_consent

pytestmark = [pytest.mark.django_db, pytest.mark.promise("PP-10")]


def rows(object_type: str) -> list[tuple[str, str, int | None, str, str, list[str]]]:
    return [
        (e.action, e.actor_kind, e.actor_id, e.system_actor, e.object_id, e.fields)
        for e in AuditEvent.objects.filter(object_type=object_type).order_by("id")
    ]


def owner(email: str = "owner@example.com"):
    return get_user_model().objects.create_user(email=email, password=None)


def test_a_withdrawal_lowering_a_linked_household_s_tier_is_one_row_naming_the_customer():
    hh = household(Tier.REGISTERED_OPT_IN)
    customer = owner()
    Household.objects.filter(pk=hh.pk).update(customer=customer, confirmed_at=T0)
    before = AuditEvent.objects.filter(object_type="devices.Household").count()
    record_consent(
        purpose=Purpose.PRODUCT_USAGE_ANALYTICS,
        granted=False,
        kind=ConsentKind.EXPRESS,
        source="my_stuff",
        at=T0,
        user=customer,
        actor=customer,
    )
    assert Household.objects.get(pk=hh.pk).tier == Tier.REGISTERED_OPT_OUT
    assert rows("devices.Household")[before:] == [
        ("changed", "user", customer.pk, "", str(hh.pk), ["tier", "tier_changed_at"])
    ]


def test_a_grant_changes_no_tier_and_writes_no_household_row():
    hh = household(Tier.REGISTERED_OPT_OUT)
    customer = owner()
    Household.objects.filter(pk=hh.pk).update(customer=customer, confirmed_at=T0)
    before = rows("devices.Household")
    record_consent(
        purpose=Purpose.PRODUCT_USAGE_ANALYTICS,
        granted=True,
        kind=ConsentKind.EXPRESS,
        source="my_stuff",
        at=T0,
        user=customer,
        actor=customer,
    )
    assert rows("devices.Household") == before


def test_a_proven_email_links_each_confirmed_household_with_one_row_naming_the_holder():
    hh = household(Tier.REGISTERED_OPT_OUT)
    unconfirmed = household(Tier.REGISTERED_OPT_OUT)
    Household.objects.filter(pk=hh.pk).update(confirmed_at=T0)
    customer = owner(f"owner{hh.id}@example.com")
    before = AuditEvent.objects.filter(object_type="devices.Household").count()
    assert services.link_confirmed_households(customer, f"owner{hh.id}@example.com", T0) == 1
    assert services.link_confirmed_households(customer, f"owner{hh.id}@example.com", T0) == 0
    assert rows("devices.Household")[before:] == [
        ("changed", "user", customer.pk, "", str(hh.pk), ["customer"])
    ]
    assert Household.objects.get(pk=unconfirmed.pk).customer_id is None
    stored = repr(list(AuditEvent.objects.values_list("fields", "object_id", "system_actor")))
    assert "example.com" not in stored


def test_closing_a_dropout_case_is_one_row_naming_the_care_agent_and_closing_again_none():
    hh = household(Tier.REGISTERED_OPT_IN)
    [case] = dropouts(hh, at=T0, hours=[0, 1, 2, 3, 4])
    agent = get_user_model().objects.create_user(
        email="care@example.com", password=None, is_staff=True
    )
    close_case(case_id=case.id, at=T0, actor=agent)
    close_case(case_id=case.id, at=T0, actor=agent)
    case.refresh_from_db()
    assert case.status == DropoutCaseStatus.CLOSED
    assert rows("devices.DropoutCase") == [
        ("state_changed", "user", agent.pk, "", str(case.id), ["closed_at", "status"])
    ]


def test_a_partner_created_by_the_command_is_recorded_as_the_command_never_the_token():
    out = io.StringIO()
    call_command("create_partner", name="Tunewave Inc.", service="tunewave", stdout=out)
    partner = Partner.objects.get(service="tunewave")
    token = out.getvalue().strip().splitlines()[-1]
    assert token.startswith("hp_")
    assert rows("devices.Partner") == [
        (
            "created",
            "system",
            None,
            "create_partner command",
            str(partner.pk),
            ["active", "created_at", "name", "service", "token_hash"],
        )
    ]
    stored = repr(list(AuditEvent.objects.values_list()))
    assert token not in stored
    assert partner.token_hash not in stored
