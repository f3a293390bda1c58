"""Error codes of the comms app."""

from __future__ import annotations

from enum import StrEnum


class CommsErrorCode(StrEnum):
    NO_RECIPIENT = "no_recipient"
    KEY_REUSED = "message_key_reused"
    NOT_RETRYABLE = "message_not_retryable"
    BAD_HEADER = "bad_header"
    INBOUND_MALFORMED = "inbound_malformed"
    INBOUND_TOO_LARGE = "inbound_too_large"
    INBOUND_BAD_SIGNATURE = "inbound_bad_signature"
    CAMPAIGN_NOT_COMPLIANT = "campaign_not_compliant"
    CAMPAIGN_NOT_EDITABLE = "campaign_not_editable"
    CAMPAIGN_BAD_SCHEDULE = "campaign_bad_schedule"
    UNSUBSCRIBE_BAD_ADDRESS = "unsubscribe_bad_address"
