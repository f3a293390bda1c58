"""WSGI entry point (gunicorn hearth.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hearth.settings")
application = get_wsgi_application()

# The objects loaded at start-up live as long as the worker: move them out of the collector's
# reach, so that a telemetry batch's many short-lived dicts do not make each full collection
# rescan the whole application (issue #12 item 5; measured in-process, see ADR 0004).
gc.collect()
gc.freeze()
