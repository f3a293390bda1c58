"""Project-wide pytest wiring: the promise marker.

Every ``@pytest.mark.promise("ID")`` must name an ID of docs/PROMISES.md, else the run fails.
When HEARTH_PROMISES_OUT is set, collection writes {ID: [test ids]} there as JSON (used by
``manage.py promises``).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict

import pytest

from hearth.core.promises import read_register


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    known = {p.id for p in read_register()}
    proofs: dict[str, list[str]] = defaultdict(list)
    bad: list[str] = []
    for item in items:
        for mark in item.iter_markers(name="promise"):
            if not mark.args:
                bad.append(f"{item.nodeid}: promise marker without an ID")
            for promise_id in mark.args:
                if promise_id not in known:
                    bad.append(f"{item.nodeid}: unknown promise ID {promise_id!r}")
                proofs[promise_id].append(item.nodeid)
    if bad:
        raise pytest.UsageError(
            "Promise markers name IDs not in docs/PROMISES.md:\n" + "\n".join(bad)
        )
    out = os.environ.get("HEARTH_PROMISES_OUT")
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            json.dump(proofs, fh)


@pytest.fixture
def api_client():
    """Django's test client, for driving the HTTP API as a device or auditor would."""
    from django.test import Client

    return Client()
