"""The email-proof linkers (``subjects.link_proven_email``) record each link they make.

They act for the account holder, who is their positional ``user``: held to the rule of
``hearth/core/tests/test_audit_coverage.py`` (PP-7, PP-10).
"""

from __future__ import annotations

import datetime as dt
import inspect

import pytest
from django.contrib.auth import get_user_model

from hearth.core.models import AuditEvent
from hearth.core.tests.test_audit_coverage import MODULES, records
from hearth.privacy import services, subjects
from hearth.privacy.models import DataRequest

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


@pytest.mark.django_db
def test_linking_a_person_s_data_requests_is_one_row_each_naming_the_account_holder(
    smtp_server,
):
    at = dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)
    mine = services.open_data_request(user=None, kind="access", at=at, email="Pat@Example.com")
    theirs = services.open_data_request(user=None, kind="access", at=at, email="lee@example.com")
    pat = get_user_model().objects.create_user(email="pat@example.com", password=None)
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    assert services.link_data_requests(pat, "pat@example.com", at) == 1
    assert services.link_data_requests(pat, "pat@example.com", at) == 0
    rows = AuditEvent.objects.filter(pk__gt=before).order_by("id")
    assert [
        (e.action, e.actor_kind, e.actor_id, e.object_type, e.object_id, e.fields) for e in rows
    ] == [("changed", "user", pat.pk, "privacy.DataRequest", str(mine.pk), ["user"])]
    assert DataRequest.objects.get(pk=theirs.pk).user_id is None
    assert "example.com" not in repr(list(rows.values_list("fields", "object_id")))
