from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.privacy import rules
from hearth.privacy.rules import ConsentEvent, FieldRef, Kind

UTC = dt.UTC


def t(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (t(2026, 1, 31), 1, t(2026, 2, 28)),
        (t(2024, 2, 29), 12, t(2025, 2, 28)),
        (t(2026, 8, 31), 6, t(2027, 2, 28)),
        (t(2026, 3, 15), 24, t(2028, 3, 15)),
    ],
)
def test_add_months_clamps_to_the_month_end(start, months, expected):
    assert rules.add_months(start, months) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [("purchase", t(2028, 3, 15)), ("enquiry", t(2026, 9, 15))],
)
@pytest.mark.promise("PP-9")
def test_implied_consent_lasts_two_years_after_purchase_six_months_after_enquiry(source, expected):
    assert rules.implied_expiry(t(2026, 3, 15), source) == expected


EXPRESS_GRANT = ConsentEvent(t(2026, 1, 1), True, Kind.EXPRESS)
WITHDRAWAL = ConsentEvent(t(2026, 2, 1), False, Kind.EXPRESS)
PURCHASE = ConsentEvent(
    t(2026, 3, 1), True, Kind.IMPLIED, rules.implied_expiry(t(2026, 3, 1), "purchase")
)
ENQUIRY = ConsentEvent(
    t(2026, 4, 1), True, Kind.IMPLIED, rules.implied_expiry(t(2026, 4, 1), "enquiry")
)


@pytest.mark.parametrize(
    ("events", "at", "implied_allowed", "granted", "kind"),
    [
        ([], t(2026, 1, 1), True, False, None),
        ([EXPRESS_GRANT], t(2025, 12, 31), True, False, None),
        ([EXPRESS_GRANT], t(2026, 1, 1), True, True, Kind.EXPRESS),
        ([EXPRESS_GRANT, WITHDRAWAL], t(2026, 2, 1), True, False, Kind.EXPRESS),
        ([EXPRESS_GRANT, WITHDRAWAL], t(2026, 1, 31), True, True, Kind.EXPRESS),
        ([PURCHASE], t(2028, 3, 1), True, True, Kind.IMPLIED),
        ([PURCHASE], t(2028, 3, 2), True, False, None),
        ([PURCHASE], t(2026, 6, 1), False, False, None),
        ([ENQUIRY], t(2026, 10, 2), True, False, None),
        # Implied consent never overrides an opt-out: a purchase after it implies nothing.
        ([WITHDRAWAL, PURCHASE], t(2026, 6, 1), True, False, Kind.EXPRESS),
        ([WITHDRAWAL, PURCHASE, ENQUIRY], t(2026, 6, 1), True, False, Kind.EXPRESS),
        ([EXPRESS_GRANT, PURCHASE], t(2030, 1, 1), True, True, Kind.EXPRESS),
        ([PURCHASE, ENQUIRY], t(2027, 1, 1), True, True, Kind.IMPLIED),
        (
            [PURCHASE, WITHDRAWAL.__class__(t(2026, 5, 1), False)],
            t(2026, 6, 1),
            True,
            False,
            Kind.EXPRESS,
        ),
    ],
)
@pytest.mark.promise("PP-8")
def test_consent_state_is_derived_from_the_ledger(events, at, implied_allowed, granted, kind):
    state = rules.consent_state(events, at, implied_allowed=implied_allowed)
    assert (state.granted, state.kind) == (granted, kind)


def test_a_later_enquiry_does_not_shorten_implied_consent_from_a_purchase():
    state = rules.consent_state([PURCHASE, ENQUIRY], t(2027, 1, 1))
    assert state.expires_at == PURCHASE.expires_at


moments = st.integers(min_value=0, max_value=2000).map(
    lambda days: t(2024, 1, 1) + dt.timedelta(days=days)
)
express_events = st.builds(
    lambda at, granted: ConsentEvent(at, granted, Kind.EXPRESS), moments, st.booleans()
)


@given(st.lists(express_events, max_size=12), moments)
def test_the_last_express_record_before_t_wins(events, at):
    ordered = sorted(events, key=lambda e: e.at)
    before = [e for e in ordered if e.at <= at]
    state = rules.consent_state(ordered, at)
    assert state.granted == (before[-1].granted if before else False)


@given(st.lists(express_events, max_size=8), moments, st.sampled_from(["purchase", "enquiry"]))
def test_expired_implied_consent_is_no_consent(events, at, source):
    implied_at = at - dt.timedelta(days=800)
    implied = ConsentEvent(implied_at, True, Kind.IMPLIED, rules.implied_expiry(implied_at, source))
    earlier = sorted((e for e in events if e.at < implied_at), key=lambda e: e.at)
    state = rules.consent_state([*earlier, implied], at)
    # An implied grant after any earlier record, 800 days ago, has expired by now unless an
    # express grant was already in force (which it does not lower).
    express_in_force = bool(earlier) and earlier[-1].granted
    assert state.granted == express_in_force


@given(st.lists(express_events, max_size=12), moments)
def test_a_withdrawal_takes_effect_at_once(events, at):
    earlier = sorted((e for e in events if e.at < at), key=lambda e: e.at)
    assert rules.consent_state([*earlier, ConsentEvent(at, False)], at).granted is False


