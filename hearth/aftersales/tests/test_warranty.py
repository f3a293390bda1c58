"""Warranty outcomes through the real services, pages and payment provider (TOS-23, TOS-24):
coverage per serial, a covered claim replaced, a claim not covered quoted, accepted or declined,
and an advance replacement charged when the original never arrives."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from hearth.aftersales import rules
from hearth.aftersales import warranty as services
from hearth.aftersales.models import Rma, RmaEvent
from hearth.aftersales.services import expire_rmas
from hearth.aftersales.warranty_models import (
    AdvanceReplacement,
    WarrantyCoverage,
    WarrantyDecision,
    WarrantyQuote,
    WarrantyReplacement,
)
from hearth.catalog.models import Variant
from hearth.comms.models import OutboundMessage
from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.fulfilment.models import Unit
from hearth.fulfilment.services import create_label, scan_serial, ship_order
from hearth.fulfilment.tests.conftest import T0, released_order, variant
from hearth.orders.models import Order
from hearth.payments.selectors import payment as payment_status

VISA = "4242424242424242"
DECLINE_FUNDS = "4000000000009995"
_numbers = itertools.count(1)

pytestmark = pytest.mark.usefixtures("warehouse_setup")


def ship_unit(sku: str, serial: str, *, at: dt.datetime = T0, order: Order | None = None) -> Unit:
    """Pick, scan, label and hand over one serialised unit (fulfilment's own services)."""
    with clock.frozen(at):
        order = order or released_order([(sku, 1)], at=at)
        scan_serial(order=order, serial=serial, actor=None, at=at)
        create_label(order=order, actor=None, at=at)
        ship_order(order=order, actor=None, at=at)
    return Unit.objects.get(serial=serial)


def warranty_rma(unit: Unit, *, state: str = "issued", at: dt.datetime) -> Rma:
    """A warranty claim on a shipped unit, begun and issued by [rma]'s service (as My Stuff or
    care would); ``state`` other than issued stands in for later steps (test stub)."""
    from hearth.aftersales.services import begin_order_rma

    rma = begin_order_rma(
        order=unit.order_line.order,
        serials=[unit.serial],
        kind="warranty",
        actor=None,
        at=at,
        problem="It stopped playing.",
    )
    if state != rules.RmaState.ISSUED:
        Rma.objects.filter(pk=rma.pk).update(state=state)
        rma.refresh_from_db()
    return rma


def inspected(
    rma: Rma,
    *,
    exclusions: tuple[str, ...] = (),
    at: dt.datetime | None = None,
    disposition: str = "keep",
) -> Rma:
    """The warehouse receives and inspects the RMA's unit through [inspect]'s services; the
    ``on_inspected`` hook hands the verdict to the warranty steps."""
    from hearth.aftersales.receiving import inspect_unit, receive_unit

    when = at or rma.requested_at
    rma_unit = rma.units.get()
    receive_unit(rma=rma, serial=rma_unit.serial, actor=None, at=when)
    inspect_unit(
        rma_unit=rma_unit,
        condition=None,
        original_packaging=None,
        exclusions=exclusions,
        disposition=disposition,
        actor=None,
        at=when,
    )
    rma.refresh_from_db()
    return rma


def pay_on_card_page(client: Client, to_provider: Any, card: str = VISA) -> Any:
    """Fill the sandbox provider's card page the redirect leads to; follow it back."""
    assert to_provider.status_code == 302, to_provider.content
    assert to_provider.url.startswith("/pay/sandbox/card/?session=cs_")
    session = parse_qs(urlsplit(to_provider.url).query)["session"][0]
    back = client.post(
        to_provider.url,
        {
            "session": session,
            "card_number": card,
            "exp_month": "12",
            "exp_year": "2030",
            "cvc": "123",
        },
    )
    assert back.status_code == 302, back.content
    return client.get(back.url)


def emails_to(address: str) -> list[str]:
    rows = OutboundMessage.objects.order_by("id").values_list("to_addresses", "subject")
    return [subject for to, subject in rows if address in to]


@pytest.fixture
def catalogue() -> None:
    variant("EO-ONE-CHR", price="249.00", stock=10)
    variant("HEARTH-AMP-GRA", price="899.00", stock=10)


# --- Coverage per serial -----------------------------------------------------------------------


@pytest.mark.promise("TOS-23")
def test_a_shipped_unit_is_covered_one_year_from_its_ship_date(catalogue: None) -> None:
    unit = ship_unit("EO-ONE-CHR", "EO1C26000101")
    coverage = services.coverage_for(unit.serial)
    assert coverage is not None
    assert (coverage.start, coverage.end) == (dt.date(2026, 11, 2), dt.date(2027, 11, 2))
    assert services.warranty_end_of("EO1C99999999") is None  # never shipped: unknown


@pytest.mark.promise("TOS-23")
def test_replacement_serials_of_a_chain_take_over_the_first_units_warranty_end(
    catalogue: None, staff_client: Any
) -> None:
    """Replaced twice, months apart: every serial ends on the first unit's date."""
    first = ship_unit("EO-ONE-CHR", "EO1C26000201")
    serial, at = first.serial, T0
    for step, new_serial in enumerate(["EO1C26000202", "EO1C26000203"], start=1):
        at = T0 + dt.timedelta(days=120 * step)
        unit = Unit.objects.get(serial=serial)
        with clock.frozen(at):
            rma = inspected(warranty_rma(unit, at=at))
            services.resolve_covered(rma=rma, resolution="replacement", actor=None, at=at)
        replacement = WarrantyReplacement.objects.get(rma=rma)
        ship_unit("EO-ONE-CHR", new_serial, at=at, order=replacement.order)
        serial = new_serial
    ends = {
        s: services.warranty_end_of(s) for s in ("EO1C26000201", "EO1C26000202", "EO1C26000203")
    }
    assert set(ends.values()) == {dt.date(2027, 11, 2)}
    last = services.warranty_dates("EO1C26000203")
    assert last is not None and last.replaces == "EO1C26000202"
    # Each replaced serial's coverage is recorded when it is replaced, chained to its own.
    second = WarrantyCoverage.objects.get(serial="EO1C26000202")
    assert second.replaces is not None and second.replaces.serial == "EO1C26000201"
    assert second.end == WarrantyCoverage.objects.get(serial="EO1C26000201").end
    assert Unit.objects.get(serial="EO1C26000203").shipped_on == dt.date(2027, 6, 30)
    # Care's page of the last serial shows the first unit's end, not a year from its shipment.
    page = staff_client("care_agent").get("/back-office/units/EO1C26000203/").content.decode()
    assert "<strong data-warranty-end>November 2, 2027</strong>" in page


@pytest.mark.promise("TOS-23")
def test_a_repair_never_moves_the_warranty_end(catalogue: None) -> None:
    unit = ship_unit("EO-ONE-CHR", "EO1C26000301")
    before = services.warranty_end_of(unit.serial)
    at = T0 + dt.timedelta(days=200)
    with clock.frozen(at):
        rma = inspected(warranty_rma(unit, at=at))
        services.resolve_covered(rma=rma, resolution="repair", actor=None, at=at)
        services.send_back(rma=rma, actor=None, at=at)
    rma.refresh_from_db()
    assert rma.state == rules.RmaState.CLOSED
    assert services.warranty_end_of(unit.serial) == before == dt.date(2027, 11, 2)
    assert WarrantyCoverage.objects.filter(serial=unit.serial).count() == 1


# --- Covered, through care's page -------------------------------------------------------------


@pytest.mark.promise("TOS-23")
def test_care_records_a_covered_claim_and_replaces_it_free_through_http(
    catalogue: None, staff_client: Any
) -> None:
    unit = ship_unit("EO-ONE-CHR", "EO1C26000401")
    at = T0 + dt.timedelta(days=30)
    with clock.frozen(at):
        rma = inspected(warranty_rma(unit, at=at))
        care = staff_client("care_agent")
        page = care.get(f"/back-office/warranty/{rma.number}/")
        assert page.status_code == 200
        assert "November 2, 2027" in page.content.decode()  # the unit's warranty end
        assert "Covered." in page.content.decode()  # inspection's verdict, through the hook
        resolved = care.post(
            f"/back-office/warranty/{rma.number}/resolve/", {"resolution": "replacement"}
        )
        assert resolved.status_code == 302
    rma.refresh_from_db()
    assert rma.state == rules.RmaState.REPLACEMENT_SHIPPED
    replacement = WarrantyReplacement.objects.get(rma=rma)
    assert replacement.order.channel == "replacement"
    assert replacement.order.grand_total == Decimal("0.00")
    assert replacement.order.status == "released"
    assert replacement.original_serial == unit.serial
    kinds = list(RmaEvent.objects.filter(rma=rma).values_list("kind", flat=True))
    assert kinds[-2:] == ["covered", "ship_replacement"]
    assert emails_to(rma.email)[-2:] == [
        f"Your warranty claim {rma.number} is covered",
        f"A replacement for claim {rma.number} is on its way",
    ]


def test_care_pages_refuse_other_roles_and_bad_input_changes_nothing(
    catalogue: None, staff_client: Any
) -> None:
    unit = ship_unit("EO-ONE-CHR", "EO1C26000501")
    with clock.frozen(T0):
        # Inspected before any verdict reached the warranty steps: care records it by hand.
        rma = warranty_rma(unit, at=T0, state=rules.RmaState.INSPECTED)
        warehouse = staff_client("warehouse")
        assert warehouse.get(f"/back-office/warranty/{rma.number}/").status_code == 403
        care = staff_client("care_agent")
        # Not covered without naming an exclusion: refused beside the field.
        refused = care.post(f"/back-office/warranty/{rma.number}/decide/", {"covered": "no"})
        assert refused.status_code == 400
        assert 'aria-describedby="covered-error"' in refused.content.decode()
        # Resolving before any decision: refused, nothing changes.
        early = care.post(f"/back-office/warranty/{rma.number}/resolve/", {"resolution": "repair"})
        assert early.status_code == 409
        assert (
            care.post(f"/back-office/warranty/{rma.number}/decide/", {"covered": "yes"}).status_code
            == 302
        )
        bad = care.post(f"/back-office/warranty/{rma.number}/resolve/", {"resolution": "refund"})
        assert bad.status_code == 400
    rma.refresh_from_db()
    assert rma.state == rules.RmaState.INSPECTED
    assert WarrantyDecision.objects.get(rma=rma).resolution == ""
    assert not WarrantyReplacement.objects.filter(rma=rma).exists()


# --- Not covered: told why, quoted, accepted or declined by the customer ----------------------


@pytest.mark.promise("TOS-23")
def test_a_claim_not_covered_is_told_why_and_pays_for_a_discounted_replacement_through_http(
    catalogue: None,
) -> None:
    unit = ship_unit("EO-ONE-CHR", "EO1C26000601")
    at = T0 + dt.timedelta(days=60)
    with clock.frozen(at):
        rma = inspected(warranty_rma(unit, at=at), exclusions=("accident", "housing_opened"))
        assert rma.state == rules.RmaState.QUOTED
        quote = WarrantyQuote.objects.get(rma=rma)
        # Ontario, 13 % HST: repair 79.00 -> 89.27; replacement 249.00 less 30 % = 174.30 -> 196.96.
        assert (quote.repair_total, quote.replacement_total) == (
            Decimal("89.27"),
            Decimal("196.96"),
        )
        link = services.customer_link(rma)
        client = Client()  # a guest, with the emailed link only
        page = client.get(link)
        text = page.content.decode()
        assert page.status_code == 200
        assert "Accidental damage is not covered by the warranty." in text
        assert "opened or tampered" in text
        assert "196.96" in text and "89.27" in text
        # A declined card: refused with the reason, the offer stays open.
        refused = pay_on_card_page(
            client,
            client.post(f"{link}quote/accept/", {"option": "discounted_replacement"}),
            DECLINE_FUNDS,
        )
        assert refused.status_code == 402
        assert WarrantyQuote.objects.get(rma=rma).state == "offered"
        assert not WarrantyReplacement.objects.filter(rma=rma).exists()
        done = pay_on_card_page(
            client, client.post(f"{link}quote/accept/", {"option": "discounted_replacement"})
        )
        assert done.status_code == 302
    quote.refresh_from_db()
    rma.refresh_from_db()
    assert (quote.state, quote.option) == ("accepted", "discounted_replacement")
    paid = payment_status(quote.payment_id)
    assert (paid.status, paid.captured_amount) == ("captured", Decimal("196.96"))
    assert rma.state == rules.RmaState.REPLACEMENT_SHIPPED
    assert WarrantyReplacement.objects.get(rma=rma).reason == "quote"
    assert f"Your warranty claim {rma.number}: not covered, and what we can offer" in emails_to(
        rma.email
    )


@pytest.mark.promise("TOS-23")
def test_a_declined_quote_charges_nothing_and_the_unit_goes_back(
    catalogue: None, staff_client: Any
) -> None:
    unit = ship_unit("EO-ONE-CHR", "EO1C26000701")
    with clock.frozen(T0):
        rma = inspected(warranty_rma(unit, at=T0), exclusions=("abuse_or_misuse",))
        client = Client()
        link = services.customer_link(rma)
        bad = client.post(f"{link}quote/accept/", {"option": "free_upgrade"})
        assert bad.status_code == 400
        assert 'aria-describedby="option-error"' in bad.content.decode()
        assert client.post(f"{link}quote/decline/").status_code == 302
        again = client.post(f"{link}quote/decline/")
        assert again.status_code == 409  # answered already: nothing changes
        care = staff_client("care_agent")
        from hearth.core.backoffice import queues_for

        counts = {q.key: q.count for q in queues_for(["care_agent"])}
        assert counts["warranty.to_send_back"] == 1
        assert rma.number in care.get("/back-office/warranty/").content.decode()
        assert care.post(f"/back-office/warranty/{rma.number}/send-back/").status_code == 302
        counts = {q.key: q.count for q in queues_for(["care_agent"])}
        assert counts["warranty.to_send_back"] == 0
        label = care.get(f"/back-office/warranty/{rma.number}/send-back/label.pdf")
        assert label.content.startswith(b"%PDF")
    rma.refresh_from_db()
    assert rma.state == rules.RmaState.CLOSED
    assert WarrantyQuote.objects.get(rma=rma).payment_id == ""
    assert WarrantyDecision.objects.get(rma=rma).send_back_tracking_code


def test_a_forged_or_foreign_link_finds_nothing(catalogue: None) -> None:
    assert Client().get("/warranty/not-a-token/").status_code == 404


# --- Advance replacement ----------------------------------------------------------------------


def _request_advance(client: Client, rma: Rma, card: str = VISA) -> Any:
    link = services.customer_link(rma)
    return pay_on_card_page(client, client.post(f"{link}advance/"), card)


@pytest.mark.promise("TOS-24")
def test_an_advance_replacement_whose_original_never_arrives_is_charged_the_then_current_price(
    catalogue: None,
) -> None:
    unit = ship_unit("EO-ONE-CHR", "EO1C26000801")
    requested = T0 + dt.timedelta(days=90)  # Sunday 31 January 2027, 10:00 Toronto
    with clock.frozen(requested):
        rma = warranty_rma(unit, at=requested)
        page = Client().get(services.customer_link(rma))
        assert "281.37" in page.content.decode()  # 249.00 + 13 % HST, authorised
        assert _request_advance(Client(), rma).status_code == 302
    advance = AdvanceReplacement.objects.get(rma=rma)
    assert (advance.state, advance.authorised_amount) == ("authorised", Decimal("281.37"))
    assert advance.ship_by == rules.advance_replacement_ship_by(dt.date(2027, 1, 31))
    replacement = WarrantyReplacement.objects.get(rma=rma)
    assert replacement.order.ship_date is not None
    assert replacement.order.ship_date <= advance.ship_by
    assert payment_status(advance.payment_id).status == "authorised"
    first_payment = advance.payment_id
    # The price falls; the original never arrives; the RMA expires after its 14 days.
    Variant.objects.filter(sku="EO-ONE-CHR").update(price=Decimal("239.00"))
    expired_at = requested + dt.timedelta(days=15)
    with clock.frozen(expired_at):
        assert expire_rmas(at=expired_at) == [rma]  # [rma]'s expiry runs the warranty hook
        again = services.charge_unreturned(rma=rma, actor=None, at=expired_at)
    assert again is None  # charged once
    rma.refresh_from_db()
    assert rma.state == rules.RmaState.EXPIRED
    advance.refresh_from_db()
    assert (advance.state, advance.charged_amount) == ("captured", Decimal("270.07"))
    # The first hold lapsed after 7 days: a renewed one on the same card was captured.
    charged = payment_status(advance.payment_id)
    assert charged.payment_id != first_payment
    assert (charged.captured_amount, charged.refunded_amount) == (
        Decimal("281.37"),
        Decimal("11.30"),
    )
    assert f"Claim {rma.number}: the replacement is charged" in emails_to(rma.email)
    kinds = list(RmaEvent.objects.filter(rma=rma).values_list("kind", flat=True))
    assert kinds[-3:] == ["advance_replacement", "expire", "advance_charged"]


@pytest.mark.promise("TOS-24")
def test_an_advance_replacement_is_released_when_the_original_arrives_covered(
    catalogue: None,
) -> None:
    unit = ship_unit("EO-ONE-CHR", "EO1C26000901")
    with clock.frozen(T0):
        rma = warranty_rma(unit, at=T0)
        _request_advance(Client(), rma)
        rma = inspected(rma)
    advance = AdvanceReplacement.objects.get(rma=rma)
    rma.refresh_from_db()
    assert (advance.state, advance.charged_amount) == ("released", Decimal("0.00"))
    assert payment_status(advance.payment_id).status == "voided"
    assert rma.state == rules.RmaState.CLOSED


@pytest.mark.promise("TOS-24")
def test_an_advance_replacement_not_covered_is_charged_and_the_original_goes_back(
    catalogue: None,
) -> None:
    unit = ship_unit("EO-ONE-CHR", "EO1C26001001")
    with clock.frozen(T0):
        rma = warranty_rma(unit, at=T0)
        _request_advance(Client(), rma)
        rma = inspected(rma, exclusions=("accident",))
    advance = AdvanceReplacement.objects.get(rma=rma)
    assert (advance.state, advance.charged_amount) == ("captured", Decimal("281.37"))
    assert payment_status(advance.payment_id).captured_amount == Decimal("281.37")
    assert WarrantyDecision.objects.get(rma=rma).send_back_due
    assert not WarrantyQuote.objects.filter(rma=rma).exists()


@pytest.mark.promise("TOS-24")
def test_an_advance_replacement_without_a_valid_authorisation_is_refused_and_nothing_changes(
    catalogue: None,
) -> None:
    unit = ship_unit("EO-ONE-CHR", "EO1C26001101")
    with clock.frozen(T0):
        rma = warranty_rma(unit, at=T0)
        orders_before = Order.objects.count()
        refused = _request_advance(Client(), rma, DECLINE_FUNDS)
        assert refused.status_code == 402
        assert "valid card authorisation" in refused.content.decode()
        forged = Client().get(f"{services.customer_link(rma)}advance/paid/?payment_token=tok_x")
        assert forged.status_code in (400, 402, 404, 409)
    rma.refresh_from_db()
    assert not AdvanceReplacement.objects.filter(rma=rma).exists()
    assert not rma.advance_replacement
    assert Order.objects.count() == orders_before
    assert not RmaEvent.objects.filter(rma=rma, kind__startswith="advance").exists()


def test_a_product_that_does_not_qualify_gets_no_advance_replacement(catalogue: None) -> None:
    unit = ship_unit("HEARTH-AMP-GRA", "HAMG26000001")
    with clock.frozen(T0):
        rma = warranty_rma(unit, at=T0)
        assert not services.advance_replacement_offered(rma)
        with pytest.raises(DomainError) as refused:
            services.request_advance_replacement(
                rma=rma, payment_token="tok_unused", actor=None, at=T0
            )
    assert refused.value.code == "advance_replacement_not_qualified"


@pytest.mark.promise("TOS-23")
def test_a_claim_on_a_replacement_unit_runs_on_the_original_warranty_not_a_new_year(
    catalogue: None,
) -> None:
    first = ship_unit("EO-ONE-CHR", "EO1C26001201")
    at = T0 + dt.timedelta(days=300)
    with clock.frozen(at):
        rma = inspected(warranty_rma(first, at=at))
        services.resolve_covered(rma=rma, resolution="replacement", actor=None, at=at)
    replacement = WarrantyReplacement.objects.get(rma=rma)
    unit = ship_unit("EO-ONE-CHR", "EO1C26001202", at=at, order=replacement.order)
    late = dt.datetime(2027, 11, 3, 15, 0, tzinfo=dt.UTC)  # a day past the first unit's year
    with clock.frozen(late), pytest.raises(DomainError) as refused:
        warranty_rma(unit, at=late)
    assert refused.value.code == "not_eligible"
    in_time = dt.datetime(2027, 11, 2, 15, 0, tzinfo=dt.UTC)
    with clock.frozen(in_time):
        assert warranty_rma(unit, at=in_time).state == rules.RmaState.ISSUED


@pytest.mark.promise("TOS-24")
def test_a_customer_asks_for_an_advance_replacement_in_my_stuff_and_authorises_the_card(
    catalogue: None,
) -> None:
    from hearth.accounts.tests.conftest import make_customer

    customer = make_customer("grace@example.com", "Grace Hopper")
    order = released_order([("EO-ONE-CHR", 1)], customer=customer, email=customer.email)
    unit = ship_unit("EO-ONE-CHR", "EO1C26001301", order=order)
    client = Client()
    client.force_login(customer)
    with clock.frozen(T0):
        begun = client.post(
            f"/my-stuff/orders/{order.number}/return/",
            {
                "kind": "warranty",
                "serials": [unit.serial],
                "return_method": "label",
                "problem": "No sound.",
                "advance_replacement": "on",
            },
        )
        rma = Rma.objects.get(order=order)
        assert begun.status_code == 302
        assert begun["Location"] == f"/my-stuff/warranty/{rma.number}/"
        to_page = client.get(begun["Location"])
        assert to_page["Location"] == services.customer_link(rma)
        page = client.get(to_page["Location"]).content.decode()
        assert "Authorise my card and ship a replacement" in page
        assert _request_advance(client, rma).status_code == 302
        assert Client().get(f"/my-stuff/warranty/{rma.number}/").status_code == 302  # sign in
    advance = AdvanceReplacement.objects.get(rma=rma)
    assert advance.state == "authorised"
    assert WarrantyReplacement.objects.get(rma=rma).order.channel == "replacement"


@pytest.mark.promise("TOS-23")
def test_a_dealer_unit_is_covered_from_its_retail_date_and_replaced_at_the_claims_address(
    catalogue: None,
) -> None:
    from hearth.aftersales.services import Contact, DealerPurchase, begin_dealer_rma

    at = T0 + dt.timedelta(days=10)
    with clock.frozen(at):
        rma = begin_dealer_rma(
            purchase=DealerPurchase(
                serial="EO1C26009901",
                retail_purchased_on=dt.date(2026, 6, 15),
                dealer="Sound Shop Ottawa",
                receipt=b"%PDF-1.4 receipt",
            ),
            contact=Contact(
                name="Mary Shelley",
                email="mary@example.com",
                phone="+1 613 555 0100",
                lines=("24 Sussex Drive",),
                city="Ottawa",
                province="ON",
                postal_code="K1M 1M4",
            ),
            actor=None,
            at=at,
        )
        dates = services.warranty_dates("EO1C26009901")
        assert dates is not None
        assert (dates.start, dates.end) == (dt.date(2026, 6, 15), dt.date(2027, 6, 15))
        Rma.objects.filter(pk=rma.pk).update(state=rules.RmaState.INSPECTED)
        services.decide_after_inspection(rma=rma, covered=True, actor=None, at=at)
        services.resolve_covered(rma=rma, resolution="replacement", actor=None, at=at)
    order = WarrantyReplacement.objects.get(rma=rma).order
    assert (order.contact_name, order.postal_code, order.grand_total) == (
        "Mary Shelley",
        "K1M 1M4",
        Decimal("0.00"),
    )
    assert WarrantyCoverage.objects.get(serial="EO1C26009901").end == dt.date(2027, 6, 15)


def test_a_unit_sent_to_refurbishment_at_inspection_cannot_be_repaired_and_sent_back(
    catalogue: None,
) -> None:
    unit = ship_unit("EO-ONE-CHR", "EO1C26001401")
    with clock.frozen(T0):
        rma = inspected(warranty_rma(unit, at=T0), disposition="refurbish")
        with pytest.raises(DomainError) as refused:
            services.resolve_covered(rma=rma, resolution="repair", actor=None, at=T0)
        assert refused.value.fields == {"resolution": refused.value.message}
        assert WarrantyDecision.objects.get(rma=rma).resolution == ""
        services.resolve_covered(rma=rma, resolution="replacement", actor=None, at=T0)
    rma.refresh_from_db()
    assert rma.state == rules.RmaState.REPLACEMENT_SHIPPED


@pytest.mark.promise("TOS-24")
def test_a_card_held_for_review_is_no_valid_authorisation_and_a_second_advance_is_refused(
    catalogue: None,
) -> None:
    unit = ship_unit("EO-ONE-CHR", "EO1C26001501")
    with clock.frozen(T0):
        rma = warranty_rma(unit, at=T0)
        held = _request_advance(Client(), rma, "4000000000000259")  # the issuer asks for review
        assert held.status_code == 402
        assert not AdvanceReplacement.objects.filter(rma=rma).exists()
        assert _request_advance(Client(), rma).status_code == 302
        advance = AdvanceReplacement.objects.get(rma=rma)
        with pytest.raises(DomainError) as twice:
            services.request_advance_replacement(
                rma=rma, payment_token="tok_again", actor=None, at=T0
            )
    assert twice.value.code == "advance_replacement_already_requested"
    from hearth.payments.selectors import payments_for_reference

    # The review hold was released; the valid one stands.
    statuses = [p.status for p in payments_for_reference(rma.number)]
    assert statuses == ["voided", "authorised"]
    assert AdvanceReplacement.objects.get(rma=rma).payment_id == advance.payment_id
    assert WarrantyReplacement.objects.filter(rma=rma).count() == 1
