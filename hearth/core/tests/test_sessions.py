"""The session store (hearth/core/sessions.py) reads and writes Django's session rows with plain
statements: what it stores and what it answers are what Django's database store stores and
answers, expiry and a vanished session included."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from hearth.core.sessions import SessionStore


@pytest.mark.django_db(transaction=True)
def test_a_session_written_here_reads_the_same_through_djangos_store_and_back() -> None:
    store = SessionStore()
    store["basket"] = "token-1"
    store.create()
    store["checkout"] = {"email": "ada@example.com", "steps": [1, 2]}
    store.set_expiry(3600)
    store.save()  # outside a transaction: the plain UPDATE
    key = store.session_key
    assert DjangoStore(key).load() == {
        "basket": "token-1",
        "checkout": {"email": "ada@example.com", "steps": [1, 2]},
        "_session_expiry": 3600,
    }
    row = Session.objects.get(session_key=key)
    assert abs(row.expire_date - store.get_expiry_date()) < dt.timedelta(seconds=5)
    theirs = DjangoStore(key)
    theirs["language"] = "fr-ca"
    theirs.save()
    mine = SessionStore(key)
    assert mine["language"] == "fr-ca" and mine["basket"] == "token-1"
    assert mine.session_key == key


@pytest.mark.django_db(transaction=True)
def test_an_expired_or_unknown_session_reads_empty_and_loses_its_key() -> None:
    store = SessionStore()
    store["basket"] = "token-1"
    store.create()
    key = store.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    expired = SessionStore(key)
    assert expired.load() == {} and expired.session_key is None
    unknown = SessionStore("x" * 32)
    assert unknown.load() == {} and unknown.session_key is None


@pytest.mark.django_db(transaction=True)
def test_writing_a_session_deleted_meanwhile_fails_as_djangos_store_does() -> None:
    store = SessionStore()
    store["basket"] = "token-1"
    store.create()
    store["basket"] = "token-2"
    Session.objects.filter(session_key=store.session_key).delete()  # signed out elsewhere
    with pytest.raises(UpdateError):
        store.save()
    assert not Session.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_write_inside_a_transaction_is_kept_with_it() -> None:
    store = SessionStore()
    store["basket"] = "token-1"
    store.create()
    with transaction.atomic():
        store["basket"] = "token-2"
        store.save()
    assert SessionStore(store.session_key)["basket"] == "token-2"
    try:
        with transaction.atomic():
            store["basket"] = "token-3"
            store.save()
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert SessionStore(store.session_key)["basket"] == "token-2"


@pytest.mark.django_db(transaction=True)
def test_a_new_session_is_one_insert_under_a_new_key_that_djangos_store_reads() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    store = SessionStore()
    store["basket"] = "token-2"
    with CaptureQueriesContext(connection) as captured:
        store.save()  # no key yet: create
    assert len(captured.captured_queries) == 1
    assert "ON CONFLICT" in captured.captured_queries[0]["sql"]
    assert store.session_key is not None and len(store.session_key) == 32
    assert DjangoStore(store.session_key).load() == {"basket": "token-2"}


@pytest.mark.django_db(transaction=True)
def test_a_new_session_never_takes_a_key_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    taken = SessionStore()
    taken["owner"] = "someone else"
    taken.create()
    keys = iter([taken.session_key, "a" * 32])
    monkeypatch.setattr("hearth.core.sessions.get_random_string", lambda *_a, **_k: next(keys))
    store = SessionStore()
    store["owner"] = "me"
    store.create()
    assert store.session_key == "a" * 32
    assert DjangoStore(taken.session_key).load() == {"owner": "someone else"}
    assert DjangoStore("a" * 32).load() == {"owner": "me"}
