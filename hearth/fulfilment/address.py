"""Address rules (TOS-16, TOS-17), as pure functions of plain values.

:func:`check_address` answers whether the warehouse may ship to an address and, if not, why: each
problem has a machine code (:class:`~hearth.fulfilment.errors.AddressProblemCode`), the field at
fault and a message (marked for translation; the edge translates it). Problems are results, not
errors: a well-formed address is always checked, never raised on.

The tables are data, validated when loaded: refusal patterns in English and French with the
allowances that keep real street names passing (``data/address_patterns.json``), province ->
postal-code starts (``data/postal_prefixes.json``) and known forwarder addresses
(``data/known_forwarders.json``; staff add more in the back office, and the caller passes those in
as ``known_forwarders`` so that this module stays free of the database).

Matching is case- and accent-insensitive: :func:`normalise_text` folds "P.O. Box", "p o box" and
"PO BOX" alike, and "Hôtel-Dieu" to "hotel dieu".
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hearth.fulfilment.errors import AddressProblemCode, gettext_noop

DATA_DIR = Path(__file__).resolve().parent / "data"
SERVICE_REGION = "CA"
#: Ways of writing the Service Region's country that we accept besides the ISO code.
_CANADA_SPELLINGS = frozenset({"CA", "CAN", "CANADA"})
LINE_PATTERN_CODES = (
    AddressProblemCode.PO_BOX,
    AddressProblemCode.GENERAL_DELIVERY,
    AddressProblemCode.ARMED_SERVICES,
    AddressProblemCode.HOTEL,
    AddressProblemCode.FREIGHT_FORWARDER,
)

# A Canadian postal code: A1A 1A1, never D F I O Q U, never W or Z first.
_POSTAL_SHAPE = re.compile(r"[A-Z]\d[A-Z]\d[A-Z]\d")
_POSTAL_VALID = re.compile(r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\d[ABCEGHJ-NPRSTV-Z]\d")
_POSTAL_PREFIX = re.compile(r"[ABCEGHJ-NPRSTVXY](?:\d[ABCEGHJ-NPRSTV-Z])?")
_POSTAL_SEPARATORS = re.compile(r"[\s\-]+")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
# Street-type words written out or abbreviated, folded to one spelling for forwarder matching.
_STREET_TYPES = {
    "street": "st",
    "road": "rd",
    "avenue": "ave",
    "av": "ave",
    "drive": "dr",
    "boulevard": "blvd",
    "boul": "blvd",
    "crescent": "cres",
    "lane": "ln",
    "place": "pl",
    "court": "ct",
    "chemin": "ch",
    "suite": "unit",
    "bureau": "unit",
    "apt": "unit",
    "app": "unit",
}

MESSAGES: dict[AddressProblemCode, str] = {
    AddressProblemCode.MISSING_FIELD: gettext_noop("This field is required."),
    AddressProblemCode.OUTSIDE_SERVICE_REGION: gettext_noop(
        "We sell online for delivery in Canada only. To order for delivery outside Canada, "
        "please contact customer care."
    ),
    AddressProblemCode.INVALID_PROVINCE: gettext_noop(
        "Enter a Canadian province or territory code, such as ON or QC."
    ),
    AddressProblemCode.INVALID_POSTAL_CODE: gettext_noop(
        "Enter a Canadian postal code in the form A1A 1A1."
    ),
    AddressProblemCode.POSTAL_CODE_PROVINCE_MISMATCH: gettext_noop(
        "This postal code is not in the province given. Please check both."
    ),
    AddressProblemCode.PO_BOX: gettext_noop(
        "We cannot deliver to a post office box (PO Box, case postale). Please give a street "
        "address where someone can receive the parcel."
    ),
    AddressProblemCode.GENERAL_DELIVERY: gettext_noop(
        "We cannot deliver to General Delivery (poste restante). Please give a street address."
    ),
    AddressProblemCode.ARMED_SERVICES: gettext_noop(
        "We cannot deliver to armed-services addresses (CFPO, Canadian Forces bases). Please "
        "give a civilian street address."
    ),
    AddressProblemCode.HOTEL: gettext_noop(
        "We cannot deliver to hotels, motels or hostels. Please give a home or business "
        "street address."
    ),
    AddressProblemCode.FREIGHT_FORWARDER: gettext_noop(
        "We cannot deliver to freight or parcel forwarders. Please give the street address "
        "where the product will be used."
    ),
}
#: A shape-valid postal code that uses letters Canada Post never uses.
BAD_POSTAL_LETTERS_MESSAGE = gettext_noop(
    "This is not a Canadian postal code: postal codes never use the letters D, F, I, O, Q or "
    "U, and never start with W or Z."
)


@dataclass(frozen=True, slots=True)
class AddressProblem:
    code: str
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class AddressCheck:
    """The verdict. ``postal_code``/``province``/``country`` are normalised (None if unusable)."""

    accepted: bool
    problems: tuple[AddressProblem, ...]
    postal_code: str | None
    province: str | None
    country: str | None
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ForwarderAddress:
    """A known forwarder: one street line and its postal code (any spelling; both normalised)."""

    line: str
    postal_code: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class AddressPattern:
    code: AddressProblemCode
    language: str
    regex: re.Pattern[str]
    description: str
    source: str
    examples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Allowance:
    code: AddressProblemCode
    regex: re.Pattern[str]
    description: str
    source: str
    examples: tuple[str, ...]


def normalise_text(text: str) -> str:
    """Fold case and accents; every run of other characters than a-z, 0-9 becomes one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return _NOT_ALNUM.sub(" ", bare).strip()


