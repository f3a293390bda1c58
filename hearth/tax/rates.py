"""The effective-dated rate table: loaded from ``data/rates.json``, validated, precomputed.

The file holds one record per (jurisdiction, component, effective period). ``CA`` is the
federal GST; a province's own records are its HST, PST (Ontario's and Manitoba's RST too) or
QST. At load, :func:`build_rate_table` checks, and refuses the file (:class:`RateDataError`) when:

- a jurisdiction, component, base, rate or date is malformed or unknown (GST only under ``CA``;
  ``price_plus_gst`` only for PST or QST; a rate is a decimal string between 0 and 1);
- the federal GST does not run without a gap or an overlap from ``data_starts`` to an open end;
- a province's own records (HST, PST and QST together: BC's PST pauses while its HST runs, so
  the check is per province, across its components) overlap, leave a gap, do not start by
  ``data_starts`` or do not end open; or a province listed as ``gst_only`` has records at all.

It then precomputes, per province, the sorted start dates of every period in which the set of
components does not change, and the components of each, so a lookup is one ``bisect``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).parent / "data" / "rates.json"

FEDERAL = "CA"
GST, HST, PST, QST = "GST", "HST", "PST", "QST"
PROVINCIAL_COMPONENTS = frozenset({HST, PST, QST})
BASES = frozenset({"price", "price_plus_gst"})
_RATE = re.compile(r"0\.\d{1,6}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ONE_DAY = dt.timedelta(days=1)


class RateDataError(ValueError):
    """The rate file breaks a rule of its format; the message says which record and why."""


@dataclass(frozen=True, slots=True)
class RateRecord:
    """One line of the rate file: ``rate`` applies from ``effective_from`` to ``effective_to``
    (inclusive; None while in force)."""

    jurisdiction: str
    component: str
    rate: Decimal
    base: str
    effective_from: dt.date
    effective_to: dt.date | None
    source: str

    @property
    def on_price_plus_gst(self) -> bool:
        return self.base == "price_plus_gst"

    def covers(self, day: dt.date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


@dataclass(frozen=True, slots=True)
class RateTable:
    """The validated table. ``periods[province]`` is (starts, components per period)."""

    data_starts: dt.date
    jurisdictions: Mapping[str, str]
    records: tuple[RateRecord, ...]
    periods: Mapping[str, tuple[tuple[dt.date, ...], tuple[tuple[RateRecord, ...], ...]]]

    @property
    def provinces(self) -> list[str]:
        """Province and territory codes, sorted."""
        return sorted(self.periods)

    def in_force(self, province: str, day: dt.date) -> tuple[RateRecord, ...]:
        """The records that apply in ``province`` on ``day``: GST first, or the HST alone.

        ``province`` must be one of :attr:`provinces` and ``day`` not before ``data_starts``
        (the caller checks; :mod:`hearth.tax.rules` turns both into domain errors).
        """
        starts, components = self.periods[province]
        return components[bisect_right(starts, day) - 1]


def _fail(index: int | None, message: str) -> RateDataError:
    where = f"rates[{index}]: " if index is not None else ""
    return RateDataError(where + message)


def _parse_date(value: Any, index: int, name: str) -> dt.date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _fail(index, f"{name} must be a YYYY-MM-DD string, not {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _fail(index, f"{name} is not a real date: {value!r}") from None


def _parse_record(index: int, raw: Any, jurisdictions: Mapping[str, str]) -> RateRecord:
    if not isinstance(raw, dict):
        raise _fail(index, "each record must be an object")
    expected = {
        "jurisdiction",
        "component",
        "rate",
        "base",
        "effective_from",
        "effective_to",
        "source",
    }
    if set(raw) != expected:
        missing, extra = expected - set(raw), set(raw) - expected
        raise _fail(
            index,
            f"keys must be exactly {sorted(expected)} (missing {sorted(missing)}, "
            f"unexpected {sorted(extra)})",
        )
    jurisdiction, component, base = raw["jurisdiction"], raw["component"], raw["base"]
    if jurisdiction not in jurisdictions:
        raise _fail(index, f"unknown jurisdiction {jurisdiction!r}")
    if jurisdiction == FEDERAL and component != GST:
        raise _fail(index, f"the federal jurisdiction only has GST, not {component!r}")
    if jurisdiction != FEDERAL and component not in PROVINCIAL_COMPONENTS:
        raise _fail(index, f"unknown provincial component {component!r} (HST, PST or QST)")
    if base not in BASES:
        raise _fail(index, f"base must be 'price' or 'price_plus_gst', not {base!r}")
    if base == "price_plus_gst" and component not in {PST, QST}:
        raise _fail(index, f"only PST or QST can be charged on price plus GST, not {component}")
    rate = raw["rate"]
    if not isinstance(rate, str) or not _RATE.fullmatch(rate) or Decimal(rate) == 0:
        raise _fail(index, f"rate must be a decimal string between 0 and 1, not {rate!r}")
    start = _parse_date(raw["effective_from"], index, "effective_from")
    end = None
    if raw["effective_to"] is not None:
        end = _parse_date(raw["effective_to"], index, "effective_to")
        if end < start:
            raise _fail(index, f"effective_to {end} is before effective_from {start}")
    source = raw["source"]
    if not isinstance(source, str) or not source.strip():
        raise _fail(index, "every record needs a source")
    return RateRecord(jurisdiction, component, Decimal(rate), base, start, end, source)


def _check_series(label: str, series: list[tuple[int, RateRecord]], data_starts: dt.date) -> None:
    """``series`` (sorted by start) runs from data_starts to an open end, no gap, no overlap."""
    first_index, first = series[0]
    if first.effective_from > data_starts:
        raise _fail(
            first_index,
            f"{label} starts on {first.effective_from}, after the data start {data_starts}: a gap",
        )
    for (_, previous), (index, record) in pairwise(series):
        if previous.effective_to is None or record.effective_from <= previous.effective_to:
            raise _fail(
                index,
                f"{label}: {record.component} from {record.effective_from} "
                f"overlaps {previous.component} {previous.effective_from}.."
                f"{previous.effective_to or 'open'}",
            )
        if record.effective_from != previous.effective_to + _ONE_DAY:
            raise _fail(
                index, f"{label}: gap between {previous.effective_to} and {record.effective_from}"
            )
    last_index, last = series[-1]
    if last.effective_to is not None:
        raise _fail(
            last_index,
            f"{label} ends on {last.effective_to}: the last period must "
            "be open (effective_to null)",
        )


def build_rate_table(document: Mapping[str, Any]) -> RateTable:
    """Validate the parsed rate file and precompute the lookup. Raises RateDataError."""
    try:
        data_starts = dt.date.fromisoformat(document["data_starts"])
        jurisdictions: dict[str, str] = dict(document["jurisdictions"])
        gst_only = set(document["gst_only"])
        raw_records = list(document["rates"])
    except (KeyError, TypeError, ValueError) as exc:
        raise _fail(
            None, f"the file needs data_starts, jurisdictions, gst_only, rates: {exc}"
        ) from exc
    if FEDERAL not in jurisdictions:
        raise _fail(None, "the federal jurisdiction CA must be listed")
    if not gst_only <= set(jurisdictions) - {FEDERAL}:
        raise _fail(None, f"gst_only names unknown provinces: {sorted(gst_only)}")

    records = [_parse_record(i, raw, jurisdictions) for i, raw in enumerate(raw_records)]
    by_jurisdiction: dict[str, list[tuple[int, RateRecord]]] = {j: [] for j in jurisdictions}
    for index, record in enumerate(records):
        by_jurisdiction[record.jurisdiction].append((index, record))
    for series in by_jurisdiction.values():
        series.sort(key=lambda item: item[1].effective_from)

    if not by_jurisdiction[FEDERAL]:
        raise _fail(None, "the federal GST has no records")
    _check_series("CA GST", by_jurisdiction[FEDERAL], data_starts)
    for code in jurisdictions:
        if code == FEDERAL:
            continue
        series = by_jurisdiction[code]
        if code in gst_only:
            if series:
                raise _fail(series[0][0], f"{code} is listed as gst_only but has records")
            continue
        if not series:
            raise _fail(None, f"{code} has no records and is not listed as gst_only")
        _check_series(code, series, data_starts)

    federal = [record for _, record in by_jurisdiction[FEDERAL]]
    periods = {
        code: _periods(federal, [r for _, r in by_jurisdiction[code]], data_starts)
        for code in jurisdictions
        if code != FEDERAL
    }
    return RateTable(data_starts, jurisdictions, tuple(records), periods)


def _periods(
    federal: list[RateRecord], own: list[RateRecord], data_starts: dt.date
) -> tuple[tuple[dt.date, ...], tuple[tuple[RateRecord, ...], ...]]:
    """Cut the timeline at every start date; list the components in force in each piece."""
    starts = sorted(
        {data_starts}
        | {r.effective_from for r in (*federal, *own) if r.effective_from > data_starts}
    )
    pieces: list[tuple[RateRecord, ...]] = []
    for start in starts:
        local = next((r for r in own if r.covers(start)), None)
        if local is not None and local.component == HST:
            pieces.append((local,))
            continue
        gst = next(r for r in federal if r.covers(start))
        pieces.append((gst,) if local is None else (gst, local))
    return tuple(starts), tuple(pieces)


def load_rate_table(path: Path | str = DATA_FILE) -> RateTable:
    """Read, validate and precompute a rate file (the default one unless ``path`` is given)."""
    with open(path, encoding="utf-8") as fh:
        try:
            document = json.load(fh)
        except json.JSONDecodeError as exc:
            raise RateDataError(f"{path}: not valid JSON: {exc}") from None
    return build_rate_table(document)


@cache
def default_rate_table() -> RateTable:
    """The shipped table, loaded and validated once per process."""
    return load_rate_table()


def records_for(table: RateTable, jurisdiction: str) -> Iterable[RateRecord]:
    """Every record of ``jurisdiction`` in date order (``CA`` for the federal GST)."""
    return sorted(
        (r for r in table.records if r.jurisdiction == jurisdiction),
        key=lambda r: r.effective_from,
    )
