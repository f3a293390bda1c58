"""Warranty outcomes (issue #13 item 5; TOS-23, TOS-24): coverage per serial, covered claims
(repair or replacement, free), claims not covered (told why, a priced quote accepted or
declined), and advance replacements (a card authorisation released or charged).

Services call these functions; views, the inspection hook and the expiry hook are thin. Every
step locks the RMA, moves it through :func:`hearth.aftersales.rules.transition`, appends an
``RmaEvent`` (the history My Stuff and care show), writes an audit row with its actor and queues
the customer's email in the same transaction (comms sends it after the commit).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from hearth.aftersales import rules
from hearth.aftersales import warranty_rules as wr
from hearth.aftersales.models import Rma, RmaUnit
from hearth.aftersales.warranty_models import (
    AdvanceReplacement,
    AdvanceState,
    QuoteOption,
    QuoteState,
    ReplacementReason,
    WarrantyCoverage,
    WarrantyDecision,
    WarrantyQuote,
    WarrantyReplacement,
)
from hearth.core import audit
from hearth.core.audit import Actor, AuditAction
from hearth.core.clock import EASTERN
from hearth.core.errors import DomainError
from hearth.core.l10n import human_date, money
from hearth.core.money import Money
from hearth.payments.rules import AuthorisationStatus

TERMS_FILE = Path(__file__).resolve().parent / "data" / "warranty_terms.toml"
LINK_SALT = "hearth.aftersales.warranty.link"
LINK_MAX_AGE = dt.timedelta(days=90)


# --- Data -------------------------------------------------------------------------------------


@cache
def warranty_terms() -> dict[str, wr.WarrantyTerms]:
    """The per-SKU terms of ``data/warranty_terms.toml`` (read once)."""
    with TERMS_FILE.open("rb") as fh:
        return wr.parse_terms(tomllib.load(fh))


def terms_of(sku: str) -> wr.WarrantyTerms | None:
    return warranty_terms().get(sku)


def advance_replacement_offered(rma: Rma) -> bool:
    """Whether the claim's product qualifies for an advance replacement (data file) and the
    RMA can still take one (a warranty claim not yet received, none taken before)."""
    unit = _first_unit(rma)
    return (
        rma.kind == rules.ClaimKind.WARRANTY
        and rma.state in {rules.RmaState.REQUESTED, rules.RmaState.ISSUED}
        and unit is not None
        and wr.advance_replacement_qualifies(terms_of(unit.sku))
        and not AdvanceReplacement.objects.filter(rma=rma).exists()
    )


# --- Small helpers ----------------------------------------------------------------------------


def _today(at: dt.datetime) -> dt.date:
    return at.astimezone(EASTERN).date()


def _user(actor: Actor | None) -> Any:
    pk = audit.user_pk(actor)
    return actor if pk is not None else None


def _first_unit(rma: Rma) -> RmaUnit | None:
    return rma.units.order_by("id").first()


def _refuse(code: wr.WarrantyErrorCode, message: str, *, status: int = 409) -> DomainError:
    return DomainError(code, message, status=status)


def _locked(rma: Rma) -> Rma:
    return Rma.objects.select_for_update().get(pk=rma.pk)


def _move(
    rma: Rma, event: rules.RmaEventKind, *, actor: Actor | None, at: dt.datetime, note: str
) -> Rma:
    """Move ``rma`` along the state table through the RMA's one mover (row lock, history row,
    audit row); ``rma`` follows the new state."""
    from hearth.aftersales.services import move

    moved = move(rma=rma, event=event, actor=actor, at=at, note=note)
    rma.state = moved.state
    return rma


def _note(rma: Rma, kind: str, *, actor: Actor | None, at: dt.datetime, note: str) -> None:
    """A history row without a state move."""
    from hearth.aftersales.services import note_event

    note_event(rma=rma, kind=kind, actor=actor, at=at, note=note)


def customer_link(rma: Rma) -> str:
    """The signed link (path) a customer, guest or signed in, follows to see and answer the
    warranty steps of ``rma`` (90 days)."""
    token = signing.dumps({"rma": rma.number}, salt=LINK_SALT)
    return reverse("warranty:customer", args=[token])


def rma_for_link(token: str) -> Rma | None:
    """The RMA behind a signed link, or None when the link is forged or too old."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    return Rma.objects.filter(number=str(data.get("rma", ""))).first()


def _site() -> str:
    return str(getattr(settings, "HEARTH_SITE_URL", "")).rstrip("/")


def _email(
    rma: Rma,
    *,
    step: str,
    subject: Callable[[], str],
    body: Callable[[], str],
    at: dt.datetime,
) -> None:
    """Queue the customer's email of one step (once per RMA and step). ``subject`` and ``body``
    are called in the customer's language (the RMA's, issue #16), not the care agent's page."""
    from hearth.aftersales.services import rma_language
    from hearth.comms.services import queue_email

    link = _site() + customer_link(rma)
    language = rma_language(rma)
    with translation.override(language):
        subject_text = subject()
        body_text = body()
        footer = _("See this claim and answer any offer: %(link)s") % {"link": link}
    queue_email(
        key=f"rma:{rma.number}:warranty:{step}",
        to=[rma.email],
        subject=subject_text,
        body=f"{body_text}\n\n{footer}\n",
        at=at,
        language=language,
    )


def _offer(quote: WarrantyQuote) -> str:
    """The two paid options of a quote, in the active language's formats."""
    return _("Paid repair: %(repair)s. Discounted replacement: %(replacement)s (tax included).") % {
        "repair": money(quote.repair_total),
        "replacement": money(quote.replacement_total),
    }


def _province(rma: Rma) -> str:
    if rma.province:
        return rma.province
    return rma.order.province if rma.order is not None else ""


