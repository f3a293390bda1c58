"""The promise register (docs/PROMISES.md) and which tests prove each promise.

The register's tables have rows ``| ID | Promise |``; an ID is letters, a dash and a number
(``TOS-13``, ``PP-4``). Tests name the promise they prove with ``@pytest.mark.promise("ID")``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REGISTER = Path(__file__).resolve().parents[2] / "docs" / "PROMISES.md"
_ROW = re.compile(r"^\|\s*([A-Z]+-\d+)\s*\|\s*(.+?)\s*\|\s*$")


@dataclass(frozen=True, slots=True)
class Promise:
    id: str
    text: str


def read_register(path: Path = REGISTER) -> list[Promise]:
    """Every promise in the register, in the register's order."""
    promises: list[Promise] = []
    seen: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match and match.group(1) not in seen:
            seen.add(match.group(1))
            promises.append(Promise(match.group(1), match.group(2)))
    return promises


def coverage(promises: list[Promise], proofs: dict[str, list[str]]) -> dict[str, list[str]]:
    """Every register ID mapped to its proving tests (sorted; empty when nothing proves it)."""
    return {p.id: sorted(set(proofs.get(p.id, []))) for p in promises}


def unknown_ids(promises: list[Promise], proofs: dict[str, list[str]]) -> list[str]:
    known = {p.id for p in promises}
    return sorted(set(proofs) - known)
