"""Hypothesis cannot fail a test for being slow on a loaded machine (issue #10, item 24).

conftest.py loads the "ci" profile by default: no deadline, no ``too_slow`` (nor
``large_base_example`` / ``data_too_large``) health check. A test's own ``@settings`` overrides
the profile for the arguments it names, so no test in the suite may set a deadline or a
health-check list that lets ``too_slow`` fail it again.
"""

from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[2]  # hearth/


def test_the_profile_in_force_has_no_deadline_and_no_too_slow_check() -> None:
    current = settings()
    assert current.deadline is None
    assert HealthCheck.too_slow in current.suppress_health_check
    assert HealthCheck.large_base_example in current.suppress_health_check


def _offences(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "settings"):
            continue
        for keyword in node.keywords:
            value = keyword.value
            where = f"{path.relative_to(ROOT.parent)}:{node.lineno}"
            if keyword.arg == "deadline" and not (
                isinstance(value, ast.Constant) and value.value is None
            ):
                found.append(f"{where}: a deadline")
            listed = ast.unparse(value)
            if (
                keyword.arg == "suppress_health_check"
                and "too_slow" not in listed
                and "list(HealthCheck)" not in listed
            ):
                found.append(f"{where}: too_slow not suppressed")
    return found


def test_no_test_sets_a_deadline_or_lets_too_slow_fail_it() -> None:
    files = sorted(ROOT.glob("*/tests/**/*.py"))
    assert len(files) > 50
    offences = [o for f in files for o in _offences(f)]
    assert offences == []
