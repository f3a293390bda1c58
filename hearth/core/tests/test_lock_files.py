"""The lock files (issue #17 item 7) hold every dependency pyproject.toml names, at a version its
range allows, with hashes: scripts/run installs requirements/run.lock and scripts/test (so CI)
requirements/test.lock with --require-hashes, so a dependency added to pyproject.toml without
`scripts/lock` would be missing on a fresh machine. This test says so before CI does."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[3]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
_PIN = re.compile(r"^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", re.M)


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text()
    return {canonicalize_name(name): version for name, version in _PIN.findall(text)}


def _requirements(*groups: str) -> list[Requirement]:
    found = [Requirement(line) for line in PROJECT["dependencies"]]
    for group in groups:
        found += [Requirement(line) for line in PROJECT["optional-dependencies"][group]]
    return found


@pytest.mark.parametrize(("lock", "groups"), [("run.lock", ()), ("test.lock", ("test",))])
def test_every_dependency_is_pinned_in_the_lock_within_its_range(lock, groups):
    pinned = pins(lock)
    missing = []
    outside = []
    for requirement in _requirements(*groups):
        name = canonicalize_name(requirement.name)
        if name not in pinned:
            missing.append(requirement.name)
        elif not requirement.specifier.contains(pinned[name], prereleases=True):
            outside.append(f"{requirement.name}=={pinned[name]} (wants {requirement.specifier})")
    assert not missing, f"not in requirements/{lock} (run scripts/lock): {missing}"
    assert not outside, f"requirements/{lock} pins outside pyproject's range: {outside}"


@pytest.mark.parametrize("lock", ["run.lock", "test.lock"])
def test_every_pin_carries_a_hash(lock):
    text = (ROOT / "requirements" / lock).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9._-]+(?:\[[^\]]*\])?==)", text.split("\n", 2)[2])
    assert entries and all("--hash=sha256:" in entry for entry in entries if "==" in entry)


def test_both_locks_agree_on_every_version_they_share():
    run, test = pins("run.lock"), pins("test.lock")
    assert {name: (v, test[name]) for name, v in run.items() if test.get(name) != v} == {}