implied_events = st.builds(
    lambda at, source: ConsentEvent(at, True, Kind.IMPLIED, rules.implied_expiry(at, source)),
    moments,
    st.sampled_from(["purchase", "enquiry"]),
)


@given(
    st.lists(st.one_of(express_events, implied_events), max_size=6),
    moments,
    st.lists(implied_events, min_size=1, max_size=6),
)
@pytest.mark.promise("PP-8")
def test_implied_consent_never_overrides_an_opt_out(before, withdrawn_at, after):
    """Whatever came before, a withdrawal followed only by purchases and enquiries stays a no;
    an express grant after it is the only way back."""
    history = sorted((e for e in before if e.at < withdrawn_at), key=lambda e: e.at)
    later = sorted(
        (ConsentEvent(max(e.at, withdrawn_at), True, Kind.IMPLIED, e.expires_at) for e in after),
        key=lambda e: e.at,
    )
    events = [*history, ConsentEvent(withdrawn_at, False), *later]
    last = later[-1].at
    assert rules.consent_state(events, last).granted is False
    regranted = [*events, ConsentEvent(last, True, Kind.EXPRESS)]
    assert rules.consent_state(regranted, last).granted is True


@pytest.mark.parametrize(
    ("received", "extended", "deadline"),
    [
        (dt.date(2026, 1, 1), False, dt.date(2026, 1, 31)),
        (dt.date(2026, 1, 1), True, dt.date(2026, 3, 2)),
        (dt.date(2026, 2, 15), False, dt.date(2026, 3, 17)),
    ],
)
def test_data_requests_are_due_30_days_after_receipt_with_one_30_day_extension(
    received, extended, deadline
):
    assert rules.request_deadline(received, extended=extended) == deadline


@pytest.mark.parametrize(
    ("already", "today", "allowed"),
    [
        (False, dt.date(2026, 1, 31), True),
        (False, dt.date(2026, 2, 1), False),
        (True, dt.date(2026, 1, 10), False),
    ],
)
def test_only_one_extension_before_the_deadline(already, today, allowed):
    assert (
        rules.may_extend(already_extended=already, today=today, deadline=dt.date(2026, 1, 31))
        is allowed
    )


def test_erasure_waits_for_the_latest_blocker():
    blockers = [
        rules.Blocker("open_order", "An order is open.", dt.date(2026, 5, 1)),
        rules.Blocker("rma", "A return is open.", dt.date(2026, 6, 1)),
    ]
    assert rules.erasure_available_on(blockers) == dt.date(2026, 6, 1)
    assert rules.erasure_available_on([*blockers, rules.Blocker("x", "unknown")]) is None


def test_incident_register_entries_are_kept_five_years():
    assert rules.incident_keep_until(dt.date(2024, 2, 29)) == dt.date(2029, 2, 28)


@pytest.mark.promise("PP-3")
def test_an_undeclared_phone_field_fails_the_inventory_check():
    patterns = ["phone", "e_?mail"]
    fields = [
        FieldRef("shop.Lead", "phone"),
        FieldRef("shop.Lead", "email"),
        FieldRef("shop.Lead", "quantity"),
    ]
    covered = {FieldRef("shop.Lead", "email")}
    assert rules.undeclared_personal_fields(fields, covered, patterns) == [
        FieldRef("shop.Lead", "phone")
    ]


def test_material_versions_are_pending_until_acknowledged():
    docs = [rules.DocumentVersion("privacy-2", True), rules.DocumentVersion("terms-1", False)]
    assert rules.unacknowledged_material(docs, set()) == ["privacy-2"]
    assert rules.unacknowledged_material(docs, {"privacy-2"}) == []


@pytest.mark.parametrize(
    ("keys", "problems"),
    [
        (["user", "user.contact"], []),
        (["user.contact"], ["'user.contact' has no parent 'user'"]),
        (["user", "user"], ["duplicate key 'user'"]),
    ],
)
def test_taxonomy_problems(keys, problems):
    assert rules.taxonomy_problems(keys) == problems


@pytest.mark.promise("PP-8")
@pytest.mark.promise("PP-9")
@pytest.mark.parametrize(
    ("express_before", "ticked", "opted_out", "expected"),
    [
        (False, False, False, ()),
        (False, None, False, ()),
        (True, None, False, ()),
        (False, True, False, (rules.CollectedChoice(True, "news and offers box ticked"),)),
        (True, True, False, (rules.CollectedChoice(True, "news and offers box ticked"),)),
        (True, False, False, (rules.CollectedChoice(False, "news and offers box unticked"),)),
        (False, False, True, (rules.CollectedChoice(False, "opt-out box ticked"),)),
        (True, False, True, (rules.CollectedChoice(False, "opt-out box ticked"),)),
    ],
)
def test_an_unticked_express_box_withdraws_only_an_express_consent_in_force(
    express_before, ticked, opted_out, expected
):
    assert (
        rules.collected_choices(
            express_before=express_before, express_ticked=ticked, opted_out=opted_out
        )
        == expected
    )


@pytest.mark.parametrize(
    ("ticked", "opted_out", "conflict"),
    [(True, True, True), (True, False, False), (False, True, False), (None, True, False)],
)
def test_news_and_the_opt_out_together_conflict(ticked, opted_out, conflict):
    assert rules.choices_conflict(express_ticked=ticked, opted_out=opted_out) is conflict
