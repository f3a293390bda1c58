"""Receiving and inspection as tables: which RMA may be received, whether a scanned serial
matches the RMA (TOS-24), what an inspection decides for a return (TOS-22) or a warranty claim
(TOS-23), and where the unit may go."""

from __future__ import annotations

import datetime as dt

import pytest

from hearth.aftersales.errors import AftersalesErrorCode
from hearth.aftersales.rules import (
    ClaimKind,
    Condition,
    Disposition,
    Exclusion,
    InspectionVerdict,
    ReceivingRefusal,
    ScanVerdict,
    arrived_in_time,
    check_disposition,
    inspection_outcome,
    match_serial,
    receiving_refusal,
)
from hearth.core.errors import DomainError

D = dt.date.fromisoformat


@pytest.mark.promise("TOS-24")
@pytest.mark.parametrize(
    ("state", "refusal"),
    [
        ("issued", None),
        ("requested", ReceivingRefusal.NOT_ISSUED),
        ("received", ReceivingRefusal.ALREADY_RECEIVED),
        ("inspected", ReceivingRefusal.ALREADY_RECEIVED),
        ("refund_due", ReceivingRefusal.ALREADY_RECEIVED),
        ("refunded", ReceivingRefusal.ALREADY_RECEIVED),
        ("replacement_shipped", ReceivingRefusal.ALREADY_RECEIVED),
        ("quoted", ReceivingRefusal.ALREADY_RECEIVED),
        ("closed", ReceivingRefusal.CLOSED),  # after the unit, or after a hold care refused
        ("expired", ReceivingRefusal.EXPIRED),
        ("cancelled", ReceivingRefusal.CANCELLED),
        ("held", ReceivingRefusal.HELD),
    ],
)
def test_only_an_issued_rma_receives_and_receiving_twice_is_refused(
    state: str, refusal: ReceivingRefusal | None
) -> None:
    assert receiving_refusal(state) == refusal


def test_every_rma_state_has_a_receiving_answer() -> None:
    from hearth.aftersales.rules import ARRIVED_STATES, RECEIVABLE_STATES, RmaState

    assert set(RECEIVABLE_STATES) | set(ARRIVED_STATES) <= set(RmaState)
    for state in RmaState:
        answer = receiving_refusal(state)
        assert (answer is None) == (state == RmaState.ISSUED)
    assert receiving_refusal(RmaState.REQUESTED) is ReceivingRefusal.NOT_ISSUED


@pytest.mark.promise("TOS-24")
@pytest.mark.parametrize(
    ("scanned", "expected", "received", "verdict"),
    [
        ("EO1-000001", ["EO1-000001"], [], ScanVerdict.MATCH),
        ("EO1-000002", ["EO1-000001", "EO1-000002"], ["EO1-000001"], ScanVerdict.MATCH),
        ("EO1-000001", ["EO1-000001", "EO1-000002"], ["EO1-000001"], ScanVerdict.ALREADY_RECEIVED),
        ("EO1-000003", ["EO1-000001"], [], ScanVerdict.MISMATCH),
        ("EO1-000003", ["EO1-000001"], ["EO1-000001"], ScanVerdict.MISMATCH),
        ("EO1-000001", [], [], ScanVerdict.MISMATCH),
    ],
)
def test_a_serial_must_be_one_of_the_rmas_serials(
    scanned: str, expected: list[str], received: list[str], verdict: ScanVerdict
) -> None:
    assert match_serial(scanned, expected=expected, received=received) is verdict


@pytest.mark.promise("TOS-24")
@pytest.mark.parametrize(
    ("issued", "received", "in_time"),
    [
        ("2026-11-02", "2026-11-02", True),
        ("2026-11-02", "2026-11-16", True),  # the 14th calendar day is in time
        ("2026-11-02", "2026-11-17", False),
        ("2026-12-20", "2027-01-03", True),  # across the year and the holidays
    ],
)
def test_arrival_in_time_is_issue_plus_14_calendar_days(
    issued: str, received: str, in_time: bool
) -> None:
    assert arrived_in_time(issued_on=D(issued), received_on=D(received)) is in_time


NEW, AS_NEW, USED, DAMAGED = Condition.NEW, Condition.AS_NEW, Condition.USED, Condition.DAMAGED


