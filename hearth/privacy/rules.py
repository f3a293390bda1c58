"""Pure privacy rules: no ORM, no Django, no clock reads (time is always an argument)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

# --- Time arithmetic (PROMISES.md "Day counting": 29 February + 1 year = 28 February).


def add_months(at: dt.datetime, months: int) -> dt.datetime:
    """Same day-of-month ``months`` later, clamped to the month's last day; time kept."""
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    day = min(at.day, calendar.monthrange(year, month)[1])
    return at.replace(year=year, month=month, day=day)


def add_years(at: dt.datetime, years: int) -> dt.datetime:
    return add_months(at, 12 * years)


# --- Consent (CASL; PP-5, PP-8, PP-9).


class Kind(StrEnum):
    EXPRESS = "express"
    IMPLIED = "implied"


class ImpliedFrom(StrEnum):
    PURCHASE = "purchase"
    ENQUIRY = "enquiry"


# CASL s.10(10): an existing business relationship implies consent for 2 years after a purchase
# and 6 months after an enquiry.
IMPLIED_CONSENT_MONTHS: dict[ImpliedFrom, int] = {
    ImpliedFrom.PURCHASE: 24,
    ImpliedFrom.ENQUIRY: 6,
}


def implied_expiry(at: dt.datetime, implied_from: ImpliedFrom | str) -> dt.datetime:
    """When implied consent from a purchase or an enquiry at ``at`` runs out."""
    return add_months(at, IMPLIED_CONSENT_MONTHS[ImpliedFrom(implied_from)])


@dataclass(frozen=True)
class ConsentEvent:
    """One ledger record, reduced to what the derivation needs."""

    at: dt.datetime
    granted: bool
    kind: Kind = Kind.EXPRESS
    expires_at: dt.datetime | None = None
    policy_version: str = ""


@dataclass(frozen=True)
class ConsentState:
    granted: bool
    kind: Kind | None = None
    since: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    policy_version: str = ""


NO_CONSENT = ConsentState(granted=False)


def consent_state(
    events: Sequence[ConsentEvent], at: dt.datetime, *, implied_allowed: bool = True
) -> ConsentState:
    """Consent in force at ``at``, derived from the ledger in recording order.

    The last record at or before ``at`` wins (a withdrawal takes effect at once), with three
    refinements: implied consent counts only where the purpose allows it and only until it
    expires; an implied grant does not lower an express grant in force (it can only extend
    an implied one: the later expiry wins); and an implied grant never overrides a withdrawal
    or refusal (an unsubscribe, an opt-out box): after one, only an express grant counts again.
    """
    state = NO_CONSENT
    refused = False
    for event in events:
        if event.at > at:
            continue
        if not event.granted:
            refused = True
            state = ConsentState(False, event.kind, event.at, None, event.policy_version)
        elif event.kind == Kind.EXPRESS:
            refused = False
            state = ConsentState(True, Kind.EXPRESS, event.at, None, event.policy_version)
        elif refused or not implied_allowed or (state.granted and state.kind == Kind.EXPRESS):
            continue
        elif state.granted and state.kind == Kind.IMPLIED and _in_force(state, event.at):
            later = max(filter(None, (state.expires_at, event.expires_at)), default=None)
            state = ConsentState(True, Kind.IMPLIED, state.since, later, state.policy_version)
        else:
            state = ConsentState(
                True, Kind.IMPLIED, event.at, event.expires_at, event.policy_version
            )
    if state.granted and not _in_force(state, at):
        return NO_CONSENT
    return state


def _in_force(state: ConsentState, at: dt.datetime) -> bool:
    return state.expires_at is None or at <= state.expires_at


@dataclass(frozen=True)
class CollectedChoice:
    """One consent record a point of collection (checkout, phone order) appends: ``granted``
    and what the person did, for the record's evidence."""

    granted: bool
    evidence: str


