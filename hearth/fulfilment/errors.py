"""Machine codes of the fulfilment app: rule errors (raised) and address problems (returned)."""

from __future__ import annotations

from enum import StrEnum


class FulfilmentErrorCode(StrEnum):
    """Codes of the :class:`hearth.core.errors.DomainError` raised by the fulfilment rules."""

    NAIVE_TIMESTAMP = "naive_timestamp"
    PAYMENT_BEFORE_PLACEMENT = "payment_before_placement"
    TIMESTAMP_OUT_OF_RANGE = "timestamp_out_of_range"
    UNKNOWN_METHOD = "unknown_method"


class AddressProblemCode(StrEnum):
    """Why an address was refused. Problems are results of a check, not errors."""

    MISSING_FIELD = "missing_field"
    OUTSIDE_SERVICE_REGION = "outside_service_region"
    INVALID_PROVINCE = "invalid_province"
    INVALID_POSTAL_CODE = "invalid_postal_code"
    POSTAL_CODE_PROVINCE_MISMATCH = "postal_code_province_mismatch"
    PO_BOX = "po_box"
    GENERAL_DELIVERY = "general_delivery"
    ARMED_SERVICES = "armed_services"
    HOTEL = "hotel"
    FREIGHT_FORWARDER = "freight_forwarder"


def gettext_noop(message: str) -> str:
    """Mark a message for translation without translating it (rules import no Django).

    ``makemessages`` extracts ``gettext_noop("...")`` calls; the edge (selectors, API) translates
    the string with Django's ``gettext`` in the request's language.
    """
    return message
