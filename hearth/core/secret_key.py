"""The secret key of a machine's var/ data when ``SECRET_KEY`` is not set: made once by the first
process with DEBUG off (``manage.py run``), kept in ``var/secret_key`` (mode 0600), and read by
every later process, DEBUG on or off (settings), since field encryption and lookup hashes derive
their development keys from it (hearth/privacy/crypto.py).

Imported by settings, so it uses no Django. Processes that start together (web server, task
worker, scheduler) agree on one key: the file appears in one step (a hard link of a complete
temporary file), so a reader never sees half a key and only the first writer's key stays.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

# Public, in the source: only for tests and a development database made before var/secret_key.
DEV_SECRET_KEY = "dev-only-insecure-key-change-me-for-anything-real-0123456789abcdef"  # noqa: S105


def persisted_secret_key(path: Path) -> str:
    """The key kept at ``path``, made first if there is none."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(50))
        os.chmod(temporary, 0o600)
        # Another process of the same run may have been first: its key is then the run's.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 50:
        raise ValueError(f"{path} holds no usable secret key: delete it to make a new one.")
    return key
