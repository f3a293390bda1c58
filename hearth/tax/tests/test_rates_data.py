"""The rate file is validated when loaded: gaps, overlaps, unknown codes and bad decimals fail."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from hearth.tax.rates import DATA_FILE, RateDataError, build_rate_table, load_rate_table


def shipped() -> dict[str, Any]:
    with open(DATA_FILE, encoding="utf-8") as fh:
        return json.load(fh)


def index_of(document: dict[str, Any], jurisdiction: str, effective_from: str) -> int:
    return next(
        i
        for i, r in enumerate(document["rates"])
        if r["jurisdiction"] == jurisdiction and r["effective_from"] == effective_from
    )


@pytest.mark.promise("TOS-11")
def test_the_shipped_rate_file_loads_and_every_record_names_its_source() -> None:
    table = load_rate_table()
    assert table.data_starts == dt.date(2006, 1, 1)
    assert len(table.provinces) == 13
    assert all(len(record.source) > 20 for record in table.records)
    assert all(Decimal(0) < record.rate < Decimal(1) for record in table.records)


def test_a_gap_in_a_provinces_rates_is_refused() -> None:
    document = shipped()
    # Manitoba's 8% ends on 2019-06-30; make the 7% begin a day late.
    document["rates"][index_of(document, "MB", "2019-07-01")]["effective_from"] = "2019-07-02"
    with pytest.raises(RateDataError, match=r"MB: gap between 2019-06-30 and 2019-07-02"):
        build_rate_table(document)


def test_a_gap_between_hst_and_the_pst_it_replaced_is_refused() -> None:
    document = shipped()
    document["rates"][index_of(document, "BC", "2010-07-01")]["effective_to"] = "2013-03-30"
    with pytest.raises(RateDataError, match=r"BC: gap between 2013-03-30 and 2013-04-01"):
        build_rate_table(document)


def test_a_gap_in_the_federal_gst_is_refused() -> None:
    document = shipped()
    document["rates"][index_of(document, "CA", "2006-07-01")]["effective_to"] = "2007-12-30"
    with pytest.raises(RateDataError, match=r"CA GST: gap between 2007-12-30 and 2008-01-01"):
        build_rate_table(document)


def test_an_overlap_is_refused() -> None:
    document = shipped()
    # Nova Scotia's 15% runs one day into the 14% of 2025-04-01.
    document["rates"][index_of(document, "NS", "2010-07-01")]["effective_to"] = "2025-04-01"
    with pytest.raises(RateDataError, match=r"NS: HST from 2025-04-01 overlaps HST"):
        build_rate_table(document)


def test_hst_overlapping_a_pst_is_refused() -> None:
    document = shipped()
    document["rates"][index_of(document, "ON", "2006-01-01")]["effective_to"] = "2010-07-01"
    with pytest.raises(RateDataError, match=r"ON: HST from 2010-07-01 overlaps PST"):
        build_rate_table(document)


def test_an_open_period_followed_by_another_is_an_overlap() -> None:
    document = shipped()
    document["rates"][index_of(document, "SK", "2006-10-28")]["effective_to"] = None
    with pytest.raises(RateDataError, match=r"SK: PST from 2017-03-23 overlaps PST"):
        build_rate_table(document)


def test_a_province_that_starts_after_the_data_start_is_refused() -> None:
    document = shipped()
    document["rates"][index_of(document, "QC", "2006-01-01")]["effective_from"] = "2006-02-01"
    with pytest.raises(RateDataError, match=r"QC starts on 2006-02-01, after the data start"):
        build_rate_table(document)


def test_a_closed_last_period_is_refused() -> None:
    document = shipped()
    document["rates"][index_of(document, "NB", "2016-07-01")]["effective_to"] = "2030-12-31"
    with pytest.raises(RateDataError, match=r"the last period must be open"):
        build_rate_table(document)


def test_a_gst_only_territory_with_records_is_refused() -> None:
    document = shipped()
    extra = copy.deepcopy(document["rates"][index_of(document, "SK", "2017-03-23")])
    extra["jurisdiction"] = "YT"
    document["rates"].append(extra)
    with pytest.raises(RateDataError, match=r"YT is listed as gst_only but has records"):
        build_rate_table(document)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"jurisdiction": "XX"}, "unknown jurisdiction 'XX'"),
        ({"component": "VAT"}, "unknown provincial component 'VAT'"),
        ({"component": "GST"}, "unknown provincial component 'GST'"),
        ({"rate": 0.06}, "rate must be a decimal string"),
        ({"rate": "6%"}, "rate must be a decimal string"),
        ({"rate": "1.06"}, "rate must be a decimal string"),
        ({"rate": "0.0"}, "rate must be a decimal string"),
        ({"base": "price_plus_hst"}, "base must be 'price' or 'price_plus_gst'"),
        ({"effective_from": "2017-3-23"}, "effective_from must be a YYYY-MM-DD string"),
        ({"effective_from": "2017-02-30"}, "effective_from is not a real date"),
        ({"effective_to": "2017-03-01"}, "effective_to 2017-03-01 is before effective_from"),
        ({"source": "  "}, "every record needs a source"),
    ],
)
def test_malformed_records_are_refused(change: dict[str, Any], message: str) -> None:
    document = shipped()
    index = index_of(document, "SK", "2017-03-23")
    document["rates"][index].update(change)
    with pytest.raises(RateDataError, match=rf"rates\[{index}\]: {message}"):
        build_rate_table(document)


def test_the_federal_record_must_be_gst_and_hst_cannot_sit_on_price_plus_gst() -> None:
    document = shipped()
    document["rates"][index_of(document, "CA", "2008-01-01")]["component"] = "HST"
    with pytest.raises(RateDataError, match="the federal jurisdiction only has GST"):
        build_rate_table(document)
    document = shipped()
    document["rates"][index_of(document, "ON", "2010-07-01")]["base"] = "price_plus_gst"
    with pytest.raises(RateDataError, match="only PST or QST can be charged on price plus GST"):
        build_rate_table(document)


def test_an_unknown_key_is_refused() -> None:
    document = shipped()
    document["rates"][0]["note"] = "typo for source?"
    with pytest.raises(RateDataError, match=r"unexpected \['note'\]"):
        build_rate_table(document)
