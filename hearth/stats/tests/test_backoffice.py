"""The statistics back office: who may see it, charts without JavaScript, the CSV (PP-2)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client

from hearth.core import clock
from hearth.stats import repository
from hearth.stats.models import Dimension

pytestmark = pytest.mark.promise("PP-2")

URL = "/back-office/statistics/"
TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def rollups(db):
    rows = []
    for n in range(30):
        day = TODAY - dt.timedelta(days=n)
        rows += [
            (day, Dimension.VIEWS.value, "", 100 + n),
            (day, Dimension.VISITORS.value, "", 40 + n),
            (day, Dimension.PAGE.value, "/", 60),
            (day, Dimension.PAGE.value, "/shop/speaker/", 40 + n),
            (day, Dimension.REFERRER.value, "search.example", 10),
            (day, Dimension.REFERRER.value, "=cmd()", 1),
            (day, Dimension.BROWSER.value, "Firefox", 100 + n),
            (day, Dimension.OS.value, "Linux", 100 + n),
        ]
    repository.add_counts(rows)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (None, 302),
        ("care_agent", 403),
        ("warehouse", 403),
        ("marketing", 200),
        ("administrator", 200),
    ],
)
def test_only_administrators_and_marketing_see_visitor_statistics(
    rollups, staff_client, role, status
):
    client = staff_client(role) if role else Client()
    with clock.frozen(NOW):
        assert client.get(URL).status_code == status
        assert client.get(URL + "export.csv").status_code == status


def test_the_dashboard_draws_views_visitors_and_top_lists_as_svg(rollups, staff_client):
    with clock.frozen(NOW):
        response = staff_client("administrator").get(URL)
    html = response.content.decode().split('id="content-main"')[1]
    # views, visitors, pages, referrers, browsers, OS (no entry or exit pages in these rollups)
    assert html.count('role="img"') == 6
    assert html.count("Nothing counted in these days.") == 2
    assert "<script" not in html
    assert "/shop/speaker/: 1,635" in html  # 30 days summed: sum(40..69)
    assert "search.example: 300" in html
    assert "11-20: 100" in html


def test_the_csv_export_holds_the_aggregates_of_the_range(rollups, staff_client):
    with clock.frozen(NOW):
        response = staff_client("marketing").get(URL + "export.csv?start=2026-11-19&end=2026-11-20")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["day", "dimension", "key", "count"]
    assert ["2026-11-20", "views", "", "100"] in rows
    assert ["2026-11-19", "page", "/shop/speaker/", "41"] in rows
    assert ["2026-11-20", "referrer", "'=cmd()", "1"] in rows  # never a formula
    assert {r[0] for r in rows[1:]} == {"2026-11-19", "2026-11-20"}


@pytest.mark.parametrize(
    "query",
    [
        "start=yesterday&end=2026-11-20",
        "start=2026-11-20&end=2026-11-01",
        "start=2020-01-01&end=2026-11-20",
    ],
)
def test_a_bad_range_is_refused_beside_its_field(rollups, staff_client, query):
    client = staff_client("administrator")
    with clock.frozen(NOW):
        page = client.get(f"{URL}?{query}")
        export = client.get(f"{URL}export.csv?{query}")
    assert page.status_code == 400 and export.status_code == 400
    html = page.content.decode().split('id="content-main"')[1]
    assert "aria-describedby" in html and 'role="img"' not in html