def choices_conflict(*, express_ticked: bool | None, opted_out: bool) -> bool:
    """ "Email me news and offers" and "Do not email me about products related to my purchase"
    both ticked: we do not guess which one the person meant."""
    return bool(express_ticked) and opted_out


def collected_choices(
    *, express_before: bool, express_ticked: bool | None, opted_out: bool
) -> tuple[CollectedChoice, ...]:
    """The marketing-email records a purchase's two boxes append (PP-5, PP-8, PP-9), before the
    purchase's implied consent is written.

    ``express_before``: the person's express consent was in force (the box was shown ticked);
    ``express_ticked``: the express box as submitted (None: not asked, the choice is unchanged);
    ``opted_out``: the opt-out box was ticked. An unticked express box is not an opt-out: it
    records nothing unless it withdraws an express consent in force. A ticked opt-out is a
    withdrawal, which no implied consent overrides (:func:`consent_state`). Callers reject
    :func:`choices_conflict` first.
    """
    if opted_out:
        return (CollectedChoice(False, "opt-out box ticked"),)
    if express_ticked is None:
        return ()
    if express_ticked:
        return (CollectedChoice(True, "news and offers box ticked"),)
    if express_before:
        return (CollectedChoice(False, "news and offers box unticked"),)
    return ()


# --- Data requests (PIPEDA s.8(3)-(4); Law 25 s.32): 30 days, one extension of 30 days.

REQUEST_DAYS = 30
EXTENSION_DAYS = 30


def request_deadline(received_on: dt.date, *, extended: bool) -> dt.date:
    """The day by which a data request must be answered."""
    return received_on + dt.timedelta(days=REQUEST_DAYS + (EXTENSION_DAYS if extended else 0))


def may_extend(*, already_extended: bool, today: dt.date, deadline: dt.date) -> bool:
    """One extension, asked for before the original deadline has passed."""
    return not already_extended and today <= deadline


# --- Erasure and retention.


@dataclass(frozen=True)
class Blocker:
    """A reason erasure must wait, and the first day it can be done (None: unknown yet)."""

    code: str
    reason: str
    available_on: dt.date | None = None


def erasure_available_on(blockers: Iterable[Blocker]) -> dt.date | None:
    """The earliest day every blocker allows erasure (None if some blocker gives no date)."""
    dates = [b.available_on for b in blockers]
    if any(d is None for d in dates):
        return None
    return max((d for d in dates if d is not None), default=None)


def purge_after(at: dt.datetime, keep_years: int) -> dt.datetime:
    """When a record kept by law for ``keep_years`` from ``at`` may be purged."""
    return add_years(at, keep_years)


# --- Policy notices (PP-21).


@dataclass(frozen=True)
class DocumentVersion:
    key: str
    material: bool


def unacknowledged_material(
    in_force: Iterable[DocumentVersion], acknowledged: Iterable[str]
) -> list[str]:
    """Keys of the material versions in force that the visitor has not acknowledged."""
    seen = set(acknowledged)
    return [doc.key for doc in in_force if doc.material and doc.key not in seen]


def material_notice_due(
    history: Sequence[DocumentVersion], acknowledged: Iterable[str]
) -> str | None:
    """The material version of one document whose notice a visitor must still see, or None.

    ``history`` is the document's versions already effective, oldest first. The notice is for the
    latest material version and stays until that version is acknowledged: later minor versions
    do not clear it (a visitor who missed a material change is still told of it). A later
    material version replaces an earlier one's notice: its text includes both changes.
    """
    latest = next((v for v in reversed(history) if v.material), None)
    if latest is None or latest.key in set(acknowledged):
        return None
    return latest.key


# --- Data inventory (issue #3 item 2).


@dataclass(frozen=True)
class FieldRef:
    model: str  # "app_label.ModelName"
    field: str


def looks_personal(field_name: str, patterns: Iterable[str]) -> bool:
    name = field_name.lower()
    return any(re.search(p, name) for p in patterns)


