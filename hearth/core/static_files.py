"""The static files storage of a collected run (``HEARTH_STATIC=collected``; settings)."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class CollectedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's hashed, pre-compressed files. A name missing from the manifest (a product
    image named in the database but not shipped) gets its plain URL, a missing image, rather
    than failing the whole page."""

    manifest_strict = False
