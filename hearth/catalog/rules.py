"""Pure catalogue rules: what a variant's availability means, and how order lines are normalised.

No Django, no database, no clock: plain values in, plain values out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Availability(StrEnum):
    """How a variant is sold (the model's TextChoices use the same values)."""

    IN_STOCK = "in_stock"
    PREORDER = "preorder"
    BACKORDER = "backorder"


class StockState(StrEnum):
    """What the shopper is told about a variant."""

    IN_STOCK = "in_stock"
    OUT_OF_STOCK = "out_of_stock"
    PREORDER = "preorder"
    BACKORDER = "backorder"


class LineError(ValueError):
    """An order line is malformed: ``sku`` names the line, ``reason`` says why."""

    def __init__(self, sku: str, reason: str) -> None:
        super().__init__(f"{sku}: {reason}")
        self.sku = sku
        self.reason = reason


def is_stock_checked(availability: str) -> bool:
    """Only in-stock variants are reserved against stock on hand; pre-orders and backorders are
    sold outside it (TOS-20)."""
    return Availability(availability) is Availability.IN_STOCK


def stock_state(availability: str, stock_on_hand: int) -> StockState:
    """What the product page says about a variant."""
    kind = Availability(availability)
    if kind is Availability.PREORDER:
        return StockState.PREORDER
    if kind is Availability.BACKORDER:
        return StockState.BACKORDER
    return StockState.IN_STOCK if stock_on_hand > 0 else StockState.OUT_OF_STOCK


def is_purchasable(availability: str, stock_on_hand: int) -> bool:
    """Whether a shopper may put the variant in a basket now."""
    return stock_state(availability, stock_on_hand) is not StockState.OUT_OF_STOCK


def normalise_lines(lines: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """Merge repeated SKUs and sort by SKU (the fixed lock order of stock reservation).

    Raises :class:`LineError` for an empty SKU or a quantity that is not a positive integer.
    """
    merged: dict[str, int] = {}
    for sku, quantity in lines:
        if not isinstance(sku, str) or not sku.strip():
            raise LineError(str(sku), "empty SKU")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise LineError(sku, "quantity must be a whole number of at least 1")
        merged[sku] = merged.get(sku, 0) + quantity
    return sorted(merged.items())


# --- Serial number formats (data/serial_formats.toml).


@dataclass(frozen=True)
class SerialFormat:
    """How a SKU's unit serials look. ``pattern`` is None for a SKU packed without serials."""

    sku: str
    pattern: re.Pattern[str] | None
    example: str
    source: str

    @property
    def serialised(self) -> bool:
        return self.pattern is not None

    def matches(self, serial: str) -> bool:
        return self.pattern is not None and self.pattern.fullmatch(serial) is not None


def normalise_serial(raw: str) -> str:
    """A scanned serial as stored: surrounding space dropped, upper case (scanners differ)."""
    return "".join(str(raw).split()).upper()


def parse_serial_formats(data: dict[str, Any]) -> dict[str, SerialFormat]:
    """Validate the serial formats table; raises ValueError naming the entry at fault.

    Every entry has a SKU (once) and a source; a serialised one a pattern that compiles and an
    example that matches its own pattern and no other SKU's, so that a serial names one SKU.
    """
    formats: dict[str, SerialFormat] = {}
    for index, entry in enumerate(data.get("format", [])):
        sku = str(entry.get("sku", "")).strip()
        where = f"format {index + 1} ({sku or 'no SKU'})"
        if not sku:
            raise ValueError(f"{where}: sku is required")
        if sku in formats:
            raise ValueError(f"{where}: SKU listed twice")
        if not str(entry.get("source", "")).strip():
            raise ValueError(f"{where}: source is required")
        if entry.get("serialised", True) is False:
            formats[sku] = SerialFormat(sku, None, "", entry["source"])
            continue
        try:
            pattern = re.compile(str(entry["pattern"]))
        except (KeyError, re.error) as error:
            raise ValueError(f"{where}: pattern missing or invalid ({error})") from None
        example = normalise_serial(entry.get("example", ""))
        if not pattern.fullmatch(example):
            raise ValueError(f"{where}: example {example!r} does not match its pattern")
        formats[sku] = SerialFormat(sku, pattern, example, entry["source"])
    for fmt in formats.values():
        others = [o.sku for o in formats.values() if o.sku != fmt.sku and o.matches(fmt.example)]
        if fmt.serialised and others:
            raise ValueError(f"{fmt.sku}: example also matches {', '.join(others)}")
    return formats


def skus_of_serial(serial: str, formats: Iterable[SerialFormat]) -> list[str]:
    """The SKUs whose serial format ``serial`` matches (normally one or none)."""
    return sorted(f.sku for f in formats if f.matches(serial))


# --- Bilingual content and search terms -------------------------------------------------------


def in_language(*, english: str, french: str, language: str | None) -> str:
    """The French text when ``language`` is French and the French is written, else the English:
    a product whose French is missing shows its English, never an empty text."""
    if language and language.lower().startswith("fr") and french.strip():
        return french
    return english


_SEARCH_TERM = re.compile(r"[^\W_]+")
MAX_SEARCH_TERMS = 8
MAX_TERM_LENGTH = 40


def search_terms(text: str) -> list[str]:
    """The words of a shopper's search, lower-cased: runs of letters and digits only, so that no
    operator, quote or bracket of a full-text query language (FTS5's ``"`` ``*`` ``NEAR``
    ``AND`` ``-`` ``(``, PostgreSQL's ``&`` ``|`` ``!`` ``:``) ever reaches the engine as syntax.
    Upper-case operator words (``AND``, ``NEAR``) become plain lower-case words. At most
    :data:`MAX_SEARCH_TERMS` words of at most :data:`MAX_TERM_LENGTH` characters."""
    words = _SEARCH_TERM.findall(text.casefold())
    return [w[:MAX_TERM_LENGTH] for w in words[:MAX_SEARCH_TERMS]]


def fts5_query(terms: list[str]) -> str:
    """An SQLite FTS5 MATCH expression: every term, as a quoted string, as a prefix (``"sub"*``),
    all required. The terms hold letters and digits only (:func:`search_terms`)."""
    return " ".join(f'"{term}"*' for term in terms)


def tsquery(terms: list[str]) -> str:
    """A PostgreSQL ``to_tsquery`` text: every term as a prefix (``sub:*``), all required."""
    return " & ".join(f"{term}:*" for term in terms)
