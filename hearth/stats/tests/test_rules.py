"""Visitor statistics rules: agent families, bots, referring domains, visitor-day keys (PP-2)."""

from __future__ import annotations

import pytest

from hearth.stats import rules

pytestmark = pytest.mark.promise("PP-2")

CHROME_WIN = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
EDGE_WIN = CHROME_WIN + " Edg/131.0.0.0"
SAFARI_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
SAMSUNG = (
    "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36"
)
OPERA_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0"
)
CHROME_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1"
)
CHROMEOS = (
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    ("agent", "browser", "os"),
    [
        (CHROME_WIN, "Chrome", "Windows"),
        (EDGE_WIN, "Edge", "Windows"),
        (SAFARI_IOS, "Safari", "iOS"),
        (SAFARI_MAC, "Safari", "macOS"),
        (FIREFOX_LINUX, "Firefox", "Linux"),
        (CHROME_ANDROID, "Chrome", "Android"),
        (SAMSUNG, "Samsung Internet", "Android"),
        (OPERA_MAC, "Opera", "macOS"),
        (CHROME_IOS, "Chrome", "iOS"),
        (CHROMEOS, "Chrome", "ChromeOS"),
        ("SomethingNew/1.0", "Other", "Other"),
    ],
)
def test_an_agent_is_reduced_to_its_browser_and_os_families(agent, browser, os):
    assert (rules.browser_family(agent), rules.os_family(agent)) == (browser, os)
    assert not rules.is_bot(agent)


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "facebookexternalhit/1.1",
        "curl/8.5.0",
        "python-requests/2.32.3",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/131.0.0.0 Safari/537.36",
        "",
    ],
)
def test_bots_scripts_and_empty_agents_are_bots(agent):
    assert rules.is_bot(agent)


@pytest.mark.parametrize(
    ("referer", "domain"),
    [
        ("https://www.duckduckgo.com/?q=speakers+for+jane@example.com", "duckduckgo.com"),
        ("https://News.Example.org/a/b?c=d#e", "news.example.org"),
        ("https://shop.example.com/basket/", ""),  # ourselves
        ("https://www.shop.example.com/", ""),
        ("", ""),
        ("not a url", ""),
        ("https://[::1/", ""),
        ("javascript:alert(1)", ""),
        ("https://" + "a" * 120 + ".example/", ""),
        ("https://bad_host!.example/", ""),
    ],
)
def test_only_the_referring_sites_domain_is_kept(referer, domain):
    assert rules.referrer_domain(referer, own_host="shop.example.com:443") == domain


def test_the_visitor_key_depends_on_the_salt_ip_and_agent_and_reveals_neither():
    salt_a, salt_b = b"a" * 32, b"b" * 32
    key = rules.visitor_key(ip="203.0.113.7", user_agent=CHROME_WIN, salt=salt_a)
    assert key == rules.visitor_key(ip="203.0.113.7", user_agent=CHROME_WIN, salt=salt_a)
    assert key != rules.visitor_key(ip="203.0.113.7", user_agent=CHROME_WIN, salt=salt_b)
    assert key != rules.visitor_key(ip="203.0.113.8", user_agent=CHROME_WIN, salt=salt_a)
    assert key != rules.visitor_key(ip="203.0.113.7", user_agent=EDGE_WIN, salt=salt_a)
    assert len(key) == 32 and "203" not in key
    with pytest.raises(ValueError):
        rules.visitor_key(ip="203.0.113.7", user_agent=CHROME_WIN, salt=b"short")


@pytest.mark.parametrize(
    ("path", "counted"),
    [
        ("/", True),
        ("/shop/", True),
        ("/admin/", False),
        ("/back-office/x", False),
        ("/api/v1/x", False),
        ("/static/a.css", False),
        ("/healthz", False),
    ],
)
def test_back_office_api_and_assets_are_not_counted(path, counted):
    assert rules.countable_path(path) is counted


def test_a_long_path_is_capped():
    assert rules.page_key("/" + "x" * 1000) == "/" + "x" * (rules.MAX_PATH - 1)


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=HYPERLINK(1)", "'=HYPERLINK(1)"), ("+1", "'+1"), ("@a", "'@a"), ("/shop/", "/shop/")],
)
def test_csv_cells_never_start_a_formula(value, cell):
    assert rules.csv_cell(value) == cell


def test_agent_tables_are_validated():
    with pytest.raises(rules.StatsDataError):
        rules.parse_agents({"bot": [{"pattern": "(", "source": "x"}], "browser": [], "os": []})
    with pytest.raises(rules.StatsDataError):
        rules.parse_agents({"bot": [{"pattern": "x", "source": "s"}]})
