"""The return and warranty windows of TOS-22, TOS-23 and TOS-24, as tables of dates."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.aftersales.errors import AftersalesErrorCode
from hearth.aftersales.rules import (
    REASONS,
    Channel,
    ClaimKind,
    Condition,
    Exclusion,
    ReasonCode,
    advance_replacement_ship_by,
    check_claim_dates,
    eligibility,
    refund_due_window,
    return_deadline,
    return_window_open,
    rma_arrival_deadline,
    warranty_active,
    warranty_end,
    warranty_start,
)
from hearth.core.calendar import business_days_between, is_business_day
from hearth.core.errors import DomainError

D = dt.date.fromisoformat
RETURN, WARRANTY = ClaimKind.RETURN, ClaimKind.WARRANTY
WEB, PHONE, DEALER = Channel.WEB, Channel.PHONE, Channel.DEALER


def codes(result: object) -> list[str]:
    return [r.code.value for r in result.reasons]  # type: ignore[attr-defined]


# --- TOS-22: the 45-day return ----------------------------------------------------------------


@pytest.mark.promise("TOS-22")
@pytest.mark.parametrize(
    ("shipped_on", "deadline"),
    [
        ("2026-03-02", "2026-04-16"),
        ("2026-01-01", "2026-02-15"),
        ("2026-11-30", "2027-01-14"),  # year crossing
        ("2026-12-15", "2027-01-29"),  # year crossing
        ("2024-01-20", "2024-03-05"),  # February of a leap year has 29 days
        ("2025-01-20", "2025-03-06"),  # ... and of a common year 28
        ("2024-02-29", "2024-04-14"),  # shipped on the leap day
        ("2026-12-25", "2027-02-08"),  # calendar days: holidays do not stop the count
    ],
)
def test_return_deadline_is_shipment_plus_45_calendar_days(shipped_on: str, deadline: str) -> None:
    assert return_deadline(D(shipped_on)) == D(deadline)


@pytest.mark.promise("TOS-22")
@pytest.mark.parametrize(
    ("channel", "shipped_on", "requested_on", "condition", "packaging", "expected"),
    [
        (WEB, "2026-03-02", "2026-03-02", None, None, []),  # day 0
        (WEB, "2026-03-02", "2026-04-16", None, None, []),  # day 45
        (WEB, "2026-03-02", "2026-04-17", None, None, ["window_closed"]),  # day 46
        (PHONE, "2026-03-02", "2026-04-16", None, None, []),
        (PHONE, "2026-03-02", "2026-04-17", None, None, ["window_closed"]),
        (WEB, "2026-12-15", "2027-01-29", None, None, []),  # day 45 across new year
        (WEB, "2026-12-15", "2027-01-30", None, None, ["window_closed"]),
        (WEB, "2024-01-20", "2024-03-05", None, None, []),  # day 45 across a leap February
        (WEB, "2024-01-20", "2024-03-06", None, None, ["window_closed"]),
        (WEB, "2026-03-02", "2026-04-16", Condition.NEW, True, []),
        (WEB, "2026-03-02", "2026-04-16", Condition.AS_NEW, True, []),
        (WEB, "2026-03-02", "2026-04-16", Condition.USED, True, ["not_as_new"]),
        (WEB, "2026-03-02", "2026-04-16", Condition.DAMAGED, None, ["not_as_new"]),
        (WEB, "2026-03-02", "2026-04-16", None, False, ["missing_packaging"]),
        (
            PHONE,
            "2026-03-02",
            "2026-04-17",
            Condition.USED,
            False,
            ["window_closed", "not_as_new", "missing_packaging"],
        ),
        (DEALER, "2026-03-02", "2026-03-03", None, None, ["not_direct_purchase"]),
        (DEALER, "2026-03-02", "2026-05-01", None, None, ["not_direct_purchase"]),
    ],
)
def test_return_is_eligible_only_when_direct_in_window_as_new_and_packed(
    channel: Channel,
    shipped_on: str,
    requested_on: str,
    condition: Condition | None,
    packaging: bool | None,
    expected: list[str],
) -> None:
    result = eligibility(
        kind=RETURN,
        channel=channel,
        shipped_on=D(shipped_on),
        requested_on=D(requested_on),
        condition=condition,
        original_packaging=packaging,
    )
    assert codes(result) == expected
    assert result.eligible is (expected == [])
    direct_deadline = return_deadline(D(shipped_on)) if channel != DEALER else None
    assert result.deadline == direct_deadline
    assert result.return_deadline == direct_deadline


@pytest.mark.promise("TOS-22")
def test_dealer_purchase_cannot_use_the_45_day_return_and_has_no_return_deadline() -> None:
    result = eligibility(
        kind=RETURN,
        channel=DEALER,
        shipped_on=D("2026-03-02"),
        retail_purchased_on=D("2026-03-10"),
        requested_on=D("2026-03-12"),
    )
    assert result.eligible is False
    assert result.deadline is None
    assert [(r.code, r.promises) for r in result.reasons] == [
        (ReasonCode.NOT_DIRECT_PURCHASE, ("TOS-22",))
    ]
    assert result.warranty_end == D("2027-03-10")


@pytest.mark.promise("TOS-22")
def test_warranty_exclusions_are_not_considered_for_a_return() -> None:
    result = eligibility(
        kind=RETURN,
        channel=WEB,
        shipped_on=D("2026-03-02"),
        requested_on=D("2026-03-20"),
        exclusions=[Exclusion.HOUSING_OPENED],
    )
    assert result.eligible is True
    assert result.reasons == ()


@pytest.mark.promise("TOS-22")
@given(
    shipped_on=st.dates(dt.date(2006, 1, 1), dt.date(2099, 8, 1)),
    offset=st.integers(0, 120),
)
def test_return_window_holds_exactly_days_0_to_45(shipped_on: dt.date, offset: int) -> None:
    requested_on = shipped_on + dt.timedelta(days=offset)
    assert return_window_open(shipped_on=shipped_on, on=requested_on) is (offset <= 45)
    result = eligibility(kind=RETURN, channel=WEB, shipped_on=shipped_on, requested_on=requested_on)
    assert result.eligible is (offset <= 45)


# --- TOS-23: the one-year warranty ------------------------------------------------------------


@pytest.mark.promise("TOS-23")
@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2024-02-29", "2025-02-28"),  # the leap day: a year later there is no 29 February
        ("2028-02-29", "2029-02-28"),
        ("2023-03-01", "2024-03-01"),  # a leap day inside the year changes nothing
        ("2023-02-28", "2024-02-28"),  # ... nor here: not 29 February
        ("2024-02-28", "2025-02-28"),
        ("2024-03-01", "2025-03-01"),
        ("2027-02-28", "2028-02-28"),
        ("2026-12-31", "2027-12-31"),
        ("2026-01-01", "2027-01-01"),
    ],
)
def test_warranty_ends_on_same_month_and_day_a_year_later_leap_day_to_28_february(
    start: str, end: str
) -> None:
    assert warranty_end(D(start)) == D(end)
    assert warranty_active(start=D(start), on=D(end)) is True
    assert warranty_active(start=D(start), on=D(end) + dt.timedelta(days=1)) is False


@pytest.mark.promise("TOS-23")
@pytest.mark.parametrize(
    ("channel", "shipped_on", "retail_purchased_on", "start"),
    [
        (WEB, "2026-03-02", None, "2026-03-02"),
        (PHONE, "2026-03-02", None, "2026-03-02"),
        (DEALER, "2026-01-10", "2026-06-20", "2026-06-20"),
        (DEALER, "2026-01-10", None, None),
    ],
)
def test_warranty_starts_at_shipment_for_direct_and_at_retail_purchase_for_dealer(
    channel: Channel, shipped_on: str, retail_purchased_on: str | None, start: str | None
) -> None:
    retail = D(retail_purchased_on) if retail_purchased_on else None
    expected = D(start) if start else None
    assert (
        warranty_start(shipped_on=D(shipped_on), retail_purchased_on=retail, channel=channel)
        == expected
    )


@pytest.mark.promise("TOS-23")
@pytest.mark.parametrize(
    ("channel", "shipped_on", "retail", "requested_on", "deadline", "expected"),
    [
        (WEB, "2026-03-02", None, "2027-03-02", "2027-03-02", []),  # last day
        (WEB, "2026-03-02", None, "2027-03-03", "2027-03-02", ["window_closed"]),
        (PHONE, "2026-03-02", None, "2026-09-15", "2027-03-02", []),
        (WEB, "2024-02-29", None, "2025-02-28", "2025-02-28", []),  # leap day start
        (WEB, "2024-02-29", None, "2025-03-01", "2025-02-28", ["window_closed"]),
        (WEB, "2023-03-01", None, "2024-02-29", "2024-03-01", []),
        (WEB, "2023-03-01", None, "2024-03-01", "2024-03-01", []),
        (WEB, "2023-03-01", None, "2024-03-02", "2024-03-01", ["window_closed"]),
        (WEB, "2023-02-28", None, "2024-02-29", "2024-02-28", ["window_closed"]),
        (WEB, "2027-12-31", None, "2028-12-31", "2028-12-31", []),
        # dealer: the retail purchase date governs, not the shipment to the dealer
        (DEALER, "2026-01-10", "2026-06-20", "2027-05-01", "2027-06-20", []),
        (DEALER, "2026-01-10", "2026-06-20", "2027-06-20", "2027-06-20", []),
        (DEALER, "2026-01-10", "2026-06-20", "2027-06-21", "2027-06-20", ["window_closed"]),
        (DEALER, "2028-01-10", "2028-02-29", "2029-02-28", "2029-02-28", []),
        (DEALER, "2028-01-10", "2028-02-29", "2029-03-01", "2029-02-28", ["window_closed"]),
        (DEALER, "2026-01-10", None, "2026-06-20", None, ["retail_purchase_date_required"]),
    ],
)
def test_warranty_claim_is_in_time_up_to_and_including_its_last_day(
    channel: Channel,
    shipped_on: str,
    retail: str | None,
    requested_on: str,
    deadline: str | None,
    expected: list[str],
) -> None:
    result = eligibility(
        kind=WARRANTY,
        channel=channel,
        shipped_on=D(shipped_on),
        retail_purchased_on=D(retail) if retail else None,
        requested_on=D(requested_on),
    )
    assert codes(result) == expected
    assert result.eligible is (expected == [])
    assert result.deadline == (D(deadline) if deadline else None)
    assert result.warranty_end == result.deadline


@pytest.mark.promise("TOS-23")
@pytest.mark.parametrize(
    ("owner_changed", "repairs", "requested_on", "eligible"),
    [
        (False, 0, "2027-03-02", True),
        (True, 0, "2027-03-02", True),
        (False, 3, "2027-03-02", True),
        (True, 2, "2027-03-02", True),
        (True, 0, "2027-03-03", False),  # a new owner gets no fresh year
        (False, 1, "2027-03-03", False),  # a repair does not extend it
        (True, 5, "2027-03-03", False),
    ],
)
def test_warranty_is_neither_extended_by_repairs_nor_changed_by_a_new_owner(
    owner_changed: bool, repairs: int, requested_on: str, eligible: bool
) -> None:
    result = eligibility(
        kind=WARRANTY,
        channel=WEB,
        shipped_on=D("2026-03-02"),
        requested_on=D(requested_on),
        owner_changed=owner_changed,
        repairs=repairs,
    )
    assert result.eligible is eligible
    assert result.deadline == D("2027-03-02")


@pytest.mark.promise("TOS-23")
@pytest.mark.parametrize(
    ("exclusions", "expected"),
    [
        ([Exclusion.ACCIDENT], ["accident"]),
        ([Exclusion.ABUSE_OR_MISUSE], ["abuse_or_misuse"]),
        ([Exclusion.AGAINST_INSTRUCTIONS], ["against_instructions"]),
        ([Exclusion.SERIAL_MISSING_OR_ALTERED], ["serial_missing_or_altered"]),
        ([Exclusion.HOUSING_OPENED], ["housing_opened"]),
        ([Exclusion.THIRD_PARTY_ACCESSORY], ["third_party_accessory"]),
        (
            [Exclusion.HOUSING_OPENED, Exclusion.ACCIDENT, Exclusion.HOUSING_OPENED],
            ["housing_opened", "accident"],  # each once, in the order given
        ),
        (["accident"], ["accident"]),  # plain strings are accepted too
    ],
)
def test_each_warranty_exclusion_is_its_own_reason(
    exclusions: list[Exclusion], expected: list[str]
) -> None:
    result = eligibility(
        kind=WARRANTY,
        channel=WEB,
        shipped_on=D("2026-03-02"),
        requested_on=D("2026-06-01"),
        exclusions=exclusions,
    )
    assert result.eligible is False
    assert codes(result) == expected
    assert result.deadline == D("2027-03-02")
    assert result.advance_replacement_ship_by is None


@pytest.mark.promise("TOS-23")
def test_late_claim_with_exclusion_lists_both_reasons_and_condition_is_ignored() -> None:
    result = eligibility(
        kind=WARRANTY,
        channel=WEB,
        shipped_on=D("2026-03-02"),
        requested_on=D("2027-03-03"),
        condition=Condition.DAMAGED,
        original_packaging=False,
        exclusions=[Exclusion.THIRD_PARTY_ACCESSORY],
    )
    assert codes(result) == ["window_closed", "third_party_accessory"]


@pytest.mark.promise("TOS-23")
@given(start=st.dates(dt.date(2006, 1, 1), dt.date(2098, 12, 31)))
def test_warranty_lasts_one_year_keeping_month_and_day(start: dt.date) -> None:
    end = warranty_end(start)
    assert end.year == start.year + 1
    assert 365 <= (end - start).days <= 366
    if (start.month, start.day) == (2, 29):
        assert (end.month, end.day) == (2, 28)
    else:
        assert (end.month, end.day) == (start.month, start.day)


@pytest.mark.promise("TOS-23")
@given(
    requested=st.integers(0, 800),
    owner_changed=st.booleans(),
    repairs=st.integers(0, 20),
)
def test_owner_change_and_repairs_never_change_the_answer(
    requested: int, owner_changed: bool, repairs: int
) -> None:
    shipped_on = D("2024-02-29")
    requested_on = shipped_on + dt.timedelta(days=requested)
    plain = eligibility(
        kind=WARRANTY, channel=PHONE, shipped_on=shipped_on, requested_on=requested_on
    )
    varied = eligibility(
        kind=WARRANTY,
        channel=PHONE,
        shipped_on=shipped_on,
        requested_on=requested_on,
        owner_changed=owner_changed,
        repairs=repairs,
    )
    assert varied == plain


# --- TOS-24: RMA arrival, refund, advance replacement ----------------------------------------


@pytest.mark.promise("TOS-24")
@pytest.mark.parametrize(
    ("issued_on", "deadline"),
    [
        ("2026-03-02", "2026-03-16"),
        ("2026-12-20", "2027-01-03"),  # year crossing
        ("2026-12-25", "2027-01-08"),  # calendar days: holidays count
        ("2024-02-20", "2024-03-05"),  # leap February
        ("2025-02-20", "2025-03-06"),
        ("2026-03-07", "2026-03-21"),  # a Saturday issue, a Saturday deadline
    ],
)
def test_rma_arrival_deadline_is_issue_plus_14_calendar_days(issued_on: str, deadline: str) -> None:
    assert rma_arrival_deadline(D(issued_on)) == D(deadline)


@pytest.mark.promise("TOS-24")
@pytest.mark.parametrize(
    ("received_on", "due_from", "due_by"),
    [
        ("2026-03-02", "2026-03-16", "2026-03-23"),  # an ordinary Monday
        ("2026-12-23", "2027-01-11", "2027-01-18"),  # Christmas, Boxing Day observed, New Year
        ("2026-12-24", "2027-01-12", "2027-01-19"),
        ("2026-12-26", "2027-01-12", "2027-01-19"),  # received on Boxing Day itself (Saturday)
        ("2026-05-15", "2026-06-01", "2026-06-08"),  # Victoria Day long weekend
        ("2026-04-02", "2026-04-17", "2026-04-24"),  # Good Friday closed, Easter Monday open
        ("2026-09-29", "2026-10-15", "2026-10-22"),  # Truth and Reconciliation, Thanksgiving
    ],
)
def test_refund_is_due_between_10th_and_15th_business_day_after_receipt(
    received_on: str, due_from: str, due_by: str
) -> None:
    assert refund_due_window(D(received_on)) == (D(due_from), D(due_by))


@pytest.mark.promise("TOS-24")
@pytest.mark.parametrize(
    ("requested_on", "ship_by"),
    [
        ("2026-03-02", "2026-03-04"),  # Monday -> Wednesday
        ("2026-03-05", "2026-03-09"),  # Thursday -> over the weekend -> Monday
        ("2026-03-06", "2026-03-10"),  # Friday -> Tuesday
        ("2026-03-07", "2026-03-10"),  # Saturday -> Tuesday
        ("2026-12-23", "2026-12-29"),  # Christmas and Boxing Day observed skipped
        ("2026-12-24", "2026-12-30"),
        ("2026-05-15", "2026-05-20"),  # Victoria Day
        ("2026-04-02", "2026-04-07"),  # Good Friday skipped, Easter Monday counts
    ],
)
def test_advance_replacement_ships_by_2nd_business_day_after_request(
    requested_on: str, ship_by: str
) -> None:
    assert advance_replacement_ship_by(D(requested_on)) == D(ship_by)


@pytest.mark.promise("TOS-24")
@given(received_on=st.dates(dt.date(2006, 1, 1), dt.date(2099, 11, 30)))
def test_refund_window_spans_business_days_10_to_15(received_on: dt.date) -> None:
    due_from, due_by = refund_due_window(received_on)
    assert is_business_day(due_from)
    assert is_business_day(due_by)
    assert business_days_between(received_on, due_from) == 10
    assert business_days_between(received_on, due_by) == 15


@pytest.mark.promise("TOS-24")
@pytest.mark.parametrize(
    ("received_on", "arrived_in_time"),
    [("2026-03-30", True), ("2026-03-31", False)],
)
def test_eligible_return_reports_arrival_deadline_and_refund_window(
    received_on: str, arrived_in_time: bool
) -> None:
    result = eligibility(
        kind=RETURN,
        channel=WEB,
        shipped_on=D("2026-03-02"),
        requested_on=D("2026-03-14"),
        rma_issued_on=D("2026-03-16"),
        received_on=D(received_on),
    )
    assert result.eligible is True
    assert result.rma_arrival_deadline == D("2026-03-30")
    assert result.arrived_in_time is arrived_in_time
    assert (result.refund_due_from, result.refund_due_by) == refund_due_window(D(received_on))
    assert result.advance_replacement_ship_by is None


@pytest.mark.promise("TOS-24")
def test_ineligible_return_gets_no_refund_window() -> None:
    result = eligibility(
        kind=RETURN,
        channel=WEB,
        shipped_on=D("2026-03-02"),
        requested_on=D("2026-04-17"),
        rma_issued_on=D("2026-04-17"),
        received_on=D("2026-04-20"),
    )
    assert codes(result) == ["window_closed"]
    assert (result.refund_due_from, result.refund_due_by) == (None, None)
    assert result.rma_arrival_deadline == D("2026-05-01")
    assert result.arrived_in_time is True


@pytest.mark.promise("TOS-24")
def test_eligible_warranty_claim_reports_advance_replacement_ship_by() -> None:
    result = eligibility(
        kind=WARRANTY,
        channel=WEB,
        shipped_on=D("2026-03-02"),
        requested_on=D("2026-12-24"),
        received_on=D("2027-01-04"),
    )
    assert result.eligible is True
    assert result.advance_replacement_ship_by == D("2026-12-30")
    assert (result.refund_due_from, result.refund_due_by) == (None, None)
    assert result.rma_arrival_deadline is None
    assert result.arrived_in_time is None


# --- Input that cannot belong to one claim ----------------------------------------------------

BASE = {"shipped_on": D("2026-03-02"), "requested_on": D("2026-03-20")}


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"requested_on": D("2026-03-01")}, "dates_out_of_order", "requested_on"),
        ({"shipped_on": D("2005-12-31")}, "date_out_of_range", "shipped_on"),
        ({"shipped_on": D("9999-12-31")}, "date_out_of_range", "shipped_on"),
        ({"requested_on": D("2100-01-01")}, "date_out_of_range", "requested_on"),
        ({"retail_purchased_on": D("1999-01-01")}, "date_out_of_range", "retail_purchased_on"),
        ({"retail_purchased_on": D("2026-03-21")}, "dates_out_of_order", "retail_purchased_on"),
        ({"retail_purchased_on": D("2026-03-01")}, "dates_out_of_order", "retail_purchased_on"),
        ({"rma_issued_on": D("2026-03-19")}, "dates_out_of_order", "rma_issued_on"),
        ({"received_on": D("2026-03-19")}, "dates_out_of_order", "received_on"),
        (
            {"rma_issued_on": D("2026-03-25"), "received_on": D("2026-03-24")},
            "dates_out_of_order",
            "received_on",
        ),
        ({"received_on": D("2100-01-01")}, "date_out_of_range", "received_on"),
    ],
)
def test_dates_that_cannot_belong_to_one_claim_are_refused_naming_the_field(
    changes: dict[str, dt.date], code: str, field: str
) -> None:
    with pytest.raises(DomainError) as caught:
        check_claim_dates(**{**BASE, **changes})
    assert caught.value.code == code
    assert list(caught.value.fields) == [field]
    with pytest.raises(DomainError) as again:
        eligibility(kind=WARRANTY, channel=DEALER, **{**BASE, **changes})
    assert (again.value.code, list(again.value.fields)) == (code, [field])


@pytest.mark.parametrize("channel", [WEB, PHONE])
def test_retail_purchase_date_on_a_direct_purchase_is_refused(channel: Channel) -> None:
    with pytest.raises(DomainError) as caught:
        eligibility(kind=WARRANTY, channel=channel, retail_purchased_on=D("2026-03-05"), **BASE)
    assert caught.value.code == AftersalesErrorCode.RETAIL_DATE_NOT_DEALER
    assert list(caught.value.fields) == ["retail_purchased_on"]


def test_negative_repair_count_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        eligibility(kind=WARRANTY, channel=WEB, repairs=-1, **BASE)
    assert (caught.value.code, list(caught.value.fields)) == ("invalid_count", ["repairs"])


# --- The reason catalogue -----------------------------------------------------------------------


def test_every_reason_code_has_a_message_and_a_promise() -> None:
    assert set(REASONS) == set(ReasonCode)
    for code, reason in REASONS.items():
        assert reason.code == code
        assert reason.message.endswith(".")
        assert reason.promises
        assert set(reason.promises) <= {"TOS-22", "TOS-23", "TOS-24"}


def test_every_exclusion_is_a_reason_code() -> None:
    assert {e.value for e in Exclusion} <= {c.value for c in ReasonCode}