def _price_with_tax(*, sku: str, unit_price: Decimal, province: str, on: dt.date) -> Any:
    from hearth.orders.pricing import PriceLine, PricingDraft, price_order, province_of

    return price_order(
        PricingDraft(
            lines=(PriceLine(sku=sku, unit_price=Money(unit_price), quantity=1),),
            province=province_of(province),
            on=on,
        )
    )


def standard_price(sku: str) -> Decimal:
    """The then-current standard price of ``sku`` before tax (the catalogue's price)."""
    from hearth.catalog.selectors import variant_by_sku

    return Decimal(variant_by_sku(sku).price)


def standard_price_with_tax(*, sku: str, province: str, on: dt.date) -> Decimal:
    """The then-current standard price of ``sku`` with the tax of ``province`` on ``on``."""
    price = _price_with_tax(sku=sku, unit_price=standard_price(sku), province=province, on=on)
    return Decimal(price.total.amount)


# --- Coverage per serial (TOS-23) --------------------------------------------------------------


def _as_rule(row: WarrantyCoverage) -> wr.Coverage:
    return wr.Coverage(
        serial=row.serial,
        start=row.start,
        end=row.end,
        replaces=row.replaces.serial if row.replaces is not None else None,
    )


def _derive(serial: str) -> tuple[wr.Coverage, str] | None:
    """The warranty of ``serial`` and its SKU, from a recorded row or worked out (nothing
    written): a unit shipped on a sale starts on its ship date; a dealer unit on its RMA's
    retail purchase date; a unit shipped on a warranty replacement takes over the dates of the
    serial it replaced (TOS-23). None when no start is known."""
    from hearth.fulfilment.models import Unit

    found = WarrantyCoverage.objects.select_related("replaces").filter(serial=serial).first()
    if found is not None:
        return _as_rule(found), found.sku
    unit = (  # the serial's latest sale: an earlier one ended when it was returned and restocked
        Unit.objects.select_related("order_line__order")
        .filter(serial=serial)
        .order_by("-captured_at", "-pk")
        .first()
    )
    if unit is not None:
        replacement = WarrantyReplacement.objects.filter(order=unit.order_line.order).first()
        if replacement is not None:
            parent = _derive(replacement.original_serial)
            if parent is None:
                return None
            return wr.replacement_coverage(parent[0], serial=serial), unit.sku
        if unit.shipped_on is not None:
            return wr.original_coverage(serial=serial, start=unit.shipped_on), unit.sku
        return None
    dealer = (
        RmaUnit.objects.select_related("rma")
        .filter(serial=serial, rma__retail_purchased_on__isnull=False, unit__isnull=True)
        .order_by("rma__requested_at")
        .first()
    )
    if dealer is not None and dealer.rma.retail_purchased_on is not None:
        return wr.original_coverage(serial=serial, start=dealer.rma.retail_purchased_on), dealer.sku
    return None


def warranty_dates(serial: str) -> wr.Coverage | None:
    """The warranty of ``serial`` (start, end inclusive, the serial it replaced), read only:
    for pages (care's unit page, the begin page) and claims' windows."""
    derived = _derive(serial)
    return derived[0] if derived is not None else None


def coverage_for(serial: str, *, at: dt.datetime | None = None) -> WarrantyCoverage | None:
    """The warranty row of ``serial`` (:func:`warranty_dates`), recorded the first time it is
    asked for, with the row of the serial it replaced. None when no start is known."""
    from hearth.core import clock

    found = WarrantyCoverage.objects.select_related("replaces").filter(serial=serial).first()
    if found is not None:
        return found
    derived = _derive(serial)
    if derived is None:
        return None
    rule, sku = derived
    parent = coverage_for(rule.replaces, at=at) if rule.replaces is not None else None
    try:
        with transaction.atomic():
            return WarrantyCoverage.objects.create(
                serial=serial,
                sku=sku,
                start=rule.start,
                end=rule.end,
                replaces=parent,
                recorded_at=at or clock.now(),
            )
    except IntegrityError:  # recorded meanwhile by another request
        return WarrantyCoverage.objects.get(serial=serial)


def warranty_end_of(serial: str) -> dt.date | None:
    """The last day of ``serial``'s warranty (inclusive), or None when unknown. For care's
    unit page and claims: a replacement's serial gives the original's date."""
    coverage = warranty_dates(serial)
    return coverage.end if coverage is not None else None


# --- After inspection: covered or not (TOS-23) -------------------------------------------------


