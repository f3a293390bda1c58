"""Cases care opens itself, from what other apps record: dropout outreach (PP-19) and delivery
exceptions. A periodic task (``tasks.absorb_sources``, every minute) calls :func:`absorb_sources`;
it is safe to run any number of times (a :class:`CaseLink` per source row, unique).

Dropouts group by household episode: while a household's dropout care case is not closed, a
new dropout case of that household (another music service, the same episode) joins it as a
note instead of opening a second care case. Closing the care case closes its dropout cases
(``services.close``), so the next episode opens a new one.

Other apps with a customer question of their own (RMAs) call :func:`hearth.care.services.open_case`
with ``link=("rma", <reference>)``.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from hearth.care import services
from hearth.care.models import Case, CaseLink, CaseMessage, Channel, MessageDirection, State
from hearth.devices.models import Household
from hearth.devices.models_reports import DropoutCase, DropoutCaseStatus
from hearth.fulfilment.models import DeliveryExceptionCase


def _dropout_note(dropout: DropoutCase) -> str:
    return _(
        "Playback dropouts: %(n)s dropouts of %(service)s within the window from %(start)s "
        "(dropout case %(id)s)."
    ) % {
        "n": dropout.dropouts,
        "service": dropout.service,
        "start": dropout.episode_start.isoformat(timespec="minutes"),
        "id": dropout.pk,
    }


def _absorb_dropout(dropout: DropoutCase) -> Case | None:
    ref = str(dropout.pk)
    if CaseLink.objects.filter(kind=CaseLink.Kind.DROPOUT, ref=ref).exists():
        return None
    joined = (
        Case.objects.filter(channel=Channel.DROPOUT, household_id=dropout.household_id)
        .exclude(state=State.CLOSED)
        .order_by("received_at", "id")
        .first()
    )
    if joined is not None:
        try:
            with transaction.atomic():
                CaseLink.objects.create(case=joined, kind=CaseLink.Kind.DROPOUT, ref=ref)
                CaseMessage.objects.create(
                    case=joined,
                    direction=MessageDirection.NOTE,
                    body=_dropout_note(dropout),
                    at=dropout.opened_at,
                )
        except IntegrityError:
            return None  # another run absorbed it first
        return joined
    household = Household.objects.filter(pk=dropout.household_id).select_related("customer").first()
    email, name, customer = "", "", None
    if household is not None:
        customer = household.customer
        email = (customer.email if customer is not None else "") or household.email or ""
        name = customer.full_name if customer is not None else ""
    try:
        return services.open_case(
            channel=Channel.DROPOUT,
            email=email,
            name=name,
            customer=customer,
            household_id=dropout.household_id,
            subject=_("Repeated playback dropouts"),
            body=_dropout_note(dropout),
            at=dropout.opened_at,
            actor=None,
            link=(CaseLink.Kind.DROPOUT, ref),
        )
    except IntegrityError:
        return None


def _absorb_exception(exception: DeliveryExceptionCase) -> Case | None:
    ref = str(exception.pk)
    if CaseLink.objects.filter(kind=CaseLink.Kind.DELIVERY_EXCEPTION, ref=ref).exists():
        return None
    order = exception.shipment.order
    try:
        return services.open_case(
            channel=Channel.DELIVERY_EXCEPTION,
            email=order.email,
            name=order.contact_name or "",
            customer=order.customer,
            order_number=order.number,
            subject=_("Delivery of order %(number)s: %(kind)s")
            % {"number": order.number, "kind": exception.get_kind_display()},
            body=_(
                "The carrier reported the parcel %(code)s as %(kind)s. Contact the customer and "
                "arrange a reshipment or a refund."
            )
            % {"code": exception.shipment.tracking_code, "kind": exception.get_kind_display()},
            at=exception.opened_at,
            actor=None,
            link=(CaseLink.Kind.DELIVERY_EXCEPTION, ref),
        )
    except IntegrityError:
        return None


def _unlinked(ids: list[int], kind: str) -> list[int]:
    """Of these open source rows, those no care case is linked to yet (bounded by the open rows,
    not by every link ever made)."""
    linked = set(
        CaseLink.objects.filter(kind=kind, ref__in=[str(i) for i in ids]).values_list(
            "ref", flat=True
        )
    )
    return [i for i in ids if str(i) not in linked]


def absorb_sources(*, at: dt.datetime) -> int:
    """Open (or join) a care case for every open dropout case and delivery exception that has
    none yet. How many source rows were absorbed."""
    count = 0
    open_dropouts = list(
        DropoutCase.objects.filter(status=DropoutCaseStatus.OPEN, opened_at__lte=at).values_list(
            "id", flat=True
        )
    )
    for dropout in DropoutCase.objects.filter(
        id__in=_unlinked(open_dropouts, CaseLink.Kind.DROPOUT)
    ).order_by("opened_at", "id"):
        count += _absorb_dropout(dropout) is not None
    open_exceptions = list(
        DeliveryExceptionCase.objects.filter(state=DeliveryExceptionCase.State.OPEN).values_list(
            "id", flat=True
        )
    )
    for exception in (
        DeliveryExceptionCase.objects.filter(
            id__in=_unlinked(open_exceptions, CaseLink.Kind.DELIVERY_EXCEPTION)
        )
        .select_related("shipment__order__customer")
        .order_by("opened_at", "id")
    ):
        count += _absorb_exception(exception) is not None
    return count
