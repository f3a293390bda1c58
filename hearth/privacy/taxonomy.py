"""The privacy app's data files, loaded and validated once: categories, purposes, retention
periods, processors, collection points and personal-looking field-name patterns."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Set
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hearth.privacy.rules import taxonomy_problems

DATA_DIR = Path(__file__).resolve().parent / "data"


class DataFileError(ValueError):
    """A data file that does not validate; the message names the file and the entry."""


def read_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _entries(
    name: str, table: str, required: Set[str], optional: Set[str] = frozenset()
) -> list[dict[str, Any]]:
    path = DATA_DIR / name
    rows: list[dict[str, Any]] = read_toml(path).get(table, [])
    for i, row in enumerate(rows):
        missing = required - row.keys()
        unknown = row.keys() - required - optional
        if missing or unknown:
            raise DataFileError(
                f"{name} [[{table}]] #{i + 1}: missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
    return rows


@dataclass(frozen=True)
class Category:
    key: str
    name: str
    source: str


@dataclass(frozen=True)
class PurposeInfo:
    key: str
    name: str
    kind: str  # "service" | "consent"
    implied_allowed: bool
    source: str


@dataclass(frozen=True)
class Retention:
    key: str
    name: str
    on_erasure: str  # "erase" | "keep"
    keep_years: int
    source: str


@dataclass(frozen=True)
class ProcessorInfo:
    key: str
    name: str
    purpose: str
    categories: tuple[str, ...]
    location: str
    source: str


@dataclass(frozen=True)
class CollectionPoint:
    key: str
    purposes: tuple[str, ...]
    announce: str
    source: str


@cache
def categories() -> dict[str, Category]:
    rows = _entries("categories.toml", "category", {"key", "name", "source"})
    problems = taxonomy_problems([r["key"] for r in rows])
    if problems:
        raise DataFileError("categories.toml: " + "; ".join(problems))
    return {r["key"]: Category(**r) for r in rows}


@cache
def purposes() -> dict[str, PurposeInfo]:
    rows = _entries(
        "purposes.toml", "purpose", {"key", "name", "kind", "implied_allowed", "source"}
    )
    out: dict[str, PurposeInfo] = {}
    for r in rows:
        if r["kind"] not in {"service", "consent"} or r["key"] in out:
            raise DataFileError(f"purposes.toml: bad or duplicate entry {r['key']!r}")
        out[r["key"]] = PurposeInfo(**r)
    return out


@cache
def retention_periods() -> dict[str, Retention]:
    rows = _entries(
        "retention.toml", "retention", {"key", "name", "on_erasure", "keep_years", "source"}
    )
    out: dict[str, Retention] = {}
    for r in rows:
        if r["on_erasure"] not in {"erase", "keep"} or r["keep_years"] < 0 or r["key"] in out:
            raise DataFileError(f"retention.toml: bad or duplicate entry {r['key']!r}")
        out[r["key"]] = Retention(**r)
    return out


@cache
def processors() -> dict[str, ProcessorInfo]:
    rows = _entries(
        "processors.toml",
        "processor",
        {"key", "name", "purpose", "categories", "location", "source"},
    )
    known = categories()
    out: dict[str, ProcessorInfo] = {}
    for r in rows:
        unknown = [c for c in r["categories"] if c not in known]
        if unknown or r["key"] in out:
            raise DataFileError(f"processors.toml {r['key']!r}: unknown categories {unknown}")
        out[r["key"]] = ProcessorInfo(**{**r, "categories": tuple(r["categories"])})
    return out


@cache
def collection_points() -> dict[str, CollectionPoint]:
    rows = _entries("collection_points.toml", "point", {"key", "purposes", "source"}, {"announce"})
    known = purposes()
    out: dict[str, CollectionPoint] = {}
    for r in rows:
        unknown = [p for p in r["purposes"] if p not in known]
        if unknown or not r["purposes"] or r["key"] in out:
            raise DataFileError(f"collection_points.toml {r['key']!r}: bad purposes {unknown}")
        out[r["key"]] = CollectionPoint(
            r["key"], tuple(r["purposes"]), r.get("announce", ""), r["source"]
        )
    return out


@cache
def field_patterns() -> tuple[str, ...]:
    rows = _entries("field_patterns.toml", "pattern", {"regex", "source"})
    for r in rows:
        re.compile(r["regex"])
    return tuple(r["regex"] for r in rows)
