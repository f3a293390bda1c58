"""WSGI entry point (gunicorn hearth.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hearth.settings")
application = get_wsgi_application()