def decide_after_inspection(
    *,
    rma: Rma,
    covered: bool,
    reasons: list[str] | tuple[str, ...] = (),
    actor: Actor | None,
    at: dt.datetime,
) -> WarrantyDecision:
    """Act on an inspected warranty claim (registered with inspection's ``on_inspected``).

    With an advance replacement out, the authorisation is released when the original is
    covered, charged at the then-current standard price when it is not (TOS-24); the RMA
    closes. Otherwise a covered claim waits for care's repair-or-replace, and a claim not
    covered is told why and offered a priced quote (TOS-23). Once per RMA: a second call
    returns the first decision.
    """
    with transaction.atomic():
        locked = _locked(rma)
        existing = WarrantyDecision.objects.filter(rma=locked).first()
        if existing is not None:
            return existing
        if locked.kind != rules.ClaimKind.WARRANTY:
            raise _refuse(
                wr.WarrantyErrorCode.NOT_A_WARRANTY_CLAIM,
                _("This RMA is a 45-day return, not a warranty claim."),
            )
        if locked.state != rules.RmaState.INSPECTED:
            raise _refuse(
                wr.WarrantyErrorCode.NOT_INSPECTED,
                _("The unit must be received and inspected first."),
            )
        decision = WarrantyDecision.objects.create(
            rma=locked, covered=covered, reasons=list(reasons), decided_at=at
        )
        for unit in locked.units.all():  # each claimed serial's dates, recorded as they stand
            coverage_for(unit.serial, at=at)
        audit.record(
            actor=actor, action=AuditAction.CREATED, obj=decision, fields=["covered", "reasons"]
        )
        told = _reasons_text(decision.reasons)
        advance = AdvanceReplacement.objects.select_for_update().filter(rma=locked).first()
        if advance is not None and advance.state == AdvanceState.AUTHORISED:
            if covered:
                _release_advance(advance, rma=locked, actor=actor, at=at)
                decision.resolution = wr.Resolution.REPLACEMENT.value
                decision.resolved_at = at
                decision.save(update_fields=["resolution", "resolved_at"])
                _move(
                    locked,
                    rules.RmaEventKind.CLOSE,
                    actor=actor,
                    at=at,
                    note=_("Covered: the advance replacement is kept free of charge."),
                )
            else:
                codes = list(decision.reasons)
                _charge_advance(
                    advance,
                    rma=locked,
                    event=wr.AdvanceEvent.NOT_COVERED,
                    actor=actor,
                    at=at,
                    why=lambda: _reasons_text(codes),
                )
                decision.send_back_due = True
                decision.save(update_fields=["send_back_due"])
                _move(
                    locked,
                    rules.RmaEventKind.CLOSE,
                    actor=actor,
                    at=at,
                    note=_(
                        "Not covered: %(why)s The replacement is charged; the original "
                        "unit goes back to the customer."
                    )
                    % {"why": told},
                )
            return decision
        if covered:
            _note(
                locked,
                "covered",
                actor=actor,
                at=at,
                note=_("Covered by the warranty: repaired or replaced free."),
            )
            _email(
                locked,
                step="covered",
                at=at,
                subject=lambda: (
                    _("Your warranty claim %(rma)s is covered") % {"rma": locked.number}
                ),
                body=lambda: _(
                    "We inspected your product: the claim is covered by the warranty. We "
                    "will repair or replace it free of charge and tell you when it ships."
                ),
            )
            return decision
        _offer_quote(locked, why_codes=decision.reasons, actor=actor, at=at)
        return decision


def reason_texts(codes: list[str]) -> list[str]:
    """The customer-readable reasons (translated) of a decision's reason codes."""
    texts = []
    for code in codes:
        try:
            texts.append(_(rules.REASONS[rules.ReasonCode(code)].message))
        except (ValueError, KeyError):
            texts.append(code)
    return texts


def _reasons_text(codes: list[str]) -> str:
    return " ".join(reason_texts(codes))


def _offer_quote(
    rma: Rma, *, why_codes: list[str], actor: Actor | None, at: dt.datetime
) -> WarrantyQuote:
    why = _reasons_text(why_codes)  # for the staff's note, in the staff's language
    unit = _first_unit(rma)
    if unit is None:  # an RMA always has a unit; defensive, refused whole
        raise _refuse(wr.WarrantyErrorCode.UNKNOWN_TERMS, _("This RMA names no unit."))
    terms = wr.terms_for(warranty_terms(), unit.sku)
    province = _province(rma)
    on = _today(at)
    standard = standard_price(unit.sku)
    repair = _price_with_tax(
        sku=unit.sku,
        unit_price=wr.option_price(
            wr.QuoteOption.PAID_REPAIR, terms=terms, standard_price=standard
        ),
        province=province,
        on=on,
    )
    replacement = _price_with_tax(
        sku=unit.sku,
        unit_price=wr.option_price(
            wr.QuoteOption.DISCOUNTED_REPLACEMENT, terms=terms, standard_price=standard
        ),
        province=province,
        on=on,
    )
    quote = WarrantyQuote.objects.create(
        rma=rma,
        sku=unit.sku,
        province=province,
        repair_price=repair.goods.amount,
        repair_tax=repair.components(),
        repair_total=repair.total.amount,
        replacement_price=replacement.goods.amount,
        replacement_tax=replacement.components(),
        replacement_total=replacement.total.amount,
        offered_at=at,
    )
    audit.record(
        actor=actor,
        action=AuditAction.CREATED,
        obj=quote,
        fields=["repair_total", "replacement_total", "state"],
    )
    offer = _offer(quote)
    _move(
        rma,
        rules.RmaEventKind.QUOTE,
        actor=actor,
        at=at,
        note=_("Not covered: %(why)s %(offer)s") % {"why": why, "offer": offer},
    )
    _email(
        rma,
        step="quote",
        at=at,
        subject=lambda: (
            _("Your warranty claim %(rma)s: not covered, and what we can offer")
            % {"rma": rma.number}
        ),
        body=lambda: (
            _(
                "We inspected your product. The claim is not covered by the warranty: %(why)s\n\n"
                "We can offer you instead:\n%(offer)s\n\nAccept one (you pay by card) or decline "
                "(we send your product back) from the link below."
            )
            # The reasons again, in the customer's language (the email's, not the staff's).
            % {"why": _reasons_text(why_codes), "offer": _offer(quote)}
        ),
    )
    return quote


# --- Covered: repair or replacement, free (TOS-23) ---------------------------------------------


def _recipient(rma: Rma) -> Any:
    from hearth.core.places import DeliveryAddress
    from hearth.orders.pricing import province_of
    from hearth.orders.services import ReplacementRecipient, recipient_of

    if rma.order is not None:
        return recipient_of(rma.order)
    lines = tuple(line for line in (rma.address_lines or "").splitlines() if line.strip())
    if not lines or not rma.city or not rma.province or not rma.postal_code:
        raise _refuse(
            wr.WarrantyErrorCode.NO_DELIVERY_ADDRESS,
            _("This claim has no delivery address: care must add one first."),
        )
    return ReplacementRecipient(
        email=rma.email,
        name=rma.contact_name,
        phone=rma.phone,
        address=DeliveryAddress(
            lines=lines,
            city=rma.city,
            province=province_of(rma.province),
            postal_code=rma.postal_code,
            country=rma.country or "CA",
        ),
        customer=rma.customer,
    )


