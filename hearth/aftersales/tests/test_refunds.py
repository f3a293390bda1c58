"""Refunds of 45-day returns (issue #13 item 4; TOS-22, TOS-24): an accepted return becomes
refund due; finance's queue orders them by due date (receipt + 10..15 business days) and flags the
late ones; the refund button refunds in full with a credit note by email, once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from hearth.aftersales import refunds
from hearth.aftersales.models import Rma, RmaEvent, RmaKind, RmaState, RmaUnit
from hearth.core import clock
from hearth.core.errors import DomainError
from hearth.core.models import AuditEvent
from hearth.fulfilment.models import Unit
from hearth.orders.models import CreditNote, Order, OrderStatus
from hearth.orders.tests import conftest as orders_conftest
from hearth.orders.tests.conftest import T0
from hearth.orders.tests.test_credit_notes import shipped
from hearth.payments.selectors import payment

pytestmark = [pytest.mark.promise("TOS-22"), pytest.mark.promise("TOS-24")]

# The orders tests' set-up (frozen clock at T0, immediate tasks, policies), speaker and staff.
quick_setup = orders_conftest.quick_setup
speaker = orders_conftest.speaker
staff_client = orders_conftest.staff_client

# Received Monday 2 March 2026: due from the 10th business day (16 March) to the 15th (23 March).
RECEIVED = T0


def inspected_return(order: Order, number: str = "RMA-AAAA0001", *, received=RECEIVED) -> Rma:
    rma = Rma.objects.create(
        number=number,
        kind=RmaKind.RETURN,
        state=RmaState.INSPECTED,
        channel="web",
        order=order,
        email=order.email,
        requested_at=received - dt.timedelta(days=5),
        issued_at=received - dt.timedelta(days=5),
        received_at=received,
    )
    for unit_line in order.lines.all():
        for unit in unit_line.units.all():
            RmaUnit.objects.create(rma=rma, serial=unit.serial, sku=unit.sku, unit=unit)
    return rma


class Verdict:
    def __init__(self, verdict: str) -> None:
        self.verdict = verdict


def test_an_accepted_return_becomes_refund_due_with_its_window_in_the_history(speaker):
    rma = inspected_return(shipped())
    refunds.refund_due_on_inspection(rma=rma, inspections=[Verdict("refund")], actor=None, at=T0)
    rma.refresh_from_db()
    assert rma.state == RmaState.REFUND_DUE
    event = RmaEvent.objects.get(rma=rma, kind="refund_due")
    assert (event.from_state, event.to_state) == ("inspected", "refund_due")
    assert "2026-03-16" in event.note and "2026-03-23" in event.note
    assert AuditEvent.objects.filter(object_type="aftersales.Rma", action="state_changed").exists()


@pytest.mark.parametrize("verdicts", [["return_refused"], ["return_refused"] * 2, []], ids=str)
def test_a_return_with_no_unit_accepted_is_not_made_refund_due(speaker, verdicts):
    rma = inspected_return(shipped())
    refunds.refund_due_on_inspection(
        rma=rma, inspections=[Verdict(v) for v in verdicts], actor=None, at=T0
    )
    rma.refresh_from_db()
    assert rma.state == RmaState.INSPECTED
    assert not RmaEvent.objects.filter(rma=rma).exists()


def test_a_warranty_claim_is_never_made_refund_due(speaker):
    rma = inspected_return(shipped())
    Rma.objects.filter(pk=rma.pk).update(kind=RmaKind.WARRANTY)
    rma.refresh_from_db()
    with pytest.raises(DomainError) as caught:
        refunds.mark_refund_due(rma, T0)
    assert caught.value.code == "rma_transition"
    rma.refresh_from_db()
    assert rma.state == RmaState.INSPECTED


def test_the_queue_puts_the_most_urgent_first_and_flags_the_late_ones(speaker):
    old = inspected_return(shipped(key="a"), "RMA-OLD00001", received=RECEIVED)
    new = inspected_return(
        shipped(key="b"), "RMA-NEW00001", received=RECEIVED + dt.timedelta(days=14)
    )
    for rma in (new, old):
        refunds.mark_refund_due(rma, T0)
    # Wednesday 25 March: past the old one's last day (23 March), inside the new one's window.
    rows = refunds.refund_queue(today=dt.date(2026, 3, 25))
    assert [r.rma.number for r in rows] == ["RMA-OLD00001", "RMA-NEW00001"]
    assert [(r.due_from, r.due_by, r.late) for r in rows] == [
        (dt.date(2026, 3, 16), dt.date(2026, 3, 23), True),
        (dt.date(2026, 3, 30), dt.date(2026, 4, 7), False),  # Good Friday 3 April skipped
    ]
    assert refunds.refund_queue_count() == 2


def test_finance_refunds_from_the_queue_once_and_the_credit_note_pdf_is_emailed(
    speaker, staff_client, smtp_server, django_capture_on_commit_callbacks
):
    order = shipped()
    rma = inspected_return(order)
    refunds.mark_refund_due(rma, T0)
    smtp_server.messages.clear()
    finance = staff_client("finance")
    page = finance.get("/back-office/refunds/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "RMA-AAAA0001" in html and "March 23, 2026" in html and order.number in html
    with clock.frozen(dt.datetime(2026, 3, 24, 15, 0, tzinfo=dt.UTC)):
        assert (
            "Late: the refund is past its last due day"
            in finance.get("/back-office/refunds/").content.decode()
        )
    with django_capture_on_commit_callbacks(execute=True):
        done = finance.post("/back-office/refunds/RMA-AAAA0001/refund/", follow=True)
    assert done.status_code == 200
    note = CreditNote.objects.get(order=order)
    assert note.reference == "RMA-AAAA0001"
    assert f"credit note {note.number} emailed" in done.content.decode()
    rma.refresh_from_db()
    assert rma.state == RmaState.REFUNDED
    assert note.number in RmaEvent.objects.get(rma=rma, kind="refund").note
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert payment(order.payment_id).refunded_amount == Decimal("224.87")
    mails = [m for m in smtp_server.wait_for(1) if "Credit note" in m["Subject"]]
    [mail] = mails
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == f"credit-note-{note.number}.pdf"
    assert b"Return: RMA-AAAA0001" in attachment.get_content()
    # The button pressed again: refused, nothing more refunded or sent.
    again = finance.post("/back-office/refunds/RMA-AAAA0001/refund/", follow=True)
    assert "not possible for the RMA in its current state" in again.content.decode()
    assert CreditNote.objects.count() == 1
    assert payment(order.payment_id).refunded_amount == Decimal("224.87")
    assert "RMA-AAAA0001" not in finance.get("/back-office/refunds/").content.decode()


def test_an_rma_not_refund_due_is_refused_and_nothing_changes(speaker):
    order = shipped()
    rma = inspected_return(order)
    with pytest.raises(DomainError) as caught:
        refunds.refund_rma(rma=rma, actor=None, at=T0)
    assert caught.value.code == "rma_transition"
    rma.refresh_from_db()
    assert rma.state == RmaState.INSPECTED
    assert not CreditNote.objects.exists()
    assert payment(order.payment_id).refunded_amount == Decimal("0.00")


def test_a_refund_refused_by_orders_leaves_the_rma_due(speaker):
    order = shipped()
    rma = inspected_return(order)
    refunds.mark_refund_due(rma, T0)
    from hearth.orders.credit import refund_return

    refund_return(order=order, lines={"EO-ONE-OAK": 1}, reference="goodwill", actor=None, at=T0)
    with pytest.raises(DomainError) as caught:
        refunds.refund_rma(rma=rma, actor=None, at=T0)
    assert caught.value.code == "credit_exceeds_invoice"
    rma.refresh_from_db()
    assert rma.state == RmaState.REFUND_DUE
    assert not RmaEvent.objects.filter(rma=rma, kind="refund").exists()


def test_only_finance_sees_and_works_the_refund_queue(speaker, staff_client):
    rma = inspected_return(shipped())
    refunds.mark_refund_due(rma, T0)
    warehouse = staff_client("warehouse")
    assert warehouse.get("/back-office/refunds/").status_code == 403
    assert warehouse.post("/back-office/refunds/RMA-AAAA0001/refund/").status_code == 403
    anonymous = Client().get("/back-office/refunds/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")
    rma.refresh_from_db()
    assert rma.state == RmaState.REFUND_DUE
    assert not CreditNote.objects.exists()


def test_inspecting_the_last_unit_of_an_accepted_return_makes_it_refund_due(speaker):
    from hearth.aftersales import receiving

    order = shipped()
    serial = "EO1C26000777"
    Unit.objects.filter(order_line__order=order).update(serial=serial)
    rma = inspected_return(order)
    Rma.objects.filter(pk=rma.pk).update(state=RmaState.ISSUED, received_at=None)
    rma.refresh_from_db()
    receiving.receive_unit(rma=rma, serial=serial, actor=None, at=T0)
    receiving.inspect_unit(
        rma_unit=rma.units.get(),
        condition="as_new",
        original_packaging=True,
        disposition="restock",
        actor=None,
        at=T0,
    )
    rma.refresh_from_db()
    assert rma.state == RmaState.REFUND_DUE
    [row] = refunds.refund_queue(today=T0.date())
    assert (row.rma, row.received_on, row.due_by) == (rma, T0.date(), dt.date(2026, 3, 23))


def test_a_partly_accepted_return_refunds_only_the_accepted_unit(speaker, staff_client):
    from hearth.aftersales.models_receiving import Inspection

    order = shipped([("EO-ONE-OAK", 2)])
    rma = inspected_return(order)
    accepted, refused = rma.units.order_by("serial")
    for unit, verdict in ((accepted, "refund"), (refused, "return_refused")):
        Inspection.objects.create(
            rma=rma, rma_unit=unit, verdict=verdict, disposition="restock", at=T0
        )
    refunds.refund_due_on_inspection(
        rma=rma, inspections=list(Inspection.objects.filter(rma=rma)), actor=None, at=T0
    )
    rma.refresh_from_db()
    assert rma.state == RmaState.REFUND_DUE
    [row] = refunds.refund_queue(today=T0.date())
    assert row.serials == [accepted.serial]
    page = staff_client("finance").get("/back-office/refunds/").content.decode()
    assert accepted.serial in page and refused.serial not in page
    note = refunds.refund_rma(rma=rma, actor=None, at=T0)
    [line] = note.lines.all()
    assert (line.quantity, line.serials) == (1, [accepted.serial])
    assert note.total == Decimal("224.87")  # one unit of two, HST included
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED  # the other unit is still the customer's
