"""Staff roles as data (``data/roles.toml``), synced to Django Groups.

A role's Group carries exactly the permissions the data lists; ``sync_roles`` is idempotent.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROLES_FILE = Path(__file__).resolve().parent / "data" / "roles.toml"
ROLE_KEYS: tuple[str, ...] = (
    "sales_agent",
    "care_agent",
    "warehouse",
    "privacy_officer",
    "finance",
    "administrator",
    "marketing",
)
_PERM = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


class RoleDataError(ValueError):
    """roles.toml does not have the shape this module expects."""


@dataclass(frozen=True)
class Role:
    key: str
    name: str
    source: str
    permissions: frozenset[str]

    @property
    def group_name(self) -> str:
        return self.name


def parse_roles(data: dict[str, Any]) -> dict[str, Role]:
    """Validate the parsed TOML and return roles by key."""
    table = data.get("role")
    if not isinstance(table, dict):
        raise RoleDataError("roles.toml needs a [role.<key>] table per role.")
    missing = set(ROLE_KEYS) - set(table)
    unknown = set(table) - set(ROLE_KEYS)
    if missing or unknown:
        raise RoleDataError(f"roles: missing {sorted(missing)}, unknown {sorted(unknown)}")
    roles: dict[str, Role] = {}
    names: set[str] = set()
    for key, entry in table.items():
        if not isinstance(entry, dict):
            raise RoleDataError(f"role {key}: not a table")
        name, source, perms = entry.get("name"), entry.get("source"), entry.get("permissions")
        if not isinstance(name, str) or not name.strip():
            raise RoleDataError(f"role {key}: needs a name")
        if not isinstance(source, str) or not source.strip():
            raise RoleDataError(f"role {key}: needs a source line")
        if not isinstance(perms, list) or not all(isinstance(p, str) for p in perms):
            raise RoleDataError(f"role {key}: permissions must be a list of strings")
        bad = [p for p in perms if not _PERM.match(p)]
        if bad:
            raise RoleDataError(f"role {key}: malformed permissions {bad}")
        if len(set(perms)) != len(perms):
            raise RoleDataError(f"role {key}: duplicate permissions")
        if name in names:
            raise RoleDataError(f"role {key}: duplicate name {name!r}")
        names.add(name)
        roles[key] = Role(key=key, name=name, source=source, permissions=frozenset(perms))
    return roles


@cache
def load_roles() -> dict[str, Role]:
    with ROLES_FILE.open("rb") as fh:
        return parse_roles(tomllib.load(fh))


def role(key: str) -> Role:
    try:
        return load_roles()[key]
    except KeyError:
        raise LookupError(f"unknown role {key!r}") from None


def has_role(user: Any, role_key: str) -> bool:
    """Whether ``user`` is in the Group of role ``role_key`` (superusers have every role)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name=role(role_key).group_name).exists()


def roles_of(user: Any) -> list[str]:
    names = set(user.groups.values_list("name", flat=True))
    return [r.key for r in load_roles().values() if r.group_name in names]
