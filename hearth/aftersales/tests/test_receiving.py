"""Receiving and inspection through the services and the database (TOS-22, TOS-23, TOS-24):
the serial must match the RMA (a mismatch holds it for care), receiving twice is refused, and an
inspection decides the refund or the warranty's coverage and moves the unit."""

from __future__ import annotations

from typing import Any

import pytest

from hearth.aftersales import receiving
from hearth.aftersales.models import Inspection, Rma, RmaEvent, UnitScan
from hearth.aftersales.tests.receiving_support import (
    issued_rma,
    later,
    outbox_subjects,
    shipped_units,
)
from hearth.catalog.models import Variant
from hearth.core.errors import DomainError
from hearth.core.models import AuditEvent
from hearth.fulfilment.models import ReturnMovement

pytestmark = pytest.mark.usefixtures("warehouse_setup")


def _state(rma: Rma) -> str:
    rma.refresh_from_db()
    return rma.state


def _stock(sku: str = "EO-ONE-CHR") -> int:
    return Variant.objects.get(sku=sku).stock_on_hand


@pytest.mark.promise("TOS-24")
def test_the_rmas_serial_is_received_and_the_customer_is_told(staff_client: Any) -> None:
    user = staff_client("warehouse").user
    (unit,) = shipped_units()
    rma = issued_rma([unit])
    scan = receiving.receive_unit(rma=rma, serial=unit.serial.lower(), actor=user, at=later(3))
    assert (scan.outcome, scan.late, scan.rma_unit.serial) == ("received", False, unit.serial)
    assert _state(rma) == "received"
    assert rma.received_at == later(3)
    assert RmaEvent.objects.filter(rma=rma, kind="receive", to_state="received").exists()
    assert outbox_subjects(rma) == [f"We received your return {rma.number}"]
    assert AuditEvent.objects.filter(actor=user, object_type="aftersales.Rma").exists()
    assert AuditEvent.objects.filter(actor=user, object_type="aftersales.UnitScan").exists()


@pytest.mark.promise("TOS-24")
def test_an_rma_of_two_units_is_received_with_its_last_unit() -> None:
    first, second = shipped_units(2)
    rma = issued_rma([first, second])
    receiving.receive_unit(rma=rma, serial=first.serial, actor=None, at=later(2))
    assert _state(rma) == "issued"
    assert outbox_subjects(rma) == []
    with pytest.raises(DomainError) as caught:
        receiving.receive_unit(rma=rma, serial=first.serial, actor=None, at=later(2))
    assert (caught.value.code, caught.value.status) == ("already_received", 409)
    receiving.receive_unit(rma=rma, serial=second.serial, actor=None, at=later(3))
    assert _state(rma) == "received"
    assert UnitScan.objects.filter(rma=rma).count() == 2


@pytest.mark.promise("TOS-24")
def test_a_serial_that_does_not_match_is_refused_with_the_reason_and_held_for_care() -> None:
    (unit,) = shipped_units()
    (other,) = shipped_units()
    rma = issued_rma([unit])
    scan = receiving.receive_unit(rma=rma, serial=other.serial, actor=None, at=later(2))
    assert scan.outcome == "held"
    assert scan.rma_unit is None
    assert f"{other.serial} does not match {rma.number}" in scan.note
    assert unit.serial in scan.note  # the reason names what was expected
    assert _state(rma) == "held"
    assert rma.received_at is None
    assert outbox_subjects(rma) == []
    # The history is the customer's too (My Stuff): it never names the other person's serial.
    hold = RmaEvent.objects.get(rma=rma, kind="hold")
    assert other.serial not in hold.note and "customer care will contact you" in hold.note
    # Held: nothing more is received until care releases it, even the right serial.
    with pytest.raises(DomainError) as caught:
        receiving.receive_unit(rma=rma, serial=unit.serial, actor=None, at=later(2))
    assert caught.value.code == "rma_held"
    assert not UnitScan.objects.filter(outcome="received").exists()


