"""Visitor statistics end to end through HTTP (PP-2): what is counted, the salt, the recount."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hearth.core import clock
from hearth.stats import rules, selectors, services
from hearth.stats.models import DailyCount, DailySalt, Dimension, VisitorDay
from hearth.stats.tests.test_rules import CHROME_WIN, FIREFOX_LINUX, SAFARI_IOS

pytestmark = [pytest.mark.promise("PP-2"), pytest.mark.urls("hearth.stats.tests.urls")]

TORONTO = ZoneInfo("America/Toronto")
DAY1 = dt.date(2026, 11, 2)
DAY2 = dt.date(2026, 11, 3)


def at(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=TORONTO)


def visit(
    path: str, *, when: dt.datetime, ip: str = "203.0.113.7", agent: str = CHROME_WIN, **headers
):
    with clock.frozen(when):
        return Client().get(path, REMOTE_ADDR=ip, HTTP_USER_AGENT=agent, **headers)


def counts(dimension: Dimension, day: dt.date) -> dict[str, int]:
    return dict(DailyCount.objects.filter(day=day, dimension=dimension).values_list("key", "count"))


def close(after: dt.date) -> list[dt.date]:
    return services.close_days(now=at(after + dt.timedelta(days=1), 0, 30))


def test_a_page_view_is_counted_by_path_referrer_browser_and_os_without_ip_or_agent(stats_on):
    response = visit("/about/", when=at(DAY1, 10), HTTP_REFERER="https://www.search.example/?q=x")
    assert response.status_code == 200
    assert not response.cookies  # no cookie
    services.flush()
    assert counts(Dimension.VIEWS, DAY1) == {"": 1}
    assert counts(Dimension.PAGE, DAY1) == {"/about/": 1}
    assert counts(Dimension.REFERRER, DAY1) == {"search.example": 1}
    assert counts(Dimension.BROWSER, DAY1) == {"Chrome": 1}
    assert counts(Dimension.OS, DAY1) == {"Windows": 1}
    stored = [str(v) for row in VisitorDay.objects.values_list() for v in row]
    stored += [str(v) for row in DailyCount.objects.values_list() for v in row]
    assert not any("203.0.113" in v or "Mozilla" in v for v in stored)


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/about/", {"HTTP_SEC_GPC": "1"}),
        ("/about/", {"HTTP_DNT": "1"}),
        ("/about/", {"HTTP_USER_AGENT": "Mozilla/5.0 (compatible; Googlebot/2.1)"}),
        ("/about/", {"HTTP_USER_AGENT": ""}),
        ("/about/", {"HTTP_SEC_PURPOSE": "prefetch"}),
        ("/data.json", {}),  # not HTML
        ("/moved/", {}),  # a redirect
        ("/missing/", {}),  # a 404
        ("/api/v1/page/", {}),
        ("/admin/page/", {}),
        ("/back-office/statistics/", {}),
    ],
)
def test_refusals_bots_and_what_is_no_page_are_not_counted(stats_on, path, headers):
    with clock.frozen(at(DAY1, 10)):
        client = Client()
        kwargs = {"REMOTE_ADDR": "203.0.113.7", "HTTP_USER_AGENT": CHROME_WIN, **headers}
        client.get(path, **kwargs)
        client.head("/about/", **kwargs)
        client.post("/about/", **kwargs)
    assert len(services.BUFFER) == 0
    services.flush()
    assert not DailyCount.objects.exists()
    assert not VisitorDay.objects.exists()


def test_no_database_write_or_read_per_request_below_the_flush_size(stats_on):
    visit("/", when=at(DAY1, 9))  # the day's salt: read (made) once per process and day
    with clock.frozen(at(DAY1, 10)), CaptureQueriesContext(connection) as queries:
        for n in range(50):
            Client().get(f"/shop/p{n}/", REMOTE_ADDR=f"198.51.100.{n}", HTTP_USER_AGENT=CHROME_WIN)
    assert [q["sql"] for q in queries.captured_queries] == []
    assert len(services.BUFFER) > 50
    with CaptureQueriesContext(connection) as flushing:
        services.flush()
    writes = [q["sql"] for q in flushing.captured_queries if "INSERT" in q["sql"]]
    assert len(writes) <= 2  # one executemany per table (captured once each on PostgreSQL)
    assert counts(Dimension.VIEWS, DAY1) == {"": 51}


def test_the_buffer_flushes_itself_at_its_flush_size(stats_on, settings):
    settings.HEARTH_STATS = {**settings.HEARTH_STATS, "FLUSH_SIZE": 20, "MAX_KEYS": 40}
    services.BUFFER = services.new_buffer()
    for n in range(10):
        visit(f"/shop/p{n}/", when=at(DAY1, 10, n), ip=f"198.51.100.{n}")
    assert len(services.BUFFER) < 20
    services.flush()
    assert counts(Dimension.VIEWS, DAY1) == {"": 10}


def test_the_daily_salt_rotates_and_a_closed_days_salt_and_keys_are_gone(stats_on):
    visit("/", when=at(DAY1, 23, 59), ip="203.0.113.7")
    services.flush()
    day1_keys = set(VisitorDay.objects.filter(day=DAY1).values_list("visitor", flat=True))
    day1_salt = bytes(DailySalt.objects.get(day=DAY1).salt)
    visit("/", when=at(DAY2, 0, 1), ip="203.0.113.7")  # same person, same browser, next day
    services.flush()
    day2_keys = set(VisitorDay.objects.filter(day=DAY2).values_list("visitor", flat=True))
    assert len(day1_keys) == len(day2_keys) == 1
    assert day1_keys.isdisjoint(day2_keys)
    assert bytes(DailySalt.objects.get(day=DAY2).salt) != day1_salt

    # Before the grace after midnight nothing closes; after it, day 1's salt and keys are gone.
    assert services.close_days(now=at(DAY2, 0, 5)) == []
    assert services.close_days(now=at(DAY2, 0, 16)) == [DAY1]
    assert not DailySalt.objects.filter(day=DAY1).exists()
    assert not VisitorDay.objects.filter(day=DAY1).exists()
    assert DailySalt.objects.filter(day=DAY2).exists()
    assert counts(Dimension.VISITORS, DAY1) == {"": 1}
    assert counts(Dimension.ENTRY, DAY1) == {"/": 1} == counts(Dimension.EXIT, DAY1)
    assert services.close_days(now=at(DAY2, 0, 17)) == []  # safe to run twice


def test_two_days_keys_never_match_for_many_visitors(stats_on):
    people = [(f"198.51.100.{n}", agent) for n in range(40) for agent in (CHROME_WIN, SAFARI_IOS)]
    for day in (DAY1, DAY2):
        for ip, agent in people:
            visit("/", when=at(day, 12), ip=ip, agent=agent)
        services.flush()
    keys = {
        day: set(VisitorDay.objects.filter(day=day).values_list("visitor", flat=True))
        for day in (DAY1, DAY2)
    }
    assert len(keys[DAY1]) == len(keys[DAY2]) == len(people)
    assert keys[DAY1].isdisjoint(keys[DAY2])


def test_entry_and_exit_pages_are_a_visitor_days_first_and_last_page(stats_on):
    visit("/", when=at(DAY1, 9), ip="203.0.113.1")
    visit("/shop/a/", when=at(DAY1, 9, 5), ip="203.0.113.1")
    services.flush()  # across flushes (and workers), the first and the last page win
    visit("/about/", when=at(DAY1, 9, 10), ip="203.0.113.1")
    visit("/shop/a/", when=at(DAY1, 11), ip="203.0.113.2")  # one page: entry and exit
    services.flush()
    close(DAY1)
    assert counts(Dimension.ENTRY, DAY1) == {"/": 1, "/shop/a/": 1}
    assert counts(Dimension.EXIT, DAY1) == {"/about/": 1, "/shop/a/": 1}
    assert counts(Dimension.VISITORS, DAY1) == {"": 2}


PATHS = [
    "/",
    "/about/",
    "/shop/speaker/",
    "/shop/dock/",
    "/shop/amp/",
    "/data.json",
    "/api/v1/page/",
]
AGENTS = {
    CHROME_WIN: ("Chrome", "Windows"),
    SAFARI_IOS: ("Safari", "iOS"),
    FIREFOX_LINUX: ("Firefox", "Linux"),
    "Mozilla/5.0 (compatible; bingbot/2.0)": None,
}
REFERRERS = {
    "": "",
    "https://www.search.example/?q=a": "search.example",
    "https://news.example.org/x": "news.example.org",
    "http://testserver/": "",
}


def test_statistics_equal_a_recount_from_the_request_log(stats_on):
    rnd = random.Random(15)
    log = []
    for day in (DAY1, DAY2):
        seconds = sorted(rnd.sample(range(86_400), 300))
        for s in seconds:
            log.append(
                {
                    "when": at(day, 0) + dt.timedelta(seconds=s),
                    "path": rnd.choice(PATHS),
                    "ip": f"198.51.100.{rnd.randrange(30)}",
                    "agent": rnd.choice(list(AGENTS)),
                    "referer": rnd.choice(list(REFERRERS)),
                    "gpc": rnd.random() < 0.1,
                }
            )
    for i, entry in enumerate(log):
        headers = {"HTTP_REFERER": entry["referer"]} if entry["referer"] else {}
        if entry["gpc"]:
            headers["HTTP_SEC_GPC"] = "1"
        visit(entry["path"], when=entry["when"], ip=entry["ip"], agent=entry["agent"], **headers)
        if i % 97 == 0:
            services.flush()
    services.flush()
    close(DAY1)  # day 1 from the rollups, day 2 still open (from its visitor-days)

    # The recount, from the log alone.
    expected: dict[tuple[dt.date, str], Counter[str]] = defaultdict(Counter)
    first: dict[tuple[dt.date, str, str], tuple[dt.datetime, str]] = {}
    last: dict[tuple[dt.date, str, str], tuple[dt.datetime, str]] = {}
    for e in log:
        families = AGENTS[e["agent"]]
        if e["gpc"] or families is None or e["path"] in {"/data.json", "/api/v1/page/"}:
            continue
        day = e["when"].date()
        expected[(day, "views")][""] += 1
        expected[(day, "page")][e["path"]] += 1
        expected[(day, "referrer")][REFERRERS[e["referer"]]] += 1
        expected[(day, "browser")][families[0]] += 1
        expected[(day, "os")][families[1]] += 1
        who = (day, e["ip"], e["agent"])
        first.setdefault(who, (e["when"], e["path"]))
        last[who] = (e["when"], e["path"])
    for who, (_when, path) in first.items():
        expected[(who[0], "entry")][path] += 1
        expected[(who[0], "visitors")][""] += 1
    for who, (_when, path) in last.items():
        expected[(who[0], "exit")][path] += 1

    for day in (DAY1, DAY2):
        for dim in ("page", "referrer", "browser", "os", "entry", "exit"):
            got = dict(selectors.top(Dimension(dim), start=day, end=day, limit=None))
            assert got == dict(expected[(day, dim)]), (day, dim)
    assert selectors.per_day(start=DAY1, end=DAY2) == [
        selectors.DayFigures(d, expected[(d, "views")][""], expected[(d, "visitors")][""])
        for d in (DAY1, DAY2)
    ]
    exported = Counter()
    for day, dim, key, n in selectors.export_rows(start=DAY1, end=DAY2):
        exported[(day, dim, key)] += n
    assert exported == Counter(
        {(d, dim, key): n for (d, dim), c in expected.items() for key, n in c.items()}
    )
    assert rules.OTHER not in dict(selectors.top(Dimension.BROWSER, start=DAY1, end=DAY2))


def test_a_failed_flush_raises_nothing_and_its_views_are_counted_as_dropped(stats_on, monkeypatch):
    from django.db import OperationalError

    from hearth.stats import repository

    for n in range(3):
        visit("/about/", when=at(DAY1, 10, n), ip=f"198.51.100.{n}")
    assert len(services.BUFFER) > 0

    def database_down(batch):
        raise OperationalError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(repository, "write_batch", database_down)
        assert services.flush() == 0
    assert services.flush() > 0
    assert counts(Dimension.DROPPED, DAY1) == {"": 3}
    assert not counts(Dimension.VIEWS, DAY1)


def test_past_days_close_on_the_schedulers_periodic_task(stats_on, settings):
    from hearth.stats import tasks

    assert ("hearth.stats.tasks.close_days", 600) in settings.HEARTH_PERIODIC_TASKS
    visit("/", when=at(DAY1, 12))
    services.flush()
    with clock.frozen(at(DAY2, 1)):
        assert tasks.close_days.call() == 1
    assert not DailySalt.objects.filter(day=DAY1).exists()
    assert counts(Dimension.VISITORS, DAY1) == {"": 1}


@pytest.mark.promise("PP-11")
@pytest.mark.parametrize(
    ("action", "forged", "counted"),
    [(None, False, 1), ("accept_all", False, 1), ("refuse_all", False, 0), (None, True, 0)],
)
def test_a_visitor_who_refused_statistics_or_whose_choice_is_forged_is_not_counted(
    stats_on, action, forged, counted
):
    from hearth.privacy import cookie_policy

    client = Client()
    with clock.frozen(at(DAY1, 10)):
        if action:  # through the site's own choice form (/cookies/, no JavaScript)
            client.get("/cookies/")
            client.post("/cookies/", {"action": action})
        if forged:
            client.cookies[cookie_policy.CHOICE_COOKIE] = "1:functional=1,statistics=1:forged"
        client.get("/about/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT=CHROME_WIN)
    services.flush()
    assert counts(Dimension.PAGE, DAY1).get("/about/", 0) == counted
