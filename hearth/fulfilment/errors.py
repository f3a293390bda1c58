"""Machine codes of the fulfilment app: rule errors (raised) and address problems (returned)."""

from __future__ import annotations

from enum import StrEnum


class FulfilmentErrorCode(StrEnum):
    """Codes of the :class:`hearth.core.errors.DomainError` raised by the fulfilment rules."""

    NAIVE_TIMESTAMP = "naive_timestamp"
    PAYMENT_BEFORE_PLACEMENT = "payment_before_placement"
    TIMESTAMP_OUT_OF_RANGE = "timestamp_out_of_range"
    UNKNOWN_METHOD = "unknown_method"
    # Warehouse (issue #11).
    SERIAL_FORMAT = "serial_format"
    SERIAL_USED = "serial_used"
    SERIAL_OTHER_SKU = "serial_other_sku"
    SERIAL_NOT_NEEDED = "serial_not_needed"
    NO_SERIAL_FORMAT = "no_serial_format"
    NOT_READY_TO_PACK = "not_ready_to_pack"
    UNITS_MISSING = "units_missing"
    LABEL_EXISTS = "label_exists"
    NO_LABEL = "no_label"
    ALREADY_SHIPPED = "already_shipped"
    UNKNOWN_CARRIER = "unknown_carrier"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_TRACKING_CODE = "unknown_tracking_code"
    MALFORMED_EVENTS = "malformed_events"
    INVALID_QUANTITY = "invalid_quantity"
    MISSING_REFERENCE = "missing_reference"
    UNKNOWN_SKU = "unknown_sku"
    UNKNOWN_REASON = "unknown_reason"
    STOCK_WOULD_BE_NEGATIVE = "stock_would_be_negative"
    REST_DATE_REQUIRED = "rest_date_required"
    REST_DATE_IN_PAST = "rest_date_in_past"
    LOOKUP_THROTTLED = "lookup_throttled"
    CASE_ALREADY_RESOLVED = "case_already_resolved"
    # After-sales (issue #13): returned units leaving inspection.
    UNKNOWN_DISPOSITION = "unknown_disposition"
    ALREADY_MOVED = "already_moved"


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
