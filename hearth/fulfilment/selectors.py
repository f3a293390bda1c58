"""Reads of the fulfilment app, translated for the person asking (checkout and the API call these).

The rules (:mod:`hearth.fulfilment.rules`, :mod:`hearth.fulfilment.address`) are pure and carry
untranslated messages; these functions add what lives in the database (staff's forwarder list)
and in settings (customer care's contact), and translate messages into the active language.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.utils.translation import gettext

from hearth.core.errors import DomainError
from hearth.fulfilment import rules
from hearth.fulfilment.address import AddressCheck, ForwarderAddress, check_address
from hearth.fulfilment.errors import AddressProblemCode
from hearth.fulfilment.models import KnownForwarder


def known_forwarders() -> tuple[ForwarderAddress, ...]:
    """The forwarder addresses staff added in the back office (the data file's come on top)."""
    rows = KnownForwarder.objects.values_list("line", "postal_code", "note")
    return tuple(ForwarderAddress(line, postal, note) for line, postal, note in rows)


def care_contact_message() -> str:
    """ "Contact customer care at ..." with the brand's care email and phone from settings."""
    brand = getattr(settings, "HEARTH_BRAND", {})
    return gettext("Customer care: %(email)s, %(phone)s.") % {
        "email": brand.get("care_email", ""),
        "phone": brand.get("care_phone", ""),
    }


def check_delivery_address(
    *, lines: Sequence[str], city: str, province: str, postal_code: str, country: str
) -> AddressCheck:
    """:func:`~hearth.fulfilment.address.check_address` with staff's forwarders, translated.

    An address outside Canada gets customer care's contact appended to its message (TOS-16).
    """
    result = check_address(
        lines=lines,
        city=city,
        province=province,
        postal_code=postal_code,
        country=country,
        known_forwarders=known_forwarders(),
    )
    problems = []
    for problem in result.problems:
        message = gettext(problem.message)
        if problem.code == AddressProblemCode.OUTSIDE_SERVICE_REGION:
            message = f"{message} {care_contact_message()}"
        problems.append(dataclasses.replace(problem, message=message))
    return dataclasses.replace(result, problems=tuple(problems))


def translated(error: DomainError) -> DomainError:
    """The same DomainError with its message (and field messages) in the active language."""
    return DomainError(
        error.code,
        gettext(str(error.message)),
        fields={field: gettext(text) for field, text in error.fields.items()},
        status=error.status,
    )


def delivery_estimate(
    *, placed_at: dt.datetime, payment_confirmed_at: dt.datetime | None, method: str
) -> rules.Estimate:
    """:func:`hearth.fulfilment.rules.estimate`, with any refusal translated."""
    try:
        return rules.estimate(
            placed_at=placed_at, payment_confirmed_at=payment_confirmed_at, method=method
        )
    except DomainError as error:
        raise translated(error) from None