def undeclared_personal_fields(
    fields: Iterable[FieldRef], covered: set[FieldRef], patterns: Sequence[str]
) -> list[FieldRef]:
    """Fields whose names look personal and that no [[field]] or [[exempt]] entry covers."""
    return [f for f in fields if f not in covered and looks_personal(f.field, patterns)]


# --- Links to a person (issue #10 item 12): columns that point at a user or a household.


class LinkTarget(StrEnum):
    USER = "user"
    HOUSEHOLD = "household"


class LinkErasure(StrEnum):
    """What an erasure does with a row whose column links to the person."""

    DELETE = "delete"  # the row goes
    CLEAR = "clear"  # the column is set to NULL; the row stays (e.g. "who did it" on a record)
    KEEP = "keep"  # a legal duty keeps the row: held, then purged when its retention ends
    ERASER = "eraser"  # the app's own registered eraser handles the model


# A column named like this links to a person even as a bare integer (no foreign key).
_LINK_COLUMN = re.compile(r"(^|_)household_id$|^customer(_id)?$")


def links_to_person(*, column: str, points_to: LinkTarget | None) -> bool:
    """A foreign key to a user or a household, or a column named ``household_id``,
    ``*_household_id``, ``customer`` or ``customer_id``."""
    return points_to is not None or bool(_LINK_COLUMN.search(column.lower()))


# A generic reference: an ``object_id`` beside a column naming the object's model.
GENERIC_TYPE_COLUMNS = ("object_type", "content_type_id")


def is_generic_reference(column: str, siblings: Iterable[str]) -> bool:
    """``object_id`` (or ``*_object_id``) in a table that also names the object's model: it may
    hold a user's or a household's ID."""
    named = column.lower() == "object_id" or column.lower().endswith("_object_id")
    return named and any(s.lower() in GENERIC_TYPE_COLUMNS for s in siblings)


def undeclared_links(links: Iterable[FieldRef], declared: set[FieldRef]) -> list[FieldRef]:
    """Link columns for which no [[link]] entry says what erasure does."""
    return [f for f in links if f not in declared]


def link_problems(
    *, erasure: str, target: str, retention: str | None, retention_keeps: bool | None
) -> list[str]:
    """Problems in one [[link]] entry (retention_keeps: whether the named retention keeps rows,
    None when the retention is unknown)."""
    problems: list[str] = []
    if target not in set(LinkTarget):
        problems.append(f"unknown target {target!r} (use {', '.join(LinkTarget)})")
    if erasure not in set(LinkErasure):
        problems.append(f"unknown erasure {erasure!r} (use {', '.join(LinkErasure)})")
    if erasure == LinkErasure.KEEP:
        if not retention:
            problems.append("erasure = 'keep' needs a retention")
        elif retention_keeps is None:
            problems.append(f"unknown retention {retention!r}")
        elif not retention_keeps:
            problems.append(f"retention {retention!r} does not keep rows on erasure")
    elif retention:
        problems.append(f"a retention only goes with erasure = 'keep', not {erasure!r}")
    return problems


def taxonomy_problems(keys: Sequence[str]) -> list[str]:
    """Problems in a dotted taxonomy: duplicate keys, or a parent that is not declared."""
    problems: list[str] = []
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            problems.append(f"duplicate key {key!r}")
        seen.add(key)
    for key in keys:
        if not re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*", key):
            problems.append(f"malformed key {key!r}")
        parent = key.rpartition(".")[0]
        if parent and parent not in seen:
            problems.append(f"{key!r} has no parent {parent!r}")
    return problems


# --- Confidentiality incident register (Quebec regulation, s.7: kept at least 5 years).

INCIDENT_KEEP_YEARS = 5


def incident_keep_until(
    discovered_on: dt.date, *, corrected_keep_until: dt.date | None = None
) -> dt.date:
    """The first day an incident's register entry may be destroyed: 5 years after the
    organisation became aware of it. A correction never shortens what it corrects: its entry
    is kept at least as long as the entry it corrects, whatever date it now gives."""
    at = dt.datetime(discovered_on.year, discovered_on.month, discovered_on.day, tzinfo=dt.UTC)
    own = add_years(at, INCIDENT_KEEP_YEARS).date()
    if corrected_keep_until is None:
        return own
    return max(own, corrected_keep_until)


