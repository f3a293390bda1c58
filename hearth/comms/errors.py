"""Error codes of the comms app."""

from __future__ import annotations

from enum import StrEnum


class CommsErrorCode(StrEnum):
    NO_RECIPIENT = "no_recipient"
    KEY_REUSED = "message_key_reused"
    NOT_RETRYABLE = "message_not_retryable"
    BAD_HEADER = "bad_header"
