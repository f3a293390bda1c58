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