def _ship_replacement(
    rma: Rma,
    *,
    reason: ReplacementReason,
    ship_by: dt.date | None,
    actor: Actor | None,
    at: dt.datetime,
) -> WarrantyReplacement:
    from hearth.orders.services import place_replacement_order

    unit = _first_unit(rma)
    if unit is None:
        raise _refuse(wr.WarrantyErrorCode.UNKNOWN_TERMS, _("This RMA names no unit."))
    order = place_replacement_order(
        reference=f"{rma.number}:{reason}",
        sku=unit.sku,
        recipient=_recipient(rma),
        ship_by=ship_by,
        note=_("Warranty replacement for %(serial)s, RMA %(rma)s")
        % {"serial": unit.serial, "rma": rma.number},
        actor=actor,
        at=at,
    )
    coverage_for(unit.serial, at=at)  # the replaced serial's dates, recorded for its successor
    replacement, _created = WarrantyReplacement.objects.get_or_create(
        order=order,
        defaults={
            "rma": rma,
            "original_serial": unit.serial,
            "sku": unit.sku,
            "reason": reason,
            "created_at": at,
        },
    )
    audit.record(
        actor=actor,
        action=AuditAction.CREATED,
        obj=replacement,
        fields=["original_serial", "order", "reason"],
    )
    return replacement


def _unit_left_us(rma: Rma) -> bool:
    """Whether inspection sent a unit of ``rma`` to refurbishment or scrap (not kept for the
    customer): such a unit cannot be repaired and sent back."""
    from hearth.aftersales.models_receiving import Inspection

    return Inspection.objects.filter(rma=rma).exclude(disposition="keep").exists()


def resolve_covered(
    *, rma: Rma, resolution: str, actor: Actor | None, at: dt.datetime
) -> WarrantyDecision:
    """Care repairs or replaces a covered unit, free (TOS-23). A replacement ships on a
    zero-priced order and its serial takes over the original's warranty end; a repaired unit
    goes back unchanged (:func:`send_back`). Refused when the claim is not covered or already
    resolved (nothing changes)."""
    try:
        chosen = wr.Resolution(resolution)
    except ValueError:
        raise DomainError(
            wr.WarrantyErrorCode.INVALID_OPTION,
            _("Choose repair or replacement."),
            field="resolution",
        ) from None
    with transaction.atomic():
        locked = _locked(rma)
        decision = WarrantyDecision.objects.select_for_update().filter(rma=locked).first()
        if decision is None or not decision.covered:
            raise _refuse(
                wr.WarrantyErrorCode.NOT_INSPECTED,
                _("Only a claim found covered at inspection is repaired or replaced free."),
            )
        if decision.resolution:
            raise _refuse(
                wr.WarrantyErrorCode.OUTCOME_ALREADY_DECIDED,
                _("This claim has already been resolved."),
            )
        if chosen == wr.Resolution.REPAIR and _unit_left_us(locked):
            raise DomainError(
                wr.WarrantyErrorCode.INVALID_OPTION,
                _("The unit went to refurbishment or scrap at inspection: replace it instead."),
                field="resolution",
                status=409,
            )
        decision.resolution = chosen.value
        decision.resolved_at = at
        decision.resolved_by = _user(actor)
        if chosen == wr.Resolution.REPAIR:
            decision.send_back_due = True
            _move(
                locked,
                rules.RmaEventKind.REPAIR,
                actor=actor,
                at=at,
                note=_("Covered: repaired free; the same unit goes back."),
            )
            _email(
                locked,
                step="repair",
                at=at,
                subject=lambda: (
                    _("Your product from claim %(rma)s is being repaired") % {"rma": locked.number}
                ),
                body=lambda: _(
                    "Your claim is covered: we are repairing your product free of charge and "
                    "will send it back to you. Its warranty end date does not change."
                ),
            )
        else:
            replacement = _ship_replacement(
                locked, reason=ReplacementReason.COVERED, ship_by=None, actor=actor, at=at
            )
            _move(
                locked,
                rules.RmaEventKind.SHIP_REPLACEMENT,
                actor=actor,
                at=at,
                note=_("Covered: a replacement ships free on order %(order)s.")
                % {"order": replacement.order.number},
            )
            _email(
                locked,
                step="replacement",
                at=at,
                subject=lambda: (
                    _("A replacement for claim %(rma)s is on its way") % {"rma": locked.number}
                ),
                body=lambda: (
                    _(
                        "Your claim is covered: we are sending you a replacement free of charge "
                        "(order %(order)s). It keeps your original warranty end date."
                    )
                    % {"order": replacement.order.number}
                ),
            )
        decision.save(update_fields=["resolution", "resolved_at", "resolved_by", "send_back_due"])
        audit.record(
            actor=actor,
            action=AuditAction.STATE_CHANGED,
            obj=decision,
            fields=["resolution", "resolved_at", "send_back_due"],
        )
        return decision


