"""Where RMAs meet care and fulfilment (issue #13 finishing): a held parcel opens a care case that
closes with the hold; a replacement's delivery closes its RMA. Real services, real database."""

from __future__ import annotations

import datetime as dt

import pytest

from hearth.aftersales import receiving, rules
from hearth.aftersales import warranty as warranty_services
from hearth.aftersales.demo import deliver
from hearth.aftersales.models import RmaEvent
from hearth.aftersales.tests.receiving_support import T0, issued_rma, later, shipped_units
from hearth.aftersales.tests.test_warranty import inspected, ship_unit, warranty_rma
from hearth.aftersales.warranty_models import WarrantyReplacement
from hearth.care.models import Case, CaseLink, Channel, MessageDirection, State
from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.fulfilment.tests.conftest import variant

pytestmark = pytest.mark.usefixtures("warehouse_setup")


def held_rma():
    units = shipped_units(1)
    rma = issued_rma(units)
    with clock.frozen(later(2)):
        receiving.receive_unit(rma=rma, serial="EO1C26999999", actor=None, at=later(2))
    rma.refresh_from_db()
    assert rma.state == rules.RmaState.HELD
    return rma


def rma_case(rma) -> Case:
    return CaseLink.objects.get(kind=CaseLink.Kind.RMA, ref=rma.number).case


@pytest.mark.promise("TOS-24")
def test_a_held_parcel_opens_one_care_case_that_closes_when_care_releases_it() -> None:
    rma = held_rma()
    case = rma_case(rma)
    assert case.channel == Channel.RMA
    assert case.state == State.OPEN
    assert case.email == rma.email
    assert case.order_number == rma.order.number
    first = case.messages.get()
    assert first.direction == MessageDirection.NOTE  # care's own note, not the customer's words
    assert "EO1C26999999" in first.body  # the bench's reason, for care only
    with clock.frozen(later(3)):
        receiving.release_hold(rma=rma, note="Label replaced in a repair.", actor=None, at=later(3))
    case.refresh_from_db()
    assert case.state == State.CLOSED
    assert "Label replaced in a repair." in [m.body for m in case.messages.all()]
    assert Case.objects.filter(channel=Channel.RMA).count() == 1


@pytest.mark.promise("TOS-24")
def test_a_refused_held_parcel_closes_its_care_case_too() -> None:
    rma = held_rma()
    with clock.frozen(later(3)):
        receiving.close_hold(rma=rma, note="Not our product.", actor=None, at=later(3))
    assert rma_case(rma).state == State.CLOSED


def test_a_refused_release_leaves_the_care_case_open() -> None:
    rma = held_rma()
    with pytest.raises(DomainError, match="Say why"):
        receiving.release_hold(rma=rma, note=" ", actor=None, at=later(3))
    assert rma_case(rma).state == State.OPEN


@pytest.mark.promise("TOS-23")
def test_a_covered_claims_rma_closes_when_its_replacement_is_delivered() -> None:
    variant("EO-ONE-CHR", price="249.00", stock=10)
    unit = ship_unit("EO-ONE-CHR", "EO1C26000901")
    deliver(unit.order_line.order, at=T0 + dt.timedelta(days=2))
    at = T0 + dt.timedelta(days=30)
    with clock.frozen(at):
        rma = inspected(warranty_rma(unit, at=at))
        warranty_services.resolve_covered(rma=rma, resolution="replacement", actor=None, at=at)
    rma.refresh_from_db()
    assert rma.state == rules.RmaState.REPLACEMENT_SHIPPED
    replacement = WarrantyReplacement.objects.get(rma=rma)
    ship_unit("EO-ONE-CHR", "EO1C26000902", at=at, order=replacement.order)
    arrived = at + dt.timedelta(days=3)
    with clock.frozen(arrived):
        deliver(replacement.order, at=arrived)
    rma.refresh_from_db()
    replacement.order.refresh_from_db()
    assert replacement.order.status == "delivered"
    assert rma.state == rules.RmaState.CLOSED
    last = RmaEvent.objects.filter(rma=rma).latest("id")
    assert (last.kind, last.note) == ("close", "Your replacement was delivered.")


def test_an_ordinary_orders_delivery_moves_no_rma() -> None:
    units = shipped_units(1)
    rma = issued_rma(units)
    with clock.frozen(later(2)):
        deliver(units[0].order_line.order, at=later(2))
    rma.refresh_from_db()
    assert rma.state == rules.RmaState.ISSUED
    order = units[0].order_line.order
    order.refresh_from_db()
    assert order.status == "delivered"