@pytest.mark.promise("TOS-24")
def test_receiving_twice_is_refused_and_changes_nothing() -> None:
    (unit,) = shipped_units()
    rma = issued_rma([unit])
    receiving.receive_unit(rma=rma, serial=unit.serial, actor=None, at=later(2))
    events = RmaEvent.objects.count()
    with pytest.raises(DomainError) as caught:
        receiving.receive_unit(rma=rma, serial=unit.serial, actor=None, at=later(4))
    assert (caught.value.code, caught.value.status) == ("already_received", 409)
    rma.refresh_from_db()
    assert (rma.state, rma.received_at) == ("received", later(2))
    assert UnitScan.objects.count() == 1
    assert RmaEvent.objects.count() == events
    assert outbox_subjects(rma) == [f"We received your return {rma.number}"]


@pytest.mark.parametrize(
    ("serial", "code"),
    [("", "scan_serial"), ("NOT-A-SERIAL", "scan_serial"), ("label", "scan_serial")],
)
def test_a_misread_or_the_label_scanned_again_is_refused_without_holding(
    serial: str, code: str
) -> None:
    (unit,) = shipped_units()
    rma = issued_rma([unit])
    value = rma.tracking_code if serial == "label" else serial
    with pytest.raises(DomainError) as caught:
        receiving.receive_unit(rma=rma, serial=value, actor=None, at=later(1))
    assert caught.value.code == code
    assert _state(rma) == "issued"
    assert not UnitScan.objects.exists()


@pytest.mark.parametrize(
    ("state", "code"),
    [
        ("requested", "rma_not_issued"),
        ("expired", "rma_expired"),
        ("cancelled", "rma_cancelled"),
        ("inspected", "already_received"),
    ],
)
def test_an_rma_that_takes_no_parcel_is_refused(state: str, code: str) -> None:
    (unit,) = shipped_units()
    rma = issued_rma([unit])
    Rma.objects.filter(pk=rma.pk).update(state=state)
    with pytest.raises(DomainError) as caught:
        receiving.receive_unit(rma=rma, serial=unit.serial, actor=None, at=later(1))
    assert (caught.value.code, caught.value.status) == (code, 409)
    assert _state(rma) == state
    assert not UnitScan.objects.exists()


@pytest.mark.promise("TOS-24")
def test_a_unit_arriving_after_issue_plus_14_days_is_received_and_marked_late() -> None:
    (unit,) = shipped_units()
    rma = issued_rma([unit])
    on_time = receiving.receive_unit(rma=rma, serial=unit.serial, actor=None, at=later(14))
    assert on_time.late is False
    (unit2,) = shipped_units()
    rma2 = issued_rma([unit2])
    late = receiving.receive_unit(rma=rma2, serial=unit2.serial, actor=None, at=later(15))
    assert late.late is True
    assert "after the deadline" in RmaEvent.objects.filter(rma=rma2).last().note  # type: ignore[union-attr]


def _received(kind: str = "return", count: int = 1) -> tuple[Rma, list[Any]]:
    units = shipped_units(count)
    rma = issued_rma(units, kind=kind)
    for unit in units:
        receiving.receive_unit(rma=rma, serial=unit.serial, actor=None, at=later(2))
    return rma, list(rma.units.order_by("pk"))


@pytest.fixture
def inspected_calls() -> Any:
    calls: list[dict[str, Any]] = []

    def callback(**kwargs: Any) -> None:
        calls.append(kwargs)

    receiving.on_inspected(callback)
    yield calls
    receiving._INSPECTED.remove(callback)


@pytest.mark.promise("TOS-22")
def test_a_new_return_with_all_packaging_is_refundable_and_restocked(
    staff_client: Any, inspected_calls: list[dict[str, Any]]
) -> None:
    user = staff_client("warehouse").user
    rma, (unit,) = _received()
    before = _stock()
    inspection = receiving.inspect_unit(
        rma_unit=unit,
        condition="new",
        original_packaging=True,
        disposition="restock",
        actor=user,
        at=later(3),
    )
    assert (inspection.verdict, inspection.reasons, inspection.disposition) == (
        "refund",
        [],
        "restock",
    )
    assert inspection.movement is not None
    assert inspection.movement.reference == rma.number
    assert _stock() == before + 1
    # Inspected, then refunds' on_inspected hook makes the accepted return refund due.
    assert _state(rma) == "refund_due"
    assert [c["rma"].pk for c in inspected_calls] == [rma.pk]
    assert [i.pk for i in inspected_calls[0]["inspections"]] == [inspection.pk]
    assert outbox_subjects(rma)[-1] == f"Your return {rma.number} is inspected"
    assert AuditEvent.objects.filter(actor=user, object_type="aftersales.Inspection").exists()


