"""One leader among many processes: the periodic scheduler's election (issue #17 item 1).

Two schedulers must never both enqueue. Each ``manage.py scheduler`` asks :class:`LeaderLock`
before every round; only the holder enqueues, every other one waits on standby and tries again.

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) taken on a connection of
  its own, kept open while the process leads. The server releases it when that connection ends,
  so a leader killed with SIGKILL (or cut off from the database) frees it within the TCP timeout
  and a standby takes over on its next try. Each round first checks that the connection is still
  alive: a leader that lost its connection has lost the lock too and steps down.
- SQLite (the embedded run, one machine): an exclusive ``flock`` on
  ``<HEARTH_VAR_DIR>/<name>.lock``, which the kernel releases when the process dies.

Why not django-crontask: it is built on Django 6's ``django.tasks`` (we run django-tasks on Django
5.2), its only lock between schedulers is on Redis, and its APScheduler keeps last runs in memory,
so a restart fires every interval task again; ours keeps last runs in ``PeriodicRun`` and elects
on the database every deployment already has.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger("hearth.core.leader")


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (advisory locks are keyed by bigint)."""
    digest = hashlib.sha256(f"hearth:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class LeaderLock:
    """``try_acquire()`` until it answers True; then ``still_held()`` each round; ``release()``."""

    def __init__(self, name: str, *, alias: str = "default") -> None:
        self.name = name
        self.alias = alias
        self._connection: Any = None
        self._file: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._connection is not None or self._file is not None

    def _vendor(self) -> str:
        return str(connections[self.alias].vendor)

    def try_acquire(self) -> bool:
        if self.held:
            return self.still_held()
        if self._vendor() == "postgresql":
            return self._try_advisory()
        return self._try_flock()

    def still_held(self) -> bool:
        """False (and the lock forgotten) when the leader's connection was lost."""
        if self._file is not None:
            return True
        if self._connection is None:
            return False
        try:
            with self._connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError:
            logger.warning("Lost the database connection holding the %s lock", self.name)
            self._drop_connection()
            return False
        return True

    def release(self) -> None:
        if self._connection is not None:
            try:
                with self._connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_key(self.name)])
            except DatabaseError:
                logger.info("The %s lock went with its connection", self.name)
            self._drop_connection()
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    # --- PostgreSQL

    def _try_advisory(self) -> bool:
        wrapper = connections.create_connection(self.alias)
        try:
            with wrapper.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock_key(self.name)])
                row = cursor.fetchone()
        except DatabaseError:
            wrapper.close()
            raise
        if row and row[0]:
            self._connection = wrapper
            return True
        wrapper.close()
        return False

    def _drop_connection(self) -> None:
        with contextlib.suppress(DatabaseError):
            self._connection.close()
        self._connection = None

    # --- SQLite and other single-machine databases

    def _try_flock(self) -> bool:
        path = Path(settings.VAR_DIR) / f"{self.name}.lock"
        handle = path.open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n".encode())
        handle.flush()
        self._file = handle
        return True
