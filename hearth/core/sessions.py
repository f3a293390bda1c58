"""The session store (``SESSION_ENGINE``): Django's database store, with its two per-request
statements written once as SQL instead of built by the ORM on every request (issue #12 item 2).

Nearly every storefront request reads its session, and most steps of the checkout write it back.
Through the ORM a read cost ~250 us of CPU and a write ~300 us (a queryset or a model instance
compiled each time, and a transaction around a single UPDATE); as plain statements ~70 and ~130.
The table, the rows, the encoding, the expiry and the errors are Django's:

- a read finds the row by key among the unexpired ones; none (expired, unknown, deleted) means an
  empty session whose key is dropped, as Django's store does;
- a write updates the row; when none was updated (the session was deleted meanwhile, e.g. by
  signing out elsewhere) it raises ``UpdateError``, which ``SessionMiddleware`` answers as
  Django does (``SessionInterrupted``);
- creating a session is one ``INSERT .. ON CONFLICT DO NOTHING`` (PostgreSQL and SQLite both
  have it) with a new random key, and another key when one was taken: Django's store first asks
  whether the key exists, then inserts in a transaction of its own (four round trips on
  PostgreSQL, on the first add to basket of every visitor);
- any write inside a transaction goes through Django's own code (its savepoint).
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import DatabaseError, connections, router
from django.utils import timezone
from django.utils.crypto import get_random_string


class SessionStore(DatabaseSessionStore):
    def _statement(self, alias: str, kind: str) -> str:
        ops = connections[alias].ops
        table = ops.quote_name(self.model._meta.db_table)
        key, data, expiry = (
            ops.quote_name(c) for c in ("session_key", "session_data", "expire_date")
        )
        if kind == "read":
            return f"SELECT {data} FROM {table} WHERE {key} = %s AND {expiry} > %s"  # noqa: S608
        if kind == "create":
            return (
                f"INSERT INTO {table} ({key}, {data}, {expiry}) VALUES (%s, %s, %s) "  # noqa: S608
                f"ON CONFLICT ({key}) DO NOTHING"
            )
        return f"UPDATE {table} SET {data} = %s, {expiry} = %s WHERE {key} = %s"  # noqa: S608

    def load(self) -> dict[str, Any]:
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(self._statement(alias, "read"), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        decoded: dict[str, Any] = self.decode(row[0])
        return decoded

    def create(self) -> None:
        alias = router.db_for_write(self.model)
        connection = connections[alias]
        if connection.in_atomic_block:
            super().create()
            return
        while True:
            key = get_random_string(32, VALID_KEY_CHARS)
            self._session_key = key
            data = self.encode(self._get_session(no_load=True))  # type: ignore[attr-defined]
            expiry = connection.ops.adapt_datetimefield_value(self.get_expiry_date())
            with connection.cursor() as cursor:
                cursor.execute(self._statement(alias, "create"), [key, data, expiry])
                if cursor.rowcount == 1:
                    break
        self.modified = True

    def save(self, must_create: bool = False) -> None:
        alias = router.db_for_write(self.model)
        connection = connections[alias]
        if self.session_key is None or must_create or connection.in_atomic_block:
            super().save(must_create=must_create)
            return
        data = self.encode(self._get_session())  # type: ignore[attr-defined]  # not in the stubs
        expiry = connection.ops.adapt_datetimefield_value(self.get_expiry_date())
        try:
            with connection.cursor() as cursor:
                cursor.execute(self._statement(alias, "write"), [data, expiry, self.session_key])
                updated = cursor.rowcount
        except DatabaseError as exc:
            raise UpdateError from exc
        if updated != 1:
            raise UpdateError