@pytest.mark.promise("TOS-22")
def test_a_used_return_is_not_refunded_says_why_and_is_never_restocked(
    inspected_calls: list[dict[str, Any]],
) -> None:
    from hearth.comms.models import OutboundMessage

    rma, (unit,) = _received()
    before = _stock()
    with pytest.raises(DomainError) as caught:
        receiving.inspect_unit(
            rma_unit=unit,
            condition="used",
            original_packaging=False,
            disposition="restock",
            actor=None,
            at=later(3),
        )
    assert caught.value.code == "disposition_not_allowed"
    assert (_state(rma), _stock(), Inspection.objects.count()) == ("received", before, 0)
    inspection = receiving.inspect_unit(
        rma_unit=unit,
        condition="used",
        original_packaging=False,
        disposition="keep",
        actor=None,
        at=later(3),
    )
    assert inspection.verdict == "return_refused"
    assert inspection.reasons == ["not_as_new", "missing_packaging"]
    assert inspection.movement is None
    assert _stock() == before
    body = OutboundMessage.objects.get(key=f"rma:{rma.pk}:inspected").body
    assert "A returned product must be new or as-new." in body
    assert "original packaging with all materials" in body
    assert len(inspected_calls) == 1


def test_a_return_inspection_without_condition_or_packaging_is_refused() -> None:
    rma, (unit,) = _received()
    with pytest.raises(DomainError) as caught:
        receiving.inspect_unit(
            rma_unit=unit,
            condition=None,
            original_packaging=True,
            disposition="restock",
            actor=None,
            at=later(3),
        )
    assert (caught.value.code, list(caught.value.fields)) == (
        "inspection_incomplete",
        ["condition"],
    )
    assert _state(rma) == "received"
    assert not ReturnMovement.objects.exists()


@pytest.mark.promise("TOS-23")
@pytest.mark.parametrize(
    ("exclusions", "verdict", "disposition", "moved"),
    [
        ([], "covered", "refurbish", True),
        ([], "covered", "keep", False),
        (["housing_opened", "accident"], "not_covered", "keep", False),
    ],
)
def test_a_warranty_claim_is_covered_unless_an_exclusion_is_found(
    exclusions: list[str], verdict: str, disposition: str, moved: bool
) -> None:
    rma, (unit,) = _received(kind="warranty")
    before = _stock()
    inspection = receiving.inspect_unit(
        rma_unit=unit,
        condition="used",
        original_packaging=None,
        exclusions=exclusions,
        disposition=disposition,
        actor=None,
        at=later(3),
    )
    assert inspection.verdict == verdict
    assert inspection.exclusions == exclusions
    assert inspection.reasons == exclusions
    assert (inspection.movement is not None) is moved
    assert _stock() == before  # a warranty unit is never sold as new
    # The warranty steps (on_inspected) quote a claim not covered at once; a covered one waits
    # for care's repair-or-replace.
    assert _state(rma) == ("quoted" if verdict == "not_covered" else "inspected")


@pytest.mark.promise("TOS-23")
def test_a_covered_unit_is_never_restocked_as_new() -> None:
    rma, (unit,) = _received(kind="warranty")
    with pytest.raises(DomainError) as caught:
        receiving.inspect_unit(
            rma_unit=unit,
            condition="new",
            original_packaging=True,
            disposition="restock",
            actor=None,
            at=later(3),
        )
    assert caught.value.code == "disposition_not_allowed"
    assert _state(rma) == "received"