def normalise_postal_code(raw: str) -> str | None:
    """``"k1a0b1"`` -> ``"K1A 0B1"``; None when it is not a valid Canadian postal code."""
    compact = _POSTAL_SEPARATORS.sub("", raw).upper()
    if _POSTAL_VALID.fullmatch(compact) is None:
        return None
    return f"{compact[:3]} {compact[3:]}"


def forwarder_line_key(line: str) -> str:
    """A line folded for forwarder matching: normalised, street types and unit words unified."""
    return " ".join(_STREET_TYPES.get(word, word) for word in normalise_text(line).split())


# --- tables -----------------------------------------------------------------------------------


def _read(path: Path) -> dict[str, Any]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"{path.name}: must hold a JSON object")
    return raw


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{where}: must be a list of non-empty strings")
    return tuple(value)


def _compile(value: Any, where: str) -> re.Pattern[str]:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}: 'regex' must be a non-empty string")
    try:
        return re.compile(value)
    except re.error as exc:
        raise ValueError(f"{where}: bad regex: {exc}") from None


def _code(value: Any, where: str) -> AddressProblemCode:
    try:
        code = AddressProblemCode(value)
    except ValueError:
        raise ValueError(f"{where}: unknown code {value!r}") from None
    if code not in LINE_PATTERN_CODES:
        raise ValueError(f"{where}: {code} is not an address-line code")
    return code


def _described(entry: Any, where: str) -> tuple[str, str]:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: must be an object")
    description, source = entry.get("description"), entry.get("source")
    if not (isinstance(description, str) and description and isinstance(source, str) and source):
        raise ValueError(f"{where}: 'description' and 'source' are required")
    return description, source


def load_address_patterns(
    path: Path = DATA_DIR / "address_patterns.json",
) -> tuple[tuple[AddressPattern, ...], tuple[Allowance, ...], tuple[str, ...]]:
    """(patterns, allowances, non_matches) from the data file, validated."""
    raw = _read(path)
    patterns: list[AddressPattern] = []
    for index, entry in enumerate(raw.get("patterns") or ()):
        where = f"{path.name}: patterns[{index}]"
        description, source = _described(entry, where)
        language = entry.get("language")
        if language not in {"en", "fr"}:
            raise ValueError(f"{where}: 'language' must be 'en' or 'fr'")
        patterns.append(
            AddressPattern(
                code=_code(entry.get("code"), where),
                language=language,
                regex=_compile(entry.get("regex"), where),
                description=description,
                source=source,
                examples=_strings(entry.get("examples"), f"{where}.examples"),
            )
        )
    allowances: list[Allowance] = []
    for index, entry in enumerate(raw.get("allowances") or ()):
        where = f"{path.name}: allowances[{index}]"
        description, source = _described(entry, where)
        allowances.append(
            Allowance(
                code=_code(entry.get("code"), where),
                regex=_compile(entry.get("regex"), where),
                description=description,
                source=source,
                examples=_strings(entry.get("examples"), f"{where}.examples"),
            )
        )
    if {p.code for p in patterns} != set(LINE_PATTERN_CODES):
        raise ValueError(f"{path.name}: every address-line code needs at least one pattern")
    non_matches = _strings(raw.get("non_matches", []), f"{path.name}: non_matches")
    return tuple(patterns), tuple(allowances), non_matches


