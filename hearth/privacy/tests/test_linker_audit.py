"""The email-proof linkers (``subjects.link_proven_email``) record each link they make.

They act for the account holder, who is their positional ``user``: held to the rule of
``hearth/core/tests/test_audit_coverage.py`` (PP-7, PP-10).
"""

from __future__ import annotations

import inspect

import pytest

from hearth.core.tests.test_audit_coverage import MODULES, records
from hearth.privacy import subjects

pytestmark = [pytest.mark.promise("PP-10"), pytest.mark.promise("PP-7")]


def test_every_email_proof_linker_records_its_links():
    by_name = {module.name: module for module, _tree in MODULES}
    linkers = dict(subjects._linkers)
    assert set(linkers) == {"devices", "orders", "privacy"}
    silent = []
    for fn in linkers.values():
        module = by_name[fn.__module__]
        assert inspect.signature(fn).parameters.keys() >= {"user", "email", "at"}
        if not records(module, fn.__name__):
            silent.append(f"{fn.__module__}:{fn.__name__}")
    assert silent == []