def send_back(*, rma: Rma, actor: Actor | None, at: dt.datetime) -> WarrantyDecision:
    """Ship the customer's own unit back (a repair, a declined quote, a claim not covered):
    the carrier's label to the RMA's address; the RMA closes where its state allows. Once."""
    from hearth.fulfilment import carriers
    from hearth.privacy.models import DisclosureKind
    from hearth.privacy.services import record_disclosure

    with transaction.atomic():
        locked = _locked(rma)
        decision = WarrantyDecision.objects.select_for_update().filter(rma=locked).first()
        if decision is None or not decision.send_back_due:
            raise _refuse(
                wr.WarrantyErrorCode.OUTCOME_ALREADY_DECIDED,
                _("Nothing is waiting to be sent back on this claim."),
            )
        if decision.sent_back_at is not None:
            return decision
        recipient = _recipient(locked)
        chosen = carriers.default_carrier()
        label = chosen.create_label(
            ship_to=carriers.ShipTo(
                name=recipient.name,
                lines=tuple(recipient.address.lines),
                city=recipient.address.city,
                province=str(recipient.address.province),
                postal_code=recipient.address.postal_code,
                country=recipient.address.country,
                phone=recipient.phone,
            ),
            parcel=carriers.Parcel(weight_grams=2500, reference=f"{locked.number}-BACK"),
            service="standard",
            ship_date=_today(at),
        )
        record_disclosure(
            processor="shipping",
            subject=locked.customer,
            kind=DisclosureKind.HANDOVER,
            what=", ".join(carriers.ShipTo.DISCLOSED_FIELDS),
            why=_("Sending back the unit of RMA %(rma)s with %(carrier)s (%(code)s)")
            % {"rma": locked.number, "carrier": chosen.name, "code": label.tracking_code},
            at=at,
            actor=_user(actor),
        )
        decision.sent_back_at = at
        decision.send_back_carrier = chosen.key
        decision.send_back_tracking_code = label.tracking_code
        decision.send_back_label_pdf = label.pdf
        decision.save(
            update_fields=[
                "sent_back_at",
                "send_back_carrier",
                "send_back_tracking_code",
                "send_back_label_pdf",
            ]
        )
        audit.record(
            actor=actor,
            action=AuditAction.STATE_CHANGED,
            obj=decision,
            fields=["sent_back_at", "send_back_tracking_code"],
        )
        note = _("Unit sent back with %(carrier)s, tracking %(code)s.") % {
            "carrier": chosen.name,
            "code": label.tracking_code,
        }
        if rules.RmaEventKind.CLOSE in rules.allowed_events(rules.RmaState(locked.state)):
            _move(locked, rules.RmaEventKind.CLOSE, actor=actor, at=at, note=note)
        else:
            _note(locked, "sent_back", actor=actor, at=at, note=note)
        _email(
            locked,
            step="sent_back",
            at=at,
            subject=lambda: (
                _("Your product from claim %(rma)s is on its way back") % {"rma": locked.number}
            ),
            body=lambda: (
                _("We sent your product back with %(carrier)s. Tracking number: %(code)s.")
                % {"carrier": chosen.name, "code": label.tracking_code}
            ),
        )
        return decision


# --- Not covered: the quote, accepted (paid) or declined (TOS-23) ------------------------------


def quote_amount(*, rma: Rma, option: str) -> Decimal:
    """What accepting ``option`` of the RMA's open quote costs, tax included."""
    quote = _open_quote(rma)
    chosen = _option(option)
    return Decimal(quote.total_of(chosen))  # type: ignore[arg-type]


def _option(option: str) -> wr.QuoteOption:
    try:
        return wr.QuoteOption(option)
    except ValueError:
        raise DomainError(
            wr.WarrantyErrorCode.INVALID_OPTION,
            _("Choose the paid repair or the discounted replacement."),
            field="option",
        ) from None


def _open_quote(rma: Rma, *, lock: bool = False) -> WarrantyQuote:
    rows = WarrantyQuote.objects.filter(rma=rma)
    quote = (rows.select_for_update() if lock else rows).first()
    if quote is None or quote.state != QuoteState.OFFERED:
        raise _refuse(wr.WarrantyErrorCode.QUOTE_CLOSED, _("There is no open offer on this claim."))
    return quote


def accept_quote(
    *, rma: Rma, option: str, payment_token: str, actor: Actor | None, at: dt.datetime
) -> WarrantyQuote:
    """The customer accepts one option and pays by card (the hosted card page's token): the
    total is authorised and captured, then the repair or the replacement goes ahead. A declined
    card is a refusal with the provider's reason; the offer stays open, nothing else changes."""
    from hearth.payments.services import authorise

    chosen = _option(option)
    with transaction.atomic():
        locked = _locked(rma)
        quote = _open_quote(locked, lock=True)
        amount = Decimal(quote.total_of(chosen))  # type: ignore[arg-type]
        auth = authorise(
            token=payment_token,
            amount=amount,
            reference=locked.number,
            idempotency_key=f"warranty-quote-{locked.number}-{payment_token}",
            payer_email=locked.email,
            actor=actor,
        )
    _require_approved(
        auth,
        purpose="quote",
        refusal=auth.message
        if auth.status == AuthorisationStatus.DECLINED
        else _("The card could not be charged."),
        actor=actor,
    )
    try:
        return _settle_quote(
            rma, chosen=chosen, amount=amount, payment_id=auth.payment_id, actor=actor, at=at
        )
    except DomainError:
        _release(auth.payment_id, purpose="quote", actor=actor)
        raise


def _release(payment_id: str, *, purpose: str, actor: Actor | None) -> None:
    """Void a warranty card authorisation (once: the key names the payment)."""
    from hearth.payments.services import void

    void(
        payment_id=payment_id,
        idempotency_key=f"warranty-{purpose}-void-{payment_id}",
        actor=actor,
    )


def _require_approved(auth: Any, *, purpose: str, refusal: str, actor: Actor | None) -> None:
    """Refuse (402, beside the payment field) unless the card was authorised; a hold for review
    is released first, so nothing stays held on the customer's card."""
    if auth.status == AuthorisationStatus.APPROVED:
        return
    if auth.status == AuthorisationStatus.REVIEW:
        _release(auth.payment_id, purpose=purpose, actor=actor)
    raise DomainError(
        wr.WarrantyErrorCode.AUTHORISATION_REQUIRED, refusal, field="payment", status=402
    )


