"""The cookie inventory, the visitor's choice and Global Privacy Control (issue #15; PP-6, PP-11).

- :func:`inventory` loads ``data/cookies.toml`` once (every cookie Hearth may send).
- :func:`consent_for` is what a request allows (``rules.cookie_consent``), read once per request
  from the signed ``hearth_cookie_choice`` cookie and the ``Sec-GPC`` header.
- :func:`remember_choice` writes the choice cookie (only the choice and the inventory version,
  signed) and, for a signed-in customer, the consent ledger.
- :func:`statistics_allowed` is what visitor statistics must ask (refused, GPC or DNT: False).
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from django.core import signing
from django.db import DatabaseError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse

from hearth.core.clock import EASTERN
from hearth.privacy import rules
from hearth.privacy.taxonomy import DATA_DIR, DataFileError, read_toml

logger = logging.getLogger("hearth.privacy.cookies")

CHOICE_COOKIE = "hearth_cookie_choice"
_SALT = "hearth.privacy.cookie-choice"
# The ledger purpose that records each optional category for signed-in customers.
LEDGER_PURPOSE = {"functional": "cookies_functional", "statistics": "cookies_statistics"}
SALE_OR_SHARE = "sale_or_share"
_GPC_SESSION_KEY = "gpc_recorded"


@dataclass(frozen=True)
class CookieCategory:
    key: str
    name: str
    necessary: bool
    description: str


@dataclass(frozen=True)
class CookieEntry:
    name: str
    category: str
    purpose: str
    lifetime: str  # "session" | "persistent"
    typed_input: bool
    needed_for: tuple[str, ...]
    max_age_days: int | None = None


@dataclass(frozen=True)
class CookieInventory:
    version: int
    categories: tuple[CookieCategory, ...]
    cookies: tuple[CookieEntry, ...]

    @cached_property
    def category_of(self) -> dict[str, str]:
        return {c.name: c.category for c in self.cookies}

    @cached_property
    def necessary(self) -> frozenset[str]:
        return frozenset(c.key for c in self.categories if c.necessary)

    @cached_property
    def optional(self) -> frozenset[str]:
        return frozenset(c.key for c in self.categories if not c.necessary)

    @cached_property
    def known(self) -> frozenset[str]:
        return frozenset(c.key for c in self.categories)

    def cookies_in(self, category: str) -> list[CookieEntry]:
        return [c for c in self.cookies if c.category == category]


@cache
def inventory() -> CookieInventory:
    data = read_toml(DATA_DIR / "cookies.toml")
    categories = tuple(CookieCategory(**row) for row in data.get("category", []))
    keys = {c.key for c in categories}
    cookies: list[CookieEntry] = []
    for row in data.get("cookie", []):
        entry = CookieEntry(**{**row, "needed_for": tuple(row.get("needed_for", ()))})
        if entry.category not in keys or entry.lifetime not in ("session", "persistent"):
            raise DataFileError(f"cookies.toml: bad entry {entry.name!r}")
        if (entry.lifetime == "persistent") != (entry.max_age_days is not None):
            raise DataFileError(f"cookies.toml: {entry.name!r}: max_age_days iff persistent")
        cookies.append(entry)
    if len({c.name for c in cookies}) != len(cookies):
        raise DataFileError("cookies.toml: a cookie is listed twice")
    return CookieInventory(int(data["version"]), categories, tuple(cookies))


def _read_choice(request: HttpRequest) -> tuple[int, dict[str, bool]] | None:
    raw = request.COOKIES.get(CHOICE_COOKIE)
    if not raw:
        return None
    try:
        payload = signing.Signer(salt=_SALT).unsign(raw)
    except signing.BadSignature:
        return None  # forged or tampered: nothing accepted
    return rules.parse_cookie_choice(payload, inventory().known)


def consent_for(request: HttpRequest) -> rules.CookieConsent:
    """What this request allows, computed once and kept on the request."""
    cached: rules.CookieConsent | None = getattr(request, "_cookie_consent", None)
    if cached is None:
        inv = inventory()
        cached = rules.cookie_consent(
            _read_choice(request),
            current_version=inv.version,
            optional=inv.optional,
            gpc=rules.gpc_signal(request.META.get("HTTP_SEC_GPC")),
        )
        request._cookie_consent = cached  # type: ignore[attr-defined]
    return cached


def may_set(request: HttpRequest, name: str) -> bool:
    """Whether a cookie may be sent to this visitor (callers ask before ``set_cookie``)."""
    inv = inventory()
    if inv.category_of.get(name) in inv.necessary:
        return True  # the common case, without reading the choice cookie
    verdict = rules.cookie_verdict(
        name,
        category_of=inv.category_of,
        necessary=inv.necessary,
        accepted=consent_for(request).accepted,
    )
    return verdict is rules.CookieVerdict.ALLOWED


def statistics_allowed(request: HttpRequest) -> bool:
    """Visitor statistics (cookieless, aggregate only) may count this request.

    Reading of "visitors who refused statistics are not counted": a visitor who has not chosen
    yet is counted; one whose choice refuses statistics, or whose choice cookie is forged or
    unreadable (nothing accepted), or who sends GPC or DNT, is not.
    """
    meta = request.META
    if rules.gpc_signal(meta.get("HTTP_SEC_GPC")) or rules.dnt_signal(meta.get("HTTP_DNT")):
        return False
    if CHOICE_COOKIE not in request.COOKIES:
        return True
    return "statistics" in consent_for(request).accepted


def remember_choice(
    request: HttpRequest, response: HttpResponse, accepted: set[str], *, at: dt.datetime
) -> rules.CookieConsent:
    """Keep the choice: the signed cookie, and the ledger for a signed-in customer."""
    inv = inventory()
    decided = {key: key in accepted for key in inv.optional}
    payload = rules.format_cookie_choice(inv.version, decided)
    value = signing.Signer(salt=_SALT).sign(payload)
    entry = next(c for c in inv.cookies if c.name == CHOICE_COOKIE)
    consent = rules.cookie_consent(
        (inv.version, decided), current_version=inv.version, optional=inv.optional, gpc=False
    )
    request._cookie_consent = consent  # type: ignore[attr-defined]
    response.set_cookie(
        CHOICE_COOKIE,
        value,
        max_age=(entry.max_age_days or 365) * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        _record_in_ledger(user, decided, at=at, source="cookie choice (/cookies/)")
    return consent


def _record_in_ledger(user: Any, decided: dict[str, bool], *, at: dt.datetime, source: str) -> None:
    from hearth.privacy.models import ConsentKind
    from hearth.privacy.selectors import current_consents
    from hearth.privacy.services import record_consent

    states = current_consents(at=at, user=user)
    with transaction.atomic():
        for category, granted in sorted(decided.items()):
            purpose = LEDGER_PURPOSE[category]
            state = states[purpose]
            if state.since is not None and state.granted == granted:
                continue
            record_consent(
                purpose=purpose,
                granted=granted,
                kind=ConsentKind.EXPRESS,
                source=source,
                at=at,
                user=user,
            )


class GpcCounter:
    """Anonymous page views with Global Privacy Control, per day, counted in this process and
    written in batches: one UPDATE per day every ``flush_views`` views or ``flush_seconds``
    (checked when a view is added), and at exit. Browsers such as Brave send the signal on every
    request, so a write per page view would tie the shop's speed to it. Memory is one integer per
    day. A crash loses at most one batch of a count that identifies nobody."""

    def __init__(self, *, flush_views: int = 200, flush_seconds: float = 10.0) -> None:
        self.flush_views = flush_views
        self.flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self._pending: dict[dt.date, int] = {}
        self._views = 0
        self._since = time.monotonic()

    def add(self, day: dt.date) -> None:
        with self._lock:
            self._pending[day] = self._pending.get(day, 0) + 1
            self._views += 1
            due = (
                self._views >= self.flush_views
                or time.monotonic() - self._since >= self.flush_seconds
            )
        if due:
            self.flush()

    def flush(self) -> int:
        """Write the pending counts; on a database error they stay pending. Returns the views."""
        with self._lock:
            pending, self._pending = self._pending, {}
            self._views, self._since = 0, time.monotonic()
        try:
            for day, views in sorted(pending.items()):
                _add_gpc_views(day, views)
        except DatabaseError:
            logger.exception("GPC counts not written; kept for the next flush")
            with self._lock:
                for day, views in pending.items():
                    self._pending[day] = self._pending.get(day, 0) + views
                    self._views += views
            return 0
        return sum(pending.values())


def _add_gpc_views(day: dt.date, views: int) -> None:
    from hearth.privacy.models import GpcSignalDay

    with transaction.atomic():
        if GpcSignalDay.objects.filter(day=day).update(page_views=F("page_views") + views):
            return
        _row, created = GpcSignalDay.objects.select_for_update().get_or_create(
            day=day, defaults={"page_views": views}
        )
        if not created:
            GpcSignalDay.objects.filter(day=day).update(page_views=F("page_views") + views)


gpc_counter = GpcCounter()


@atexit.register
def _flush_gpc_at_exit() -> None:  # pragma: no cover - runs as the process ends
    try:
        gpc_counter.flush()
    except Exception:  # the database may already be gone at exit
        logger.warning("GPC counts lost at exit", exc_info=True)


def record_gpc(request: HttpRequest, *, at: dt.datetime) -> None:
    """Honour a request's Global Privacy Control signal in the records.

    A signed-in customer: once per session, the ledger withdraws every optional cookie category
    and records the opt-out of any disclosure that could count as a sale or share (PP-6).
    Anyone else: one more page view on the day's aggregate count, with no identity.
    """
    from hearth.privacy.models import ConsentKind
    from hearth.privacy.selectors import current_consents
    from hearth.privacy.services import record_consent

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        gpc_counter.add(at.astimezone(EASTERN).date())  # the shop's day, as statistics count it
        return
    session = getattr(request, "session", None)
    if session is not None and session.get(_GPC_SESSION_KEY):
        return
    states = current_consents(at=at, user=user)
    source = "Global Privacy Control (Sec-GPC: 1)"
    with transaction.atomic():
        for purpose in (*LEDGER_PURPOSE.values(), SALE_OR_SHARE):
            if states[purpose].since is not None and not states[purpose].granted:
                continue
            record_consent(
                purpose=purpose,
                granted=False,
                kind=ConsentKind.EXPRESS,
                source=source,
                at=at,
                user=user,
                evidence="Sec-GPC: 1",
            )
    if session is not None:
        session[_GPC_SESSION_KEY] = True