_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    return "'" + value if value.startswith(_CSV_FORMULA_START) else value


# --- Cookies (issue #15; PP-11). The choice cookie's payload, before signing, is
# "<inventory version>:<category>=<1|0>,...": only the choice and its version.


def parse_cookie_choice(payload: str, known: frozenset[str]) -> tuple[int, dict[str, bool]] | None:
    """(version, {category: accepted}) of a verified payload; None when malformed, when it
    names an unknown category, or decides one twice (each counts as "nothing accepted")."""
    version_text, sep, body = payload.partition(":")
    if not sep or not version_text.isdigit() or len(payload) > 400:
        return None
    decided: dict[str, bool] = {}
    for part in body.split(",") if body else []:
        key, eq, flag = part.partition("=")
        if not eq or key not in known or key in decided or flag not in ("0", "1"):
            return None
        decided[key] = flag == "1"
    return int(version_text), decided


def format_cookie_choice(version: int, decided: dict[str, bool]) -> str:
    body = ",".join(f"{key}={int(accepted)}" for key, accepted in sorted(decided.items()))
    return f"{version}:{body}"


@dataclass(frozen=True, slots=True)
class CookieConsent:
    """What a visitor's request allows: the categories accepted, whether to ask (the banner)."""

    accepted: frozenset[str]
    decided: frozenset[str]
    gpc: bool
    ask: bool


def cookie_consent(
    parsed: tuple[int, dict[str, bool]] | None,
    *,
    current_version: int,
    optional: frozenset[str],
    gpc: bool,
) -> CookieConsent:
    """Global Privacy Control refuses every optional category and asks nothing. A missing,
    forged (None), future-versioned or stale choice accepts nothing; a choice from an older
    inventory stands while it decides every optional category now listed (a new version asks
    again only when a new category appears)."""
    if gpc:
        return CookieConsent(frozenset(), frozenset(optional), gpc=True, ask=False)
    if parsed is None or parsed[0] > current_version:
        return CookieConsent(frozenset(), frozenset(), gpc=False, ask=True)
    decided = parsed[1]
    if not optional <= decided.keys():
        return CookieConsent(frozenset(), frozenset(decided), gpc=False, ask=True)
    accepted = frozenset(key for key in optional if decided[key])
    return CookieConsent(accepted, frozenset(decided), gpc=False, ask=False)


class CookieVerdict(StrEnum):
    ALLOWED = "allowed"
    NOT_IN_INVENTORY = "not_in_inventory"
    NOT_ACCEPTED = "not_accepted"


def cookie_verdict(
    name: str,
    *,
    category_of: dict[str, str],
    necessary: frozenset[str],
    accepted: frozenset[str],
) -> CookieVerdict:
    category = category_of.get(name)
    if category is None:
        return CookieVerdict.NOT_IN_INVENTORY
    if category in necessary or category in accepted:
        return CookieVerdict.ALLOWED
    return CookieVerdict.NOT_ACCEPTED


def gpc_signal(header: str | None) -> bool:
    """Sec-GPC: the specification's only valid value is "1"."""
    return (header or "").strip() == "1"


def dnt_signal(header: str | None) -> bool:
    return (header or "").strip() == "1"


_FUNCTION_BY_PREFIX = (
    ("/basket/", "basket"),
    ("/checkout/", "checkout"),
    ("/sign-in/", "sign_in"),
    ("/sign-up/", "sign_in"),
    ("/two-step/", "sign_in"),
    ("/support/", "support"),
)


def function_needing_cookies(path: str) -> str:
    """Which function a refused form belongs to, by its path ("form" when none is known)."""
    return next((key for prefix, key in _FUNCTION_BY_PREFIX if path.startswith(prefix)), "form")