@pytest.mark.promise("TOS-22")
@pytest.mark.parametrize(
    ("condition", "packaging", "verdict", "reasons"),
    [
        (NEW, True, InspectionVerdict.REFUND, []),
        (AS_NEW, True, InspectionVerdict.REFUND, []),
        (NEW, False, InspectionVerdict.RETURN_REFUSED, ["missing_packaging"]),
        (USED, True, InspectionVerdict.RETURN_REFUSED, ["not_as_new"]),
        (DAMAGED, False, InspectionVerdict.RETURN_REFUSED, ["not_as_new", "missing_packaging"]),
    ],
)
def test_a_45_day_return_is_refunded_only_new_or_as_new_with_all_packaging(
    condition: Condition, packaging: bool, verdict: InspectionVerdict, reasons: list[str]
) -> None:
    outcome = inspection_outcome(
        kind=ClaimKind.RETURN,
        condition=condition,
        original_packaging=packaging,
        exclusions=[Exclusion.ACCIDENT],  # exclusions do not decide a return
    )
    assert outcome.verdict is verdict
    assert [r.code.value for r in outcome.reasons] == reasons


@pytest.mark.promise("TOS-22")
@pytest.mark.parametrize(
    ("condition", "packaging", "field"),
    [(None, True, "condition"), (NEW, None, "original_packaging")],
)
def test_a_return_inspection_must_record_condition_and_packaging(
    condition: Condition | None, packaging: bool | None, field: str
) -> None:
    with pytest.raises(DomainError) as caught:
        inspection_outcome(kind=ClaimKind.RETURN, condition=condition, original_packaging=packaging)
    assert caught.value.code == AftersalesErrorCode.INSPECTION_INCOMPLETE
    assert field in caught.value.fields


@pytest.mark.promise("TOS-23")
@pytest.mark.parametrize(
    ("exclusions", "verdict", "reasons"),
    [
        ([], InspectionVerdict.COVERED, []),
        ([Exclusion.ACCIDENT], InspectionVerdict.NOT_COVERED, ["accident"]),
        (
            [Exclusion.HOUSING_OPENED, Exclusion.THIRD_PARTY_ACCESSORY, Exclusion.HOUSING_OPENED],
            InspectionVerdict.NOT_COVERED,
            ["housing_opened", "third_party_accessory"],
        ),
        (
            [Exclusion.SERIAL_MISSING_OR_ALTERED],
            InspectionVerdict.NOT_COVERED,
            ["serial_missing_or_altered"],
        ),
        ([Exclusion.ABUSE_OR_MISUSE], InspectionVerdict.NOT_COVERED, ["abuse_or_misuse"]),
        ([Exclusion.AGAINST_INSTRUCTIONS], InspectionVerdict.NOT_COVERED, ["against_instructions"]),
    ],
)
def test_a_warranty_claim_is_covered_unless_an_exclusion_is_found(
    exclusions: list[Exclusion], verdict: InspectionVerdict, reasons: list[str]
) -> None:
    # A used, unboxed unit is still covered: condition and packaging do not decide a claim.
    outcome = inspection_outcome(
        kind=ClaimKind.WARRANTY, condition=USED, original_packaging=False, exclusions=exclusions
    )
    assert outcome.verdict is verdict
    assert [r.code.value for r in outcome.reasons] == reasons


R, F, S, K = Disposition.RESTOCK, Disposition.REFURBISH, Disposition.SCRAP, Disposition.KEEP


@pytest.mark.promise("TOS-22", "TOS-23")
@pytest.mark.parametrize(
    ("kind", "condition", "packaging", "exclusions", "allowed"),
    [
        (ClaimKind.RETURN, NEW, True, [], {R, F, S}),
        (ClaimKind.RETURN, USED, True, [], {K}),  # not refunded: back to the customer
        (ClaimKind.WARRANTY, NEW, True, [], {F, S, K}),  # defective: never sold as new
        (ClaimKind.WARRANTY, NEW, True, [Exclusion.ACCIDENT], {K}),  # waits for the quote
    ],
)
def test_where_an_inspected_unit_may_go(
    kind: ClaimKind,
    condition: Condition,
    packaging: bool,
    exclusions: list[Exclusion],
    allowed: set[Disposition],
) -> None:
    outcome = inspection_outcome(
        kind=kind, condition=condition, original_packaging=packaging, exclusions=exclusions
    )
    for disposition in Disposition:
        if disposition in allowed:
            assert check_disposition(outcome, disposition.value) is disposition
        else:
            with pytest.raises(DomainError) as caught:
                check_disposition(outcome, disposition)
            assert caught.value.code == AftersalesErrorCode.DISPOSITION_NOT_ALLOWED
    with pytest.raises(DomainError):
        check_disposition(outcome, "to_the_moon")
