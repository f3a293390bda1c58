from enum import StrEnum


class DevicesErrorCode(StrEnum):
    BAD_SERIALS = "bad_serials"
    UNEXPECTED_FIELD = "unexpected_field"
    BAD_TOKEN = "bad_token"  # noqa: S105 (an error code, not a secret)
    UNKNOWN_HOUSEHOLD = "unknown_household"
    BAD_TIER = "bad_tier"
    BAD_EMAIL = "bad_email"
    BAD_POSTAL_CODE = "bad_postal_code"
    BAD_COUNTRY = "bad_country"
    BAD_CONFIRMATION = "bad_confirmation"
    BATCH_TOO_LARGE = "batch_too_large"
    TOO_MANY_EVENTS = "too_many_events"
    BAD_GZIP = "bad_gzip"
    UNSUPPORTED_ENCODING = "unsupported_encoding"
    MALFORMED_BATCH = "malformed_batch"
    SERIAL_CLAIMED = "serial_claimed"
    BAD_CLAIM_CODE = "bad_claim_code"
    CLAIM_THROTTLED = "claim_throttled"
    UNKNOWN_SERIAL = "unknown_serial"
    STREAM_UNAVAILABLE = "stream_unavailable"
