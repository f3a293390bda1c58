"""Machine codes for the aftersales app's DomainErrors (input that no claim can have)."""

from __future__ import annotations

from enum import StrEnum


class AftersalesErrorCode(StrEnum):
    DATE_OUT_OF_RANGE = "date_out_of_range"
    DATES_OUT_OF_ORDER = "dates_out_of_order"
    RETAIL_DATE_NOT_DEALER = "retail_date_not_dealer"
    INVALID_COUNT = "invalid_count"
    INSPECTION_INCOMPLETE = "inspection_incomplete"
    DISPOSITION_NOT_ALLOWED = "disposition_not_allowed"
    RMA_TRANSITION = "rma_transition"
    NOT_ELIGIBLE = "not_eligible"
    UNIT_NOT_FOUND = "unit_not_found"
    UNIT_NOT_SHIPPED = "unit_not_shipped"
    UNIT_ALREADY_ON_RMA = "unit_already_on_rma"
    NO_UNITS = "no_units"
    RECEIPT_TOO_LARGE = "receipt_too_large"
    RECEIPT_TYPE = "receipt_type"
    RECEIPT_REQUIRED = "receipt_required"
    INVALID_SERIAL = "invalid_serial"
    # Receiving and inspection (issue #13).
    RMA_UNKNOWN = "rma_unknown"
    RMA_NOT_ISSUED = "rma_not_issued"
    ALREADY_RECEIVED = "already_received"
    RMA_EXPIRED = "rma_expired"
    RMA_CANCELLED = "rma_cancelled"
    RMA_HELD = "rma_held"
    RMA_CLOSED = "rma_closed"
    SERIAL_MISMATCH = "serial_mismatch"
    SCAN_SERIAL = "scan_serial"
    NOT_HELD = "not_held"
    NOTE_REQUIRED = "note_required"
    NOT_RECEIVED = "not_received"
    ALREADY_INSPECTED = "already_inspected"
    UNKNOWN_CHOICE = "unknown_choice"