def test_inspecting_before_receipt_or_twice_is_refused(
    inspected_calls: list[dict[str, Any]],
) -> None:
    (unit,) = shipped_units()
    rma = issued_rma([unit])
    rma_unit = rma.units.get()
    args: dict[str, Any] = {
        "condition": "new",
        "original_packaging": True,
        "disposition": "scrap",
        "actor": None,
        "at": later(3),
    }
    with pytest.raises(DomainError) as caught:
        receiving.inspect_unit(rma_unit=rma_unit, **args)
    assert (caught.value.code, caught.value.status) == ("not_received", 409)
    receiving.receive_unit(rma=rma, serial=unit.serial, actor=None, at=later(2))
    receiving.inspect_unit(rma_unit=rma_unit, **args)
    with pytest.raises(DomainError) as caught:
        receiving.inspect_unit(rma_unit=rma_unit, **args)
    assert (caught.value.code, caught.value.status) == ("already_inspected", 409)
    assert Inspection.objects.count() == 1
    assert ReturnMovement.objects.count() == 1
    assert len(inspected_calls) == 1


def test_the_rma_is_inspected_with_its_last_unit(inspected_calls: list[dict[str, Any]]) -> None:
    rma, (first, second) = _received(count=2)
    args: dict[str, Any] = {
        "condition": "as_new",
        "original_packaging": True,
        "disposition": "restock",
        "actor": None,
        "at": later(3),
    }
    receiving.inspect_unit(rma_unit=first, **args)
    assert _state(rma) == "received"
    assert inspected_calls == []
    receiving.inspect_unit(rma_unit=second, **args)
    assert _state(rma) == "refund_due"  # inspected, then accepted: refund due (refunds' hook)
    assert len(inspected_calls[0]["inspections"]) == 2


@pytest.mark.promise("TOS-24")
def test_care_releases_a_hold_with_a_note_and_the_unit_goes_to_inspection(
    staff_client: Any,
) -> None:
    care = staff_client("care_agent").user
    (unit,) = shipped_units()
    (other,) = shipped_units()
    rma = issued_rma([unit])
    receiving.receive_unit(rma=rma, serial=other.serial, actor=None, at=later(2))
    with pytest.raises(DomainError) as caught:
        receiving.release_hold(rma=rma, note="  ", actor=care, at=later(3))
    assert caught.value.code == "note_required"
    assert _state(rma) == "held"
    receiving.release_hold(
        rma=rma, note="Serial label replaced at an earlier repair", actor=care, at=later(3)
    )
    assert _state(rma) == "received"
    released = UnitScan.objects.get(outcome="released")
    assert (released.serial, released.actor) == (unit.serial, care)
    with pytest.raises(DomainError) as caught:
        receiving.release_hold(rma=rma, note="again", actor=care, at=later(3))
    assert (caught.value.code, caught.value.status) == ("not_held", 409)


@pytest.mark.promise("TOS-24")
def test_care_closes_a_hold_and_the_customer_is_told_why(staff_client: Any) -> None:
    from hearth.comms.models import OutboundMessage

    care = staff_client("care_agent").user
    (unit,) = shipped_units()
    (other,) = shipped_units()
    rma = issued_rma([unit])
    receiving.receive_unit(rma=rma, serial=other.serial, actor=None, at=later(2))
    with pytest.raises(DomainError) as caught:
        receiving.close_hold(rma=rma, note="", actor=care, at=later(3))
    assert caught.value.code == "note_required"
    assert _state(rma) == "held"
    receiving.close_hold(
        rma=rma, note="A different product came in the parcel", actor=care, at=later(3)
    )
    assert _state(rma) == "closed"
    assert not UnitScan.objects.filter(outcome__in=["received", "released"]).exists()
    email = OutboundMessage.objects.get(key=f"rma:{rma.pk}:closed_after_hold")
    assert email.subject == f"Your return {rma.number} is closed"
    assert "A different product came in the parcel" in email.body
    assert other.serial not in email.body
    with pytest.raises(DomainError) as caught:
        receiving.close_hold(rma=rma, note="again", actor=care, at=later(3))
    assert (caught.value.code, caught.value.status) == ("not_held", 409)