def load_postal_prefixes(
    path: Path = DATA_DIR / "postal_prefixes.json",
) -> dict[str, tuple[str, ...]]:
    """Province or territory code -> the starts of its postal codes, validated."""
    raw = _read(path)
    table: dict[str, tuple[str, ...]] = {}
    for index, entry in enumerate(raw.get("provinces") or ()):
        where = f"{path.name}: provinces[{index}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: must be an object")
        code = entry.get("code")
        if not (isinstance(code, str) and re.fullmatch(r"[A-Z]{2}", code)) or code in table:
            raise ValueError(f"{where}: 'code' must be a new two-letter upper-case code")
        if not (isinstance(entry.get("name"), str) and isinstance(entry.get("source"), str)):
            raise ValueError(f"{where}: 'name' and 'source' are required")
        prefixes = _strings(entry.get("prefixes"), f"{where}.prefixes")
        for prefix in prefixes:
            if not _POSTAL_PREFIX.fullmatch(prefix):
                raise ValueError(f"{where}: bad prefix {prefix!r}")
        table[code] = prefixes
    if len(table) != 13:
        raise ValueError(f"{path.name}: expected the 13 provinces and territories")
    return table


def load_known_forwarders(
    path: Path = DATA_DIR / "known_forwarders.json",
) -> tuple[ForwarderAddress, ...]:
    """The forwarder addresses shipped with the code, validated."""
    raw = _read(path)
    forwarders: list[ForwarderAddress] = []
    for index, entry in enumerate(raw.get("forwarders") or ()):
        where = f"{path.name}: forwarders[{index}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: must be an object")
        line, postal, note, source = (
            entry.get(k) for k in ("line", "postal_code", "note", "source")
        )
        if not (isinstance(line, str) and forwarder_line_key(line)):
            raise ValueError(f"{where}: 'line' is required")
        if not (isinstance(postal, str) and normalise_postal_code(postal)):
            raise ValueError(f"{where}: 'postal_code' must be a valid postal code")
        if not (isinstance(source, str) and source):
            raise ValueError(f"{where}: 'source' is required")
        forwarders.append(ForwarderAddress(line, postal, note if isinstance(note, str) else ""))
    return tuple(forwarders)


PATTERNS, ALLOWANCES, NON_MATCHES = load_address_patterns()
POSTAL_PREFIXES: dict[str, tuple[str, ...]] = load_postal_prefixes()
KNOWN_FORWARDERS: tuple[ForwarderAddress, ...] = load_known_forwarders()

_PATTERNS_BY_CODE = {
    code: tuple(p.regex for p in PATTERNS if p.code == code) for code in LINE_PATTERN_CODES
}
_ALLOWANCES_BY_CODE = {
    code: tuple(a.regex for a in ALLOWANCES if a.code == code) for code in LINE_PATTERN_CODES
}


# --- the rule ---------------------------------------------------------------------------------


def line_problem_codes(line: str) -> tuple[AddressProblemCode, ...]:
    """The refusal codes whose patterns match this one address line, in table order."""
    text = normalise_text(line)
    found: list[AddressProblemCode] = []
    for code in LINE_PATTERN_CODES:
        candidate = text
        for allowance in _ALLOWANCES_BY_CODE[code]:
            candidate = allowance.sub(" ", candidate)
        candidate = " ".join(candidate.split())
        if any(regex.search(candidate) for regex in _PATTERNS_BY_CODE[code]):
            found.append(code)
    return tuple(found)


