"""Where an order goes, as typed values: the 13 provinces and territories, and a delivery address.

Pure (no Django): rules and the pricing path take a :class:`Province`, never a bare string.
Whether an address is deliverable is fulfilment's check (``check_delivery_address``); this is
only the shape the checked address travels in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


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

    def as_mapping(self) -> dict[str, Any]:
        """The plain form orders store and forms show (``lines`` as a list)."""
        return {
            "lines": list(self.lines),
            "city": self.city,
            "province": str(self.province),
            "postal_code": self.postal_code,
            "country": self.country,
        }

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> DeliveryAddress:
        """From the plain form; raises ValueError for a province that is not one of the 13."""
        province = Province.parse(raw.get("province"))
        if province is None:
            raise ValueError(f"unknown province {raw.get('province')!r}")
        return cls(
            lines=tuple(str(line) for line in raw.get("lines") or ()),
            city=str(raw.get("city") or ""),
            province=province,
            postal_code=str(raw.get("postal_code") or ""),
            country=str(raw.get("country") or "CA"),
        )
