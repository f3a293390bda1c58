"""Visitor statistics rules (PP-2): pure functions over plain values, no Django, no clock.

What is counted of one page view, and how: the agent's families from a data table (never the
agent itself), the referring site's domain (never the full URL), the visitor-day key (a keyed
hash of IP and agent under the day's salt, never the IP), and the path without its query string.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import urlsplit

DATA = Path(__file__).resolve().parent / "data"
OTHER = "Other"
NONE = ""  # no referrer, or the site itself (shown as "(none)")
MAX_PATH = 200
MAX_DOMAIN = 100
_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$")


class StatsDataError(ValueError):
    """A statistics data file does not have the shape this module expects."""


@dataclass(frozen=True)
class Family:
    family: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class AgentTables:
    bots: tuple[re.Pattern[str], ...]
    browsers: tuple[Family, ...]
    systems: tuple[Family, ...]


def _compile(raw: object, where: str) -> re.Pattern[str]:
    if not isinstance(raw, str):
        raise StatsDataError(f"{where}: pattern must be a string")
    try:
        return re.compile(raw, re.IGNORECASE)
    except re.error as exc:
        raise StatsDataError(f"{where}: {exc}") from exc


def parse_agents(doc: dict[str, object]) -> AgentTables:
    def rows(name: str) -> list[dict[str, object]]:
        table = doc.get(name)
        if not isinstance(table, list) or not table:
            raise StatsDataError(f"user_agents.toml needs [[{name}]] entries")
        for i, row in enumerate(table):
            if not isinstance(row, dict) or not isinstance(row.get("source"), str):
                raise StatsDataError(f"[[{name}]] #{i + 1}: needs a pattern and a source")
        return table

    bots = tuple(_compile(r.get("pattern"), f"[[bot]] #{i + 1}") for i, r in enumerate(rows("bot")))

    def families(name: str) -> tuple[Family, ...]:
        out = []
        for i, r in enumerate(rows(name)):
            family = r.get("family")
            if not isinstance(family, str) or not family.strip():
                raise StatsDataError(f"[[{name}]] #{i + 1}: needs a family")
            out.append(Family(family, _compile(r.get("pattern"), f"[[{name}]] #{i + 1}")))
        return tuple(out)

    return AgentTables(bots=bots, browsers=families("browser"), systems=families("os"))


@cache
def agent_tables() -> AgentTables:
    with (DATA / "user_agents.toml").open("rb") as fh:
        return parse_agents(tomllib.load(fh))


@cache
def excluded_prefixes() -> tuple[str, ...]:
    with (DATA / "counting.toml").open("rb") as fh:
        doc = tomllib.load(fh)
    rows = doc.get("excluded_prefix", [])
    prefixes = tuple(r["prefix"] for r in rows if isinstance(r.get("prefix"), str))
    if len(prefixes) != len(rows) or not all(p.startswith("/") for p in prefixes):
        raise StatsDataError("counting.toml: each [[excluded_prefix]] needs a /prefix")
    return prefixes


@dataclass(frozen=True)
class Agent:
    bot: bool
    browser: str
    os: str


@lru_cache(maxsize=4096)
def classify_agent(user_agent: str) -> Agent:
    """An agent's families from the data table, cached (real traffic repeats a few hundred
    agents; the cache is bounded, so a flood of invented agents costs time, not memory)."""
    tables = agent_tables()
    return Agent(
        is_bot(user_agent, tables),
        browser_family(user_agent, tables),
        os_family(user_agent, tables),
    )


def is_bot(user_agent: str, tables: AgentTables | None = None) -> bool:
    tables = tables or agent_tables()
    return any(p.search(user_agent) for p in tables.bots)


def _family(user_agent: str, families: tuple[Family, ...]) -> str:
    return next((f.family for f in families if f.pattern.search(user_agent)), OTHER)


def browser_family(user_agent: str, tables: AgentTables | None = None) -> str:
    return _family(user_agent, (tables or agent_tables()).browsers)


def os_family(user_agent: str, tables: AgentTables | None = None) -> str:
    return _family(user_agent, (tables or agent_tables()).systems)


@lru_cache(maxsize=4096)
def referrer_domain(referer: str, *, own_host: str) -> str:
    """The referring site's domain (lower case, no ``www.``), or "" for none, ourselves or junk.

    Only the host is kept: a referring URL's path and query can carry another site's personal
    data (a search, an email in a link), which PP-2 has no use for.
    """
    if not referer:
        return NONE
    try:
        host = (urlsplit(referer.strip()).hostname or "").rstrip(".")
    except ValueError:
        return NONE
    if host.startswith("www."):
        host = host[4:]
    own = own_host.split(":", 1)[0].lower()
    own = own[4:] if own.startswith("www.") else own
    if not host or host == own or len(host) > MAX_DOMAIN or not _DOMAIN.match(host):
        return NONE
    return host


def countable_path(path: str, prefixes: tuple[str, ...] | None = None) -> bool:
    prefixes = excluded_prefixes() if prefixes is None else prefixes
    return not any(path.startswith(p) for p in prefixes)


def page_key(path: str) -> str:
    """The path as counted: capped in length (a flood of long paths cannot grow a row)."""
    return path[:MAX_PATH]


def visitor_key(*, ip: str, user_agent: str, salt: bytes) -> str:
    """A visitor-day key: keyed BLAKE2b of IP and agent under the day's salt (GoatCounter's way).

    The same visitor on the same day gets the same key; with the day's salt destroyed, nobody
    (not even Hearth) can link the key to an IP or to another day's key.
    """
    if len(salt) < 16:
        raise ValueError("the daily salt must be at least 16 bytes")
    message = ip.encode("utf-8", "replace") + b"\x00" + user_agent.encode("utf-8", "replace")
    return hashlib.blake2b(message, key=salt[:64], digest_size=16).hexdigest()


def csv_cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value
