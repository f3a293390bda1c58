"""Hearth's device client: pure Python (standard library only), for controller apps to embed.

    from hearth.devices.client import TelemetryClient, create_household, register_household

No Django import anywhere in this package.
"""

from hearth.devices.client.households import (
    ApiError,
    HouseholdCredentials,
    create_household,
    register_household,
    release_product,
)
from hearth.devices.client.telemetry import FlushResult, TelemetryClient
from hearth.devices.client.tiers import TierTable, load_tier_table, parse_tier_table
from hearth.devices.client.transport import HttpTransport, Response, Transport, TransportError

__all__ = [
    "ApiError",
    "FlushResult",
    "HouseholdCredentials",
    "HttpTransport",
    "Response",
    "TelemetryClient",
    "TierTable",
    "Transport",
    "TransportError",
    "create_household",
    "load_tier_table",
    "parse_tier_table",
    "register_household",
    "release_product",
]
