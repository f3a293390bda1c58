"""Care's reads: the queue ordered by due time, a case with its thread, the household behind a
dropout case, and the weekly figures of the promise (TOS-27)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case as When_
from django.db.models import F, Q, QuerySet, When

from hearth.care import policy, rules
from hearth.care.models import Case, CaseAttachment, CaseMessage, State

UNIT_PAGE = "/back-office/units/{serial}/"


def queue(*, assigned_to: Any = None, include_closed: bool = False) -> QuerySet[Case]:
    """Cases waiting, ordered by the time they are due: the first response for a case not yet
    answered, otherwise its resolution target."""
    rows = Case.objects.select_related("assigned_to")
    if not include_closed:
        rows = rows.exclude(state=State.CLOSED)
    if assigned_to is not None:
        rows = rows.filter(assigned_to=assigned_to)
    return rows.annotate(
        due=When_(
            When(first_responded_at__isnull=True, then=F("first_response_due")),
            default=F("resolution_target"),
        )
    ).order_by("due", "id")


def open_count() -> int:
    return Case.objects.filter(state=State.OPEN).count()


def thread(case: Case) -> list[CaseMessage]:
    """The case's messages in order, each with its attachments' names (not their content)."""
    return list(
        case.messages.select_related("author").prefetch_related("attachments").order_by("at", "id")
    )


def attachment(case: Case, attachment_id: int) -> CaseAttachment | None:
    return CaseAttachment.objects.filter(pk=attachment_id, message__case=case).first()


def care_agents() -> list[Any]:
    """Staff who may take a case: the care agents and the administrators."""
    from hearth.accounts.roles import role

    names = [role(key).group_name for key in ("care_agent", "administrator")]
    return list(
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=names) | Q(is_superuser=True))
        .distinct()
        .order_by("email")
    )


@dataclass(frozen=True)
class Product:
    serial: str
    model: str
    software_version: str
    unit_url: str


@dataclass(frozen=True)
class HouseholdView:
    household_id: int
    tier: str
    tier_label: str
    products: list[Product]


def household(household_id: int | None, at: dt.datetime) -> HouseholdView | None:
    """The household behind a dropout case: its products (linked to their unit pages) and the
    tier in force (PP-18, PP-19)."""
    if household_id is None:
        return None
    from hearth.devices.models import HouseholdProduct, Tier
    from hearth.devices.selectors import household_tier

    tier = household_tier(household_id, at)
    products = [
        Product(
            serial=p.serial,
            model=p.model,
            software_version=p.software_version,
            unit_url=UNIT_PAGE.format(serial=p.serial),
        )
        for p in HouseholdProduct.objects.filter(household_id=household_id).order_by("added_at")
    ]
    return HouseholdView(
        household_id=household_id,
        tier=str(tier),
        tier_label=str(Tier(tier).label),
        products=products,
    )


def weekly_figures(*, weeks: int, today: dt.date) -> list[rules.WeekFigures]:
    """The last ``weeks`` weeks (to the week of ``today``): share answered within the promise
    and the distribution of first-response times."""
    zone = policy.promise().hours.zone
    last = rules.week_start_of(today)
    starts = [last - dt.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    since = dt.datetime.combine(starts[0], dt.time(0), tzinfo=zone)
    rows = Case.objects.filter(received_at__gte=since).values_list(
        "received_at", "first_response_due", "first_responded_at"
    )
    return rules.weekly_figures(
        (rules.Received(r, d, a) for r, d, a in rows.iterator()), weeks=starts, zone=zone
    )
