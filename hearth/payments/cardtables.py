"""The sandbox's data tables (``data/card_brands.toml``, ``data/test_cards.toml``), validated when
loaded."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from hearth.payments.rules import Behaviour, BrandSpec, brand_of, luhn_valid

DATA = Path(__file__).resolve().parent / "data"


class CardDataError(ValueError):
    """A payments data file does not have the expected shape."""


def _read(name: str) -> dict[str, Any]:
    with (DATA / name).open("rb") as fh:
        return tomllib.load(fh)


def _prefix(raw: str) -> tuple[str, str]:
    low, _, high = raw.partition("-")
    high = high or low
    if not (low.isdigit() and high.isdigit() and len(low) == len(high) and low <= high):
        raise CardDataError(f"card_brands.toml: bad prefix {raw!r}")
    return low, high


def parse_brands(doc: dict[str, Any]) -> tuple[BrandSpec, ...]:
    out: list[BrandSpec] = []
    seen: set[str] = set()
    for row in doc.get("brand", []):
        keys = {"key", "name", "accepted", "prefixes", "lengths", "cvc_length", "source"}
        if set(row) != keys:
            raise CardDataError(f"card_brands.toml: entry {row.get('key')!r} needs exactly {keys}")
        if row["key"] in seen:
            raise CardDataError(f"card_brands.toml: duplicate brand {row['key']!r}")
        seen.add(row["key"])
        if not row["lengths"] or not all(12 <= n <= 19 for n in row["lengths"]):
            raise CardDataError(f"card_brands.toml: {row['key']}: lengths must be 12-19")
        if row["cvc_length"] not in (3, 4):
            raise CardDataError(f"card_brands.toml: {row['key']}: cvc_length must be 3 or 4")
        out.append(
            BrandSpec(
                key=row["key"],
                name=row["name"],
                accepted=bool(row["accepted"]),
                prefixes=tuple(_prefix(p) for p in row["prefixes"]),
                lengths=tuple(row["lengths"]),
                cvc_length=row["cvc_length"],
            )
        )
    return tuple(out)


@cache
def brands() -> tuple[BrandSpec, ...]:
    return parse_brands(_read("card_brands.toml"))


def accepted_brands() -> tuple[BrandSpec, ...]:
    return tuple(b for b in brands() if b.accepted)


def parse_sandbox_cards(doc: dict[str, Any], known: tuple[BrandSpec, ...]) -> dict[str, Behaviour]:
    out: dict[str, Behaviour] = {}
    for row in doc.get("card", []):
        if set(row) != {"number", "behaviour", "source"}:
            raise CardDataError(f"test_cards.toml: {row!r} needs number, behaviour, source")
        number = row["number"]
        brand = brand_of(number, known)
        if not luhn_valid(number) or brand is None or not brand.accepted:
            raise CardDataError(f"test_cards.toml: {number} is not a valid accepted card")
        if number in out:
            raise CardDataError(f"test_cards.toml: duplicate {number}")
        out[number] = Behaviour(row["behaviour"])
    return out


@cache
def sandbox_cards() -> dict[str, Behaviour]:
    """Test card number → sandbox behaviour."""
    return parse_sandbox_cards(_read("test_cards.toml"), brands())


def behaviour_of(digits: str) -> Behaviour:
    """A test card's behaviour; any other valid card is approved."""
    return sandbox_cards().get(digits, Behaviour.APPROVE)
