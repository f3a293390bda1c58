"""Cases care opens itself (PP-19, issue #14 item 5): dropout cases grouped by household episode
with the household's products, tier and unit pages; delivery exceptions with their order. Run
twice, nothing doubles; closing the care case closes what it was opened for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from hearth.care import services, sources
from hearth.care.models import Case, CaseLink, Channel
from hearth.care.tests.conftest import T0
from hearth.devices.models import Household, HouseholdProduct, Tier
from hearth.devices.models_reports import DropoutCase, DropoutCaseStatus

pytestmark = pytest.mark.usefixtures("care_setup")

HOUSEHOLD = 412345678901


def household(email: str = "hh@example.com", tier: str = Tier.REGISTERED_OPT_IN) -> Household:
    from hearth.accounts.models import User

    owner = User.objects.create_user(email=email, password=None, full_name="Hal Owner")
    home = Household.objects.create(
        id=HOUSEHOLD,
        token_hash="f" * 64,
        tier=tier,
        customer=owner,
        created_at=T0 - dt.timedelta(days=30),
    )
    HouseholdProduct.objects.create(
        household=home, serial="EO1C26000001", model="One", software_version="14.2", added_at=T0
    )
    return home


def dropout(service: str, *, at: dt.datetime = T0, household_id: int = HOUSEHOLD) -> DropoutCase:
    return DropoutCase.objects.create(
        household_id=household_id,
        service=service,
        dropouts=6,
        episode_start=at - dt.timedelta(hours=3),
        opened_at=at,
    )


@pytest.mark.promise("PP-19")
def test_dropouts_of_one_household_episode_make_one_care_case() -> None:
    household()
    first, second = dropout("spotify"), dropout("tunein", at=T0 + dt.timedelta(minutes=5))

    absorbed = sources.absorb_sources(at=T0 + dt.timedelta(minutes=10))
    again = sources.absorb_sources(at=T0 + dt.timedelta(minutes=11))

    assert (absorbed, again) == (2, 0)
    case = Case.objects.get()
    assert (case.channel, case.household_id, case.email) == (
        Channel.DROPOUT,
        HOUSEHOLD,
        "hh@example.com",
    )
    assert sorted(case.links.values_list("ref", flat=True)) == sorted(
        [str(first.pk), str(second.pk)]
    )
    notes = list(case.messages.values_list("direction", "body"))
    assert [d for d, _ in notes] == ["note", "note"]
    assert "spotify" in notes[0][1] and "tunein" in notes[1][1]
    # Care writes first (proactive): no confirmation is emailed for a case the owner did not open.
    from hearth.comms.models import OutboundMessage

    assert not OutboundMessage.objects.filter(key__startswith=f"care:{case.pk}:").exists()


@pytest.mark.promise("PP-19")
def test_closing_the_care_case_closes_its_dropout_cases_and_a_new_episode_opens_a_new_one() -> None:
    household()
    first = dropout("spotify")
    sources.absorb_sources(at=T0)
    case = Case.objects.get()

    services.close(case=case, at=T0 + dt.timedelta(hours=1), actor=None)
    first.refresh_from_db()
    assert first.status == DropoutCaseStatus.CLOSED
    dropout("spotify", at=T0 + dt.timedelta(days=2))
    sources.absorb_sources(at=T0 + dt.timedelta(days=2))

    assert Case.objects.count() == 2


@pytest.mark.promise("PP-19")
def test_the_dropout_case_page_shows_the_household_s_products_tier_and_unit_pages(
    care_staff: Callable[..., Client],
) -> None:
    client = care_staff("care_agent")
    # The tier shown is the one in force; one below opt-in needs no consent ledger to set up.
    household(tier=Tier.REGISTERED_OPT_OUT)
    dropout("spotify")
    sources.absorb_sources(at=T0)
    case = Case.objects.get()

    page = client.get(f"/back-office/care/{case.pk}/").content.decode()

    assert f"Household {HOUSEHOLD}" in page
    assert f"tier: {Tier.REGISTERED_OPT_OUT.label}" in page
    assert 'href="/back-office/units/EO1C26000001/"' in page
    assert f"/admin/devices/dropoutcase/{DropoutCase.objects.get().pk}/change/" in page


def test_a_delivery_exception_opens_a_care_case_for_the_order_s_customer(settings: Any) -> None:
    from hearth.fulfilment import services as fulfilment
    from hearth.fulfilment.models import DeliveryExceptionCase
    from hearth.fulfilment.tests.conftest import released_order, variant

    variant("EO-ONE-CHR")
    order = released_order([("EO-ONE-CHR", 1)], at=T0)
    fulfilment.scan_serial(order=order, serial="EO1C26000001", actor=None, at=T0)
    shipment = fulfilment.create_label(order=order, actor=None, at=T0)
    exception = DeliveryExceptionCase.objects.create(shipment=shipment, kind="lost", opened_at=T0)

    assert sources.absorb_sources(at=T0) == 1
    assert sources.absorb_sources(at=T0) == 0

    case = Case.objects.get()
    assert (case.channel, case.email, case.order_number) == (
        Channel.DELIVERY_EXCEPTION,
        "ada@example.com",
        order.number,
    )
    assert CaseLink.objects.get().ref == str(exception.pk)
    services.close(case=case, at=T0 + dt.timedelta(hours=1), actor=None)
    exception.refresh_from_db()
    assert exception.state == DeliveryExceptionCase.State.RESOLVED
    assert case.reference in exception.note