def _settle_quote(
    rma: Rma,
    *,
    chosen: wr.QuoteOption,
    amount: Decimal,
    payment_id: str,
    actor: Actor | None,
    at: dt.datetime,
) -> WarrantyQuote:
    from hearth.payments.services import capture

    with transaction.atomic():
        locked = _locked(rma)
        quote = _open_quote(locked, lock=True)
        quote.state = QuoteState.ACCEPTED
        quote.option = chosen.value
        quote.payment_id = payment_id
        quote.answered_at = at
        quote.save(update_fields=["state", "option", "payment_id", "answered_at"])
        audit.record(
            actor=actor,
            action=AuditAction.STATE_CHANGED,
            obj=quote,
            fields=["state", "option", "payment_id", "answered_at"],
        )
        _move(
            locked,
            rules.RmaEventKind.ACCEPT,
            actor=actor,
            at=at,
            note=_("Offer accepted: %(option)s, %(amount)s paid by card.")
            % {"option": QuoteOption(chosen.value).label, "amount": money(amount)},
        )
        decision = WarrantyDecision.objects.select_for_update().get(rma=locked)
        decision.resolution = wr.resolution_of(chosen).value
        decision.resolved_at = at
        if chosen == wr.QuoteOption.PAID_REPAIR:
            decision.send_back_due = True
            _move(
                locked,
                rules.RmaEventKind.REPAIR,
                actor=actor,
                at=at,
                note=_("Paid repair: the same unit goes back repaired."),
            )
        else:
            replacement = _ship_replacement(
                locked, reason=ReplacementReason.QUOTE, ship_by=None, actor=actor, at=at
            )
            _move(
                locked,
                rules.RmaEventKind.SHIP_REPLACEMENT,
                actor=actor,
                at=at,
                note=_("Discounted replacement ships on order %(order)s.")
                % {"order": replacement.order.number},
            )
        decision.save(update_fields=["resolution", "resolved_at", "send_back_due"])
        # Taken last, inside the transaction: a refusal above leaves the card untouched.
        capture(
            payment_id=payment_id,
            idempotency_key=f"warranty-quote-capture-{locked.number}",
            actor=actor,
        )
        _email(
            locked,
            step="accepted",
            at=at,
            subject=lambda: _("Thank you: your payment for claim %(rma)s") % {"rma": locked.number},
            body=lambda: (
                _(
                    "You accepted the %(option)s and paid %(amount)s. We will tell you when it "
                    "ships. Its warranty end date does not change."
                )
                % {"option": QuoteOption(chosen.value).label, "amount": money(amount)}
            ),
        )
        return quote


def decline_quote(*, rma: Rma, actor: Actor | None, at: dt.datetime) -> WarrantyQuote:
    """The customer declines the offer: nothing is charged and the unit goes back to them."""
    with transaction.atomic():
        locked = _locked(rma)
        quote = _open_quote(locked, lock=True)
        quote.state = QuoteState.DECLINED
        quote.answered_at = at
        quote.save(update_fields=["state", "answered_at"])
        audit.record(
            actor=actor,
            action=AuditAction.STATE_CHANGED,
            obj=quote,
            fields=["state", "answered_at"],
        )
        WarrantyDecision.objects.filter(rma=locked).update(send_back_due=True)
        _move(
            locked,
            rules.RmaEventKind.DECLINE,
            actor=actor,
            at=at,
            note=_("Offer declined: the unit goes back to the customer, nothing charged."),
        )
        _email(
            locked,
            step="declined",
            at=at,
            subject=lambda: (
                _("Claim %(rma)s: we will send your product back") % {"rma": locked.number}
            ),
            body=lambda: _(
                "You declined our offer. Nothing is charged; we are sending your product back."
            ),
        )
        return quote


# --- Advance replacement (TOS-24) --------------------------------------------------------------


def advance_amount(rma: Rma, *, at: dt.datetime) -> Decimal:
    """What an advance replacement authorises: the standard price, tax included."""
    unit = _first_unit(rma)
    if unit is None:
        raise _refuse(wr.WarrantyErrorCode.UNKNOWN_TERMS, _("This RMA names no unit."))
    return standard_price_with_tax(sku=unit.sku, province=_province(rma), on=_today(at))


def request_advance_replacement(
    *, rma: Rma, payment_token: str, actor: Actor | None, at: dt.datetime
) -> AdvanceReplacement:
    """Ship a replacement now, against a card authorisation of the standard price (TOS-24).

    Refused, nothing changed, when the product does not qualify (data file), the RMA is not an
    open warranty claim, one was already taken, or the card is not validly authorised (declined
    or held for review: the review hold is released). The replacement ships on a zero-priced
    order whose ship date is at the latest the 2nd business day after the request.
    """
    from hearth.payments.services import authorise

    with transaction.atomic():
        locked = _locked(rma)
        if AdvanceReplacement.objects.filter(rma=locked).exists():
            raise _refuse(
                wr.WarrantyErrorCode.ALREADY_REQUESTED,
                _("An advance replacement was already sent on this claim."),
            )
        if not advance_replacement_offered(locked):
            raise _refuse(
                wr.WarrantyErrorCode.NOT_QUALIFIED,
                _("This claim does not qualify for an advance replacement."),
            )
        _recipient(locked)  # refuses a claim without a delivery address before the card
        amount = advance_amount(locked, at=at)
        auth = authorise(
            token=payment_token,
            amount=amount,
            reference=locked.number,
            idempotency_key=f"warranty-advance-{locked.number}-{payment_token}",
            payer_email=locked.email,
            actor=actor,
        )
    _require_approved(
        auth,
        purpose="advance",
        refusal=_("An advance replacement needs a valid card authorisation: %(why)s")
        % {"why": auth.message},
        actor=actor,
    )
    try:
        return _start_advance(rma, amount=amount, payment_id=auth.payment_id, actor=actor, at=at)
    except DomainError:
        _release(auth.payment_id, purpose="advance", actor=actor)
        raise


