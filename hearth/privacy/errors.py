from __future__ import annotations

from enum import StrEnum


class PrivacyErrorCode(StrEnum):
    UNKNOWN_PURPOSE = "unknown_purpose"
    NO_SUBJECT = "no_subject"
    IMPLIED_NEEDS_SOURCE = "implied_needs_source"
    IMPLIED_NOT_ALLOWED = "implied_not_allowed"
    ERASURE_BLOCKED = "erasure_blocked"
    ALREADY_EXTENDED = "already_extended"
    REQUEST_CLOSED = "request_closed"
    UNKNOWN_PROCESSOR = "unknown_processor"
    UNKNOWN_FIELD = "unknown_field"
    NO_POLICY = "no_policy"
    BAD_LINK = "bad_link"
    INCIDENT_ALREADY_CORRECTED = "incident_already_corrected"
    INCIDENT_REFERENCE_TAKEN = "incident_reference_taken"