def _forwarder_index(entries: Collection[ForwarderAddress]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for entry in entries:
        postal = normalise_postal_code(entry.postal_code)
        key = forwarder_line_key(entry.line)
        if postal and key:
            index.setdefault(postal, []).append(key)
    return index


# The data file's forwarders, folded and grouped by postal code once, not at every check.
_SHIPPED_FORWARDERS = _forwarder_index(KNOWN_FORWARDERS)


def is_known_forwarder(
    lines: Sequence[str], postal_code: str, known_forwarders: Collection[ForwarderAddress] = ()
) -> bool:
    """True when an address line contains a known forwarder's line at the same postal code.

    Only forwarders at the address's own postal code can match, so a caller may pass just
    those (``known_forwarders``); the data file's are always checked."""
    postal = normalise_postal_code(postal_code)
    if postal is None:
        return False
    keys = [
        *_SHIPPED_FORWARDERS.get(postal, ()),
        *_forwarder_index(known_forwarders).get(postal, ()),
    ]
    if not keys:
        return False
    padded_lines = [f" {forwarder_line_key(line)} " for line in lines]
    return any(f" {key} " in padded for key in keys for padded in padded_lines)


def _problem(code: AddressProblemCode, field: str, message: str | None = None) -> AddressProblem:
    return AddressProblem(code=str(code), field=field, message=message or MESSAGES[code])


def check_address(
    *,
    lines: Sequence[str],
    city: str,
    province: str,
    postal_code: str,
    country: str,
    known_forwarders: Collection[ForwarderAddress] = (),
) -> AddressCheck:
    """Whether we may ship to this address (TOS-16, TOS-17), with every reason if not.

    Outside Canada the only problem is ``outside_service_region`` on ``country`` (TOS-16; the
    edge adds customer care's contact). Inside Canada: missing fields, the province code, the
    postal code's format (normalised to ``A1A 1A1``) and its agreement with the province, then
    each address line against the refusal patterns (PO boxes, General Delivery, armed services,
    hotels, forwarders; one problem per code) and the known forwarder addresses (the data file's
    plus ``known_forwarders``, which staff keep in the back office).
    """
    clean_lines = tuple(" ".join(line.split()) for line in lines)
    clean_lines = tuple(line for line in clean_lines if line)
    country_code = country.strip().upper()
    problems: list[AddressProblem] = []

    if not country_code:
        problems.append(_problem(AddressProblemCode.MISSING_FIELD, "country"))
    elif country_code not in _CANADA_SPELLINGS:
        problem = _problem(AddressProblemCode.OUTSIDE_SERVICE_REGION, "country")
        return AddressCheck(False, (problem,), None, None, country_code, clean_lines)
    country_code = SERVICE_REGION if country_code else ""

    for field, value in (("lines", clean_lines), ("city", city.strip())):
        if not value:
            problems.append(_problem(AddressProblemCode.MISSING_FIELD, field))

    province_code: str | None = province.strip().upper()
    if not province_code:
        problems.append(_problem(AddressProblemCode.MISSING_FIELD, "province"))
        province_code = None
    elif province_code not in POSTAL_PREFIXES:
        problems.append(_problem(AddressProblemCode.INVALID_PROVINCE, "province"))
        province_code = None

    postal = normalise_postal_code(postal_code)
    compact = _POSTAL_SEPARATORS.sub("", postal_code).upper()
    if not compact:
        problems.append(_problem(AddressProblemCode.MISSING_FIELD, "postal_code"))
    elif postal is None:
        message = BAD_POSTAL_LETTERS_MESSAGE if _POSTAL_SHAPE.fullmatch(compact) else None
        problems.append(_problem(AddressProblemCode.INVALID_POSTAL_CODE, "postal_code", message))
    elif province_code is not None and not postal.startswith(POSTAL_PREFIXES[province_code]):
        problems.append(_problem(AddressProblemCode.POSTAL_CODE_PROVINCE_MISMATCH, "postal_code"))

    seen: set[AddressProblemCode] = set()
    for line in clean_lines:
        for code in line_problem_codes(line):
            if code not in seen:
                seen.add(code)
                problems.append(_problem(code, "lines"))
    if (
        AddressProblemCode.FREIGHT_FORWARDER not in seen
        and postal is not None
        and is_known_forwarder(clean_lines, postal, known_forwarders)
    ):
        problems.append(_problem(AddressProblemCode.FREIGHT_FORWARDER, "lines"))

    return AddressCheck(
        accepted=not problems,
        problems=tuple(problems),
        postal_code=postal,
        province=province_code,
        country=country_code or None,
        lines=clean_lines,
    )