def _start_advance(
    rma: Rma, *, amount: Decimal, payment_id: str, actor: Actor | None, at: dt.datetime
) -> AdvanceReplacement:
    with transaction.atomic():
        locked = _locked(rma)
        requested_on = _today(locked.requested_at)
        ship_by = rules.advance_replacement_ship_by(requested_on)
        unit = _first_unit(locked)
        if unit is None:  # checked by advance_replacement_offered; defensive
            raise _refuse(wr.WarrantyErrorCode.UNKNOWN_TERMS, _("This RMA names no unit."))
        advance = AdvanceReplacement.objects.create(
            rma=locked,
            sku=unit.sku,
            payment_id=payment_id,
            authorised_amount=amount,
            requested_on=requested_on,
            ship_by=ship_by,
            authorised_at=at,
        )
        audit.record(
            actor=actor,
            action=AuditAction.CREATED,
            obj=advance,
            fields=["payment_id", "authorised_amount", "ship_by", "state"],
        )
        locked.advance_replacement = True
        locked.save(update_fields=["advance_replacement"])
        audit.record(
            actor=actor,
            action=AuditAction.STATE_CHANGED,
            obj=locked,
            fields=["advance_replacement"],
        )
        replacement = _ship_replacement(
            locked, reason=ReplacementReason.ADVANCE, ship_by=ship_by, actor=actor, at=at
        )
        held = f"${amount:.2f}"
        _note(
            locked,
            "advance_replacement",
            actor=actor,
            at=at,
            note=_(
                "Advance replacement on order %(order)s, ships by %(date)s; %(amount)s "
                "authorised on the card."
            )
            % {"order": replacement.order.number, "date": ship_by.isoformat(), "amount": held},
        )
        _email(
            locked,
            step="advance",
            at=at,
            subject=lambda: (
                _("Your advance replacement for claim %(rma)s") % {"rma": locked.number}
            ),
            body=lambda: (
                _(
                    "We are sending you a replacement now; it ships by %(date)s. We authorised "
                    "%(amount)s on your card and charge nothing if your original arrives by "
                    "%(deadline)s and is covered by the warranty. If it does not arrive in time, "
                    "or is not covered, we charge the then-current standard price (at most the "
                    "amount authorised)."
                )
                % {
                    "date": human_date(ship_by),
                    "amount": money(amount),
                    "deadline": human_date(locked.arrival_deadline)
                    if locked.arrival_deadline
                    else "-",
                }
            ),
        )
        return advance


def _release_advance(
    advance: AdvanceReplacement, *, rma: Rma, actor: Actor | None, at: dt.datetime
) -> None:
    from hearth.payments.services import void

    advance.state = wr.advance_move(advance.state, wr.AdvanceEvent.COVERED).value
    void(
        payment_id=advance.payment_id,
        idempotency_key=f"warranty-advance-release-{rma.number}",
        actor=actor,
    )
    advance.settled_at = at
    advance.charged_amount = Decimal("0.00")
    advance.save(update_fields=["state", "settled_at", "charged_amount"])
    audit.record(
        actor=actor,
        action=AuditAction.STATE_CHANGED,
        obj=advance,
        fields=["state", "settled_at", "charged_amount"],
    )
    _note(
        rma,
        "advance_released",
        actor=actor,
        at=at,
        note=_("The original arrived and is covered: the card authorisation is released."),
    )
    _email(
        rma,
        step="advance_released",
        at=at,
        subject=lambda: _("Claim %(rma)s: nothing to pay") % {"rma": rma.number},
        body=lambda: _(
            "Your original product arrived and is covered by the warranty. We released the "
            "authorisation on your card: nothing is charged. Keep the replacement."
        ),
    )


