"""An RMA's arrival deadline with a passed clock: the reminder 3 days before, expiry after, the
expiry callbacks (an advance replacement's charge), each once (TOS-24)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hearth.aftersales import services, tasks
from hearth.aftersales.models import Rma
from hearth.aftersales.tests.test_begin import LATER, serials_of, shipped_order
from hearth.comms.models import OutboundMessage
from hearth.core import clock
from hearth.core.errors import DomainError

pytestmark = pytest.mark.usefixtures("warehouse_setup")

DAY = dt.timedelta(days=1)


def issued_rma(*, kind: str = "warranty", advance: bool = False) -> Rma:
    order = shipped_order()
    with clock.frozen(LATER):
        return services.begin_order_rma(
            order=order,
            serials=serials_of(order),
            kind=kind,
            advance_replacement=advance,
            actor=None,
            at=LATER,
        )


def emails(rma: Rma) -> list[str]:
    return sorted(
        key.rsplit(":", 1)[1]
        for key in OutboundMessage.objects.filter(key__startswith=f"rma:{rma.pk}:").values_list(
            "key", flat=True
        )
    )


@pytest.mark.promise("TOS-24")
def test_reminder_is_sent_once_three_days_before_the_arrival_deadline() -> None:
    rma = issued_rma()
    assert rma.arrival_deadline == dt.date(2026, 11, 26)
    assert services.run_deadlines(at=LATER + 10 * DAY) == (0, 0)  # 22 Nov: 4 days before
    assert services.run_deadlines(at=LATER + 11 * DAY) == (1, 0)  # 23 Nov: 3 days before
    assert services.run_deadlines(at=LATER + 12 * DAY) == (0, 0)  # once only
    rma.refresh_from_db()
    assert (rma.state, rma.reminder_sent_at) == ("issued", LATER + 11 * DAY)
    assert emails(rma) == ["issued", "reminder"]
    reminder = OutboundMessage.objects.get(key=f"rma:{rma.pk}:reminder")
    assert "November 26, 2026" in reminder.body
    assert [a["filename"] for a in reminder.attachments] == [f"{rma.number}-return-label.pdf"]
    assert list(rma.events.values_list("kind", flat=True)) == ["request", "issue", "remind"]


@pytest.mark.promise("TOS-24")
def test_rma_expires_the_day_after_its_deadline_with_an_email_and_the_callbacks() -> None:
    rma = issued_rma(advance=True)
    called: list[tuple[str, dt.datetime]] = []

    def charge(*, rma: Rma, at: dt.datetime) -> None:
        called.append((rma.number, at))

    services.on_rma_expired(charge)
    try:
        deadline_day = LATER + 14 * DAY  # 26 Nov, still in time
        assert services.expire_rmas(at=deadline_day) == []
        after = LATER + 15 * DAY
        [expired] = services.expire_rmas(at=after)
        assert services.expire_rmas(at=after + DAY) == []  # once only
    finally:
        services._EXPIRY_CALLBACKS.remove(charge)
    rma.refresh_from_db()
    assert (rma.state, rma.expired_at) == ("expired", after)
    assert called == [(rma.number, after)]
    assert expired.pk == rma.pk
    assert "expired" in emails(rma)
    expiry = OutboundMessage.objects.get(key=f"rma:{rma.pk}:expired")
    assert "standard price" in expiry.body  # the advance replacement is charged
    assert list(rma.events.values_list("kind", "to_state"))[-1] == ("expire", "expired")


def test_a_failing_expiry_callback_leaves_the_rma_issued() -> None:
    rma = issued_rma(advance=True)

    def broken(*, rma: Rma, at: dt.datetime) -> None:
        raise RuntimeError("the payment provider is down")

    services.on_rma_expired(broken)
    try:
        with pytest.raises(RuntimeError):
            services.expire_rmas(at=LATER + 15 * DAY)
    finally:
        services._EXPIRY_CALLBACKS.remove(broken)
    rma.refresh_from_db()
    assert (rma.state, rma.expired_at) == ("issued", None)
    assert "expired" not in emails(rma)


@pytest.mark.promise("TOS-24")
def test_the_periodic_task_runs_reminders_and_expiries(settings: Any) -> None:
    rma = issued_rma()
    with clock.frozen(LATER + 15 * DAY):
        result = tasks.rma_deadlines.call()
    assert result == [0, 1, 0]  # past the reminder's days: expired straight away
    rma.refresh_from_db()
    assert rma.state == "expired"
    assert ("hearth.aftersales.tasks.rma_deadlines", 3_600) in settings.HEARTH_PERIODIC_TASKS


def test_an_expired_rma_cannot_be_cancelled() -> None:
    rma = issued_rma()
    services.expire_rmas(at=LATER + 15 * DAY)
    rma.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        services.cancel_rma(rma=rma, actor=None, at=LATER + 16 * DAY)
    assert refused.value.code == "rma_transition"
    rma.refresh_from_db()
    assert rma.state == "expired"


def test_a_dealer_receipt_is_purged_once_its_warranty_ended_and_its_rma_is_over() -> None:
    from hearth.aftersales.models import DealerProof

    rma = services.begin_dealer_rma(
        purchase=services.DealerPurchase(
            serial="EO1C25999001",
            retail_purchased_on=dt.date(2026, 6, 1),
            dealer="Best Sound Ltd.",
            receipt=b"%PDF-1.4 receipt",
        ),
        contact=services.Contact(
            name="Grace Hopper",
            email="grace@example.com",
            phone="",
            lines=("1 Wellington Street",),
            city="Ottawa",
            province="ON",
            postal_code="K1A 0A9",
        ),
        actor=None,
        at=LATER,
    )
    warranty_over = dt.datetime(2027, 6, 2, 15, 0, tzinfo=dt.UTC)
    assert services.purge_dealer_receipts(at=warranty_over) == 0  # the RMA is still open
    services.expire_rmas(at=LATER + 15 * DAY)
    assert services.purge_dealer_receipts(at=warranty_over - DAY) == 0  # 1 June 2027: in force
    assert services.purge_dealer_receipts(at=warranty_over) == 1
    assert DealerProof.objects.filter(rma=rma).count() == 0


@pytest.mark.promise("TOS-23")
def test_a_replacement_unit_is_not_returnable_and_its_claim_runs_on_the_originals_dates() -> None:
    """A covered claim replaced the unit; the replacement arrives on a zero-priced order. It
    cannot be returned for a refund, and its own claim closes on the original's last day."""
    from hearth.aftersales import warranty
    from hearth.aftersales.tests.test_warranty import inspected, ship_unit, warranty_rma
    from hearth.aftersales.warranty_models import WarrantyReplacement
    from hearth.catalog.models import Variant
    from hearth.fulfilment.tests.conftest import T0, variant

    if not Variant.objects.filter(sku="EO-ONE-CHR").exists():
        variant("EO-ONE-CHR", stock=10)
    original = ship_unit("EO-ONE-CHR", "EO1C26000951")
    claimed = T0 + 100 * DAY
    with clock.frozen(claimed):
        rma = inspected(warranty_rma(original, at=claimed))
        warranty.resolve_covered(rma=rma, resolution="replacement", actor=None, at=claimed)
    replacement_order = WarrantyReplacement.objects.get(rma=rma).order
    new = ship_unit("EO-ONE-CHR", "EO1C26000952", at=claimed, order=replacement_order)
    with clock.frozen(claimed + 5 * DAY), pytest.raises(DomainError) as refused:
        services.begin_order_rma(
            order=replacement_order, serials=[new.serial], kind="return", actor=None, at=claimed
        )
    assert refused.value.code == "not_eligible"
    assert "warranty replacement, not a purchase" in str(refused.value.message)
    last_day = dt.datetime(2027, 11, 2, 15, 0, tzinfo=dt.UTC)  # the original's: 2 Nov 2027
    with pytest.raises(DomainError) as late:
        services.begin_order_rma(
            order=replacement_order,
            serials=[new.serial],
            kind="warranty",
            actor=None,
            at=last_day + DAY,
        )
    assert "the window for this claim has closed" in str(late.value.message)
    claim = services.begin_order_rma(
        order=replacement_order, serials=[new.serial], kind="warranty", actor=None, at=last_day
    )
    assert (claim.kind, claim.state) == ("warranty", "issued")
