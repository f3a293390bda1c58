"""Error codes of the accounts app (stable API codes)."""

from __future__ import annotations

from enum import StrEnum


class AccountsErrorCode(StrEnum):
    ATTESTATION_REQUIRED = "attestation_required"
    EMAIL_TAKEN = "email_taken"
    WEAK_PASSWORD = "weak_password"  # noqa: S105 (an error code, not a password)
    BAD_CREDENTIALS = "bad_credentials"
    THROTTLED = "throttled"
    TOTP_REQUIRED = "totp_required"
    TOTP_INVALID = "totp_invalid"
    TOTP_NOT_ENROLLED = "totp_not_enrolled"
    TOTP_ALREADY_ENROLLED = "totp_already_enrolled"
    REAUTH_REQUIRED = "reauth_required"
    UNKNOWN_ROLE = "unknown_role"
    INVALID_ADDRESS = "invalid_address"
    BAD_LINK = "bad_link"