def _charge_advance(
    advance: AdvanceReplacement,
    *,
    rma: Rma,
    event: wr.AdvanceEvent,
    actor: Actor | None,
    at: dt.datetime,
    why: Callable[[], str],
) -> AdvanceReplacement:
    """Capture the authorisation at the then-current standard price (TOS-24), renewing a
    lapsed authorisation first; a decline leaves the advance ``capture_failed`` for care.
    ``why`` writes the reason in the language active when called: the staff's for the note,
    the customer's for the email."""
    from hearth.payments.services import authorisation_expired, capture, reauthorise, refund

    wr.advance_move(advance.state, event)  # refuses a settled advance before any payment call
    current = standard_price_with_tax(sku=advance.sku, province=_province(rma), on=_today(at))
    plan = wr.capture_plan(authorised=advance.authorised_amount, current_price=current)
    payment_id = advance.payment_id
    if authorisation_expired(payment_id=payment_id, at=at):
        renewed = reauthorise(
            payment_id=payment_id,
            idempotency_key=f"warranty-advance-renew-{rma.number}",
            actor=actor,
        )
        if renewed.status != AuthorisationStatus.APPROVED:
            advance.state = wr.advance_move(advance.state, wr.AdvanceEvent.CHARGE_FAILED).value
            advance.note = renewed.message
            advance.payment_id = renewed.payment_id
            advance.settled_at = at
            advance.save(update_fields=["state", "note", "payment_id", "settled_at"])
            audit.record(
                actor=actor,
                action=AuditAction.STATE_CHANGED,
                obj=advance,
                fields=["state", "note", "payment_id"],
            )
            _note(
                rma,
                "advance_charge_failed",
                actor=actor,
                at=at,
                note=_("The card could not be charged (%(why)s): care follows up.")
                % {"why": renewed.message},
            )
            return advance
        payment_id = renewed.payment_id
    capture(
        payment_id=payment_id, idempotency_key=f"warranty-advance-capture-{rma.number}", actor=actor
    )
    if plan.refund > 0:
        refund(
            payment_id=payment_id,
            amount=plan.refund,
            idempotency_key=f"warranty-advance-difference-{rma.number}",
            actor=actor,
        )
    advance.state = wr.advance_move(advance.state, event).value
    advance.payment_id = payment_id
    advance.charged_amount = plan.charge
    advance.settled_at = at
    advance.save(update_fields=["state", "payment_id", "charged_amount", "settled_at"])
    audit.record(
        actor=actor,
        action=AuditAction.STATE_CHANGED,
        obj=advance,
        fields=["state", "payment_id", "charged_amount", "settled_at"],
    )
    charged = f"${plan.charge:.2f}"
    _note(
        rma,
        "advance_charged",
        actor=actor,
        at=at,
        note=_("%(why)s The standard price of the replacement, %(amount)s, is charged.")
        % {"why": why(), "amount": charged},
    )
    _email(
        rma,
        step="advance_charged",
        at=at,
        subject=lambda: _("Claim %(rma)s: the replacement is charged") % {"rma": rma.number},
        body=lambda: (
            _(
                "%(why)s As agreed when we sent the replacement in advance, we charged its "
                "standard price, %(amount)s, to your card."
            )
            # The reason in the customer's language (the email's), not the staff's.
            % {"why": why(), "amount": money(plan.charge)}
        ),
    )
    return advance


def charge_unreturned(
    *, rma: Rma, actor: Actor | None, at: dt.datetime
) -> AdvanceReplacement | None:
    """The RMA expired (registered with ``on_rma_expired``): the original never arrived within
    14 days, so an advance replacement is charged at the then-current standard price (TOS-24).
    Nothing for an RMA without an advance replacement, or one already settled."""
    with transaction.atomic():
        locked = _locked(rma)
        advance = AdvanceReplacement.objects.select_for_update().filter(rma=locked).first()
        if advance is None or advance.state != AdvanceState.AUTHORISED:
            return None
        return _charge_advance(
            advance,
            rma=locked,
            event=wr.AdvanceEvent.NOT_ARRIVED,
            actor=actor,
            at=at,
            why=lambda: _(
                "Your original product did not arrive within 14 days of the RMA's issue."
            ),
        )


# --- Hooks ------------------------------------------------------------------------------------


def after_inspection(
    *, rma: Rma, inspections: list[Any], actor: Actor | None, at: dt.datetime
) -> None:
    """Inspection's ``on_inspected`` callback: a warranty claim is covered when every unit's
    verdict is ``covered``; otherwise the reasons found on its units are the customer's."""
    if rma.kind != rules.ClaimKind.WARRANTY:
        return
    covered = all(i.verdict == "covered" for i in inspections)
    reasons = list(dict.fromkeys(code for i in inspections for code in (i.reasons or [])))
    decide_after_inspection(rma=rma, covered=covered, reasons=reasons, actor=actor, at=at)


def after_expiry(*, rma: Rma, at: dt.datetime) -> None:
    """The RMA's ``on_rma_expired`` callback: charge an advance replacement whose original
    never arrived (TOS-24)."""
    charge_unreturned(rma=rma, actor=None, at=at)


def work_lists() -> dict[str, Any]:
    """Care's warranty work: covered claims waiting for repair-or-replace, units to send back,
    advance replacements waiting for their original (by arrival deadline), failed charges."""
    decisions = WarrantyDecision.objects.select_related("rma")
    return {
        "to_resolve": list(
            decisions.filter(covered=True, resolution="").order_by("decided_at", "id")
        ),
        "to_send_back": list(
            decisions.filter(send_back_due=True, sent_back_at__isnull=True).order_by(
                "decided_at", "id"
            )
        ),
        "advances": list(
            AdvanceReplacement.objects.select_related("rma")
            .filter(state__in=[AdvanceState.AUTHORISED, AdvanceState.CAPTURE_FAILED])
            .order_by("state", "rma__arrival_deadline", "id")
        ),
    }


def _count_to_resolve() -> int:
    return WarrantyDecision.objects.filter(covered=True, resolution="").count()


def _count_to_send_back() -> int:
    return WarrantyDecision.objects.filter(send_back_due=True, sent_back_at__isnull=True).count()


def _count_failed_charges() -> int:
    return AdvanceReplacement.objects.filter(state=AdvanceState.CAPTURE_FAILED).count()


def register() -> None:
    """Register the warranty steps with inspection's and the RMA's hooks, and care's queues on
    the back office's role home (AppConfig.ready)."""
    from django.utils.translation import gettext_lazy

    from hearth.aftersales import receiving, services
    from hearth.core.backoffice import Queue, register_queue

    receiving.on_inspected(after_inspection)
    services.on_rma_expired(after_expiry)
    for key, label, count, order in (
        (
            "warranty.to_resolve",
            gettext_lazy("Covered claims: repair or replace"),
            _count_to_resolve,
            22,
        ),
        (
            "warranty.to_send_back",
            gettext_lazy("Customers' units to send back"),
            _count_to_send_back,
            23,
        ),
        (
            "warranty.charge_failed",
            gettext_lazy("Advance replacements whose charge failed"),
            _count_failed_charges,
            24,
        ),
    ):
        register_queue(
            Queue(
                key=key,
                label=label,
                count=count,
                url="/back-office/warranty/",
                roles=("care_agent",),
                order=order,
            )
        )
