"""Where an order goes, as typed values: the 13 provinces and territories, and a delivery address.

Pure (no Django): rules and the pricing path take a :class:`Province`, never a bare string.
Whether an address is deliverable is fulfilment's check (``check_delivery_address``); this is
only the shape the checked address travels in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Province(StrEnum):
    """Canada's provinces and territories by their Canada Post codes (the tax engine's keys)."""

    AB = "AB"
    BC = "BC"
    MB = "MB"
    NB = "NB"
    NL = "NL"
    NS = "NS"
    NT = "NT"
    NU = "NU"
    ON = "ON"
    PE = "PE"
    QC = "QC"
    SK = "SK"
    YT = "YT"

    @classmethod
    def parse(cls, raw: object) -> Province | None:
        """``raw`` as a Province (any letter case, surrounding spaces ignored), or None."""
        text = raw.strip().upper() if isinstance(raw, str) else ""
        try:
            return cls(text)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class DeliveryAddress:
    """A checked Canadian delivery address: street lines, city, province, postal code, country."""

    lines: tuple[str, ...]
    city: str
    province: Province
    postal_code: str
    country: str = "CA"
