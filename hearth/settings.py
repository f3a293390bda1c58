"""Settings, read from the environment with safe defaults for the embedded run.

Environment variables:
- ``DATABASE_URL``: e.g. ``postgres://postgres@127.0.0.1:5432/hearth``; default is SQLite (WAL)
  at ``var/hearth.sqlite3``.
- ``SECRET_KEY``: required in production. Elsewhere, when unset: the key in ``var/secret_key``,
  made once by the first process with ``DEBUG`` off (``manage.py run``); before that a fixed
  development key.
- ``DEBUG``: ``1``/``true`` to turn on; on by default for ``manage.py`` commands and tests, off
  in production and for ``manage.py run`` (unless ``DEBUG=1``).
- ``HEARTH_STATIC``: ``collected`` serves static files from ``STATIC_ROOT`` (hashed names, after
  ``collectstatic``); default: from the apps.
- ``ALLOWED_HOSTS``: comma-separated; default ``127.0.0.1,localhost``.
- ``HEARTH_ENV``: ``production`` turns on the hardened defaults (HTTPS cookies, HSTS, ...).
- ``EMAIL_URL``-style settings: ``EMAIL_HOST``, ``EMAIL_PORT``, ``EMAIL_HOST_USER``,
  ``EMAIL_HOST_PASSWORD``, ``EMAIL_USE_TLS``; without ``EMAIL_HOST`` mail goes to the outbox.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from hearth.core.environment import truthy
from hearth.core.secret_key import DEV_SECRET_KEY, persisted_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HEARTH_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return truthy(raw)


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


HEARTH_ENV = os.environ.get("HEARTH_ENV", "development")
PRODUCTION = HEARTH_ENV == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when HEARTH_ENV=production.")
    # The key of this machine's var/ data, once made (``manage.py run``, or any process with
    # DEBUG off): every later command reads it, so they all open the same encrypted fields.
    # Until then, with DEBUG on (tests, a first ``manage.py`` command): the development key.
    _key_file = VAR_DIR / "secret_key"
    if DEBUG and not _key_file.exists():
        SECRET_KEY = DEV_SECRET_KEY
    else:
        SECRET_KEY = persisted_secret_key(_key_file)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# The load balancers / reverse proxies in front of Hearth (addresses or CIDR blocks). Only a
# request arriving from one of them has its X-Forwarded-For believed (core/client_address.py).
HEARTH_TRUSTED_PROXIES = env_list("HEARTH_TRUSTED_PROXIES", "")
# Set by ``hearth serve`` for the web processes behind its front (HEARTH_FRONT): they listen on
# a Unix socket only the front reaches, and its peer (REMOTE_ADDR empty) is that proxy.
HEARTH_TRUST_UNIX_PEER = env_bool("HEARTH_TRUST_UNIX_PEER", False)

INSTALLED_APPS = [
    "hearth.accounts.apps.HearthAdminConfig",  # django.contrib.admin with the TOTP back office
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves the API docs' Swagger UI from local static files (no CDN)
    # Staff second factor (issue #17): TOTP with drift and throttling, single-use backup codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # hearth.core before django_tasks_db: its `db_worker` (heartbeat, abandoned-task recovery)
    # overrides django-tasks-db's command of the same name.
    "hearth.core",
    "django_tasks",
    "django_tasks_db",
    "django_rq",  # TASKS_BACKEND=rq: RQ's queues and its rqworker command
    "django_tasks_rq",
    "hearth.accounts",
    "hearth.privacy",
    "hearth.tax",
    "hearth.fulfilment",
    "hearth.aftersales",
    "hearth.comms",
    "hearth.catalog",
    "hearth.devices",
    "hearth.orders",
    "hearth.checkout",
    "hearth.discounts",
    "hearth.payments",
    "hearth.care",
    "hearth.stats",
    "hearth.web",
]

MIDDLEWARE = [
    # First: the request id, the latency metric and the access log (hearth/core/observability.py).
    "hearth.core.observability.RequestObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Counts page views from the final response (PP-2; hearth/stats/middleware.py): no cookie,
    # no database write per request (a per-process buffer flushed in batches). It asks
    # hearth.privacy.cookie_policy.statistics_allowed (through hearth/stats/consent.py).
    "hearth.stats.middleware.VisitorStatisticsMiddleware",
    # Outside every middleware that sets a cookie, so that each passes the inventory (PP-11).
    "hearth.privacy.middleware.CookiePolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the session passed the second factor with a device it still has.
    "django_otp.middleware.OTPMiddleware",
    "hearth.privacy.middleware.GlobalPrivacyControlMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's, with the header built once per process (hearth/core/csp.py).
    "hearth.core.csp.CSPMiddleware",
    # Last, so that their answers carry every header above (hearth/core/middleware.py).
    "hearth.core.middleware.ApiCsrfMiddleware",
    "hearth.core.middleware.InputGuardMiddleware",
]

ROOT_URLCONF = "hearth.urls"
OTP_TOTP_ISSUER = "Ember & Oak Audio back office"

# Content-Security-Policy (django-csp): everywhere, the API docs included, a strict same-origin
# policy: scripts only from this site (never inline), no plug-ins, no framing, forms post only
# here. Styles allow inline blocks for the small stylesheets some templates carry inline. Swagger
# UI needs no exception: with ``ninja`` in INSTALLED_APPS its files are served from this site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Error reports never show card numbers, even with DEBUG on (PP-10; hearth/payments/reporting.py).
DEFAULT_EXCEPTION_REPORTER_FILTER = "hearth.payments.reporting.CardSafeExceptionReporterFilter"
WSGI_APPLICATION = "hearth.wsgi.application"

_CONTEXT_PROCESSORS = [
    "django.template.context_processors.request",
    "django.template.context_processors.i18n",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
    "hearth.privacy.context_processors.policy_notice",
    "hearth.privacy.context_processors.cookie_banner",
    "hearth.checkout.context_processors.header_basket",
]
TEMPLATES = [
    # HTML (escaped): every template but `.txt` ones. First, so that it is also the engine of
    # `django.template.Template("...")` (Engine.get_default takes the first).
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": False,
        "OPTIONS": {
            "loaders": [
                ("django.template.loaders.cached.Loader", ["hearth.core.plain_text.HtmlLoader"])
            ],
            "context_processors": _CONTEXT_PROCESSORS,
        },
    },
    # Plain text (emails' text parts and subjects): `.txt` templates only, never HTML-escaped
    # (hearth/core/plain_text.py).
    {
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": False,
        "OPTIONS": {
            "autoescape": False,
            "loaders": [
                (
                    "django.template.loaders.cached.Loader",
                    ["hearth.core.plain_text.PlainTextLoader"],
                )
            ],
            "context_processors": _CONTEXT_PROCESSORS,
        },
    },
]

# Django's common widgets written in Python, the same HTML without the per-widget template stack
# (issue #12 item 2; hearth/core/form_renderer.py).
FORM_RENDERER = "hearth.core.form_renderer.WidgetsInPython"

# --- Database: SQLite (WAL) embedded by default, PostgreSQL when DATABASE_URL says so.
VAR_DIR.mkdir(parents=True, exist_ok=True)
# The Prometheus client opens its files in PROMETHEUS_MULTIPROC_DIR as soon as the metrics are
# imported (by the logging set-up, before any command runs): an operator's directory that does
# not exist yet is made here, or refused by name, instead of a FileNotFoundError at start.
if _metrics_dir := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    try:
        Path(_metrics_dir).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"PROMETHEUS_MULTIPROC_DIR={_metrics_dir!r} cannot be made: {exc.strerror}"
        ) from None
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'hearth.sqlite3'}")
# Persistent connections (issue #12 item 6): a connection is kept for CONN_MAX_AGE seconds and
# checked before reuse (a failed health check opens a new one, so a restarted PostgreSQL costs
# one request, not an error). For SQLite this also saves the open and the PRAGMAs of every
# request; it is safe with gunicorn's sync workers (one connection per worker thread).
_db = dj_database_url.parse(
    DATABASE_URL,
    conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
    conn_health_checks=True,
)
if _db["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, but the health check polls the socket instead of sending SELECT 1
    # before each request's first query (hearth/core/postgresql/base.py).
    _db["ENGINE"] = "hearth.core.postgresql"
    # A server that takes the TCP connection but never answers (a hung host, a full backlog)
    # fails a connection in this many seconds instead of never: /readyz then answers 503.
    _db.setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
    )
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db.setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            " PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
        }
    )
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:sign_in"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Background work: Django's task interface. The database backend (same on SQLite and
# PostgreSQL) is the embedded default; TASKS_BACKEND=rq puts the tasks on RQ over Redis
# (django-tasks-rq; REDIS_URL), for a deployment that outgrows it (hearth/core/rq.py).
TASK_QUEUES = ["default", "email", "rollups"]
_TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
if _TASKS_BACKEND == "rq":
    _TASKS_BACKEND = "django_tasks_rq.RQBackend"
TASKS = {"default": {"BACKEND": _TASKS_BACKEND, "QUEUES": TASK_QUEUES}}
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# A job may run this long before RQ stops it; a killed worker's job is found abandoned at most
# min(this, 30 s) + 60 s after its last heartbeat, and run again (the retries below).
HEARTH_RQ_JOB_TIMEOUT = int(os.environ.get("HEARTH_RQ_JOB_TIMEOUT", "300"))
RQ_QUEUES = {
    name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": HEARTH_RQ_JOB_TIMEOUT} for name in TASK_QUEUES
}
# Every job gets RQ retries (abandoned by a dead worker, or raised): seconds before each retry.
RQ = {"QUEUE_CLASS": "hearth.core.rq.RetryingQueue"}
# No RQ dashboard in the back office: it would show every job's arguments to staff, unaudited
# (its admin entry is a model without a table); /metrics gives the queue depths.
RQ_SHOW_ADMIN_LINK = False
HEARTH_RQ_RETRY_INTERVALS = [
    int(v) for v in env_list("HEARTH_RQ_RETRY_INTERVALS", "10,30,60,120,300")
]

# What each task worker of ``hearth serve`` runs: manage.py and these words (hearth/core/serve.py);
# HEARTH_TASK_WORKER_COMMAND in the environment wins.
HEARTH_TASK_WORKER_COMMAND = (
    "rqworker " + " ".join(TASK_QUEUES) + " --job-class django_tasks_rq.Job --with-scheduler"
    if _TASKS_BACKEND.startswith("django_tasks_rq.")
    else "db_worker --queue-name * --no-reload"
)

# A task RUNNING on a worker that has not beaten its heartbeat for this long is run again by
# another worker (hearth.core.workers); workers beat every quarter of it.
HEARTH_TASK_LEASE_SECONDS = float(os.environ.get("HEARTH_TASK_LEASE_SECONDS", "60"))
# How long a worker holds an email it is sending (default: comms/data/outbox.toml).
HEARTH_MAIL_LEASE_SECONDS = float(os.environ.get("HEARTH_MAIL_LEASE_SECONDS", "0")) or None
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "60"))

# --- Email: real SMTP when EMAIL_HOST is set; otherwise the outbox kept in the database.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "hearth.comms.backends.OutboxBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Ember & Oak Audio <orders@example.com>")

# --- Internationalisation: English and Canadian French; every user-facing string is translated.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr-ca", _("French (Canada)"))]
LOCALE_PATHS = [BASE_DIR / "hearth" / "locale"]
# The language switch's cookie: a session cookie (the inventory says so), never read by scripts.
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "America/Toronto"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
# Static files, served by WhiteNoise. By default straight from the apps (its finders: no build
# step). ``HEARTH_STATIC=collected`` (``manage.py run`` with DEBUG off, after its collectstatic):
# from STATIC_ROOT, with content-hashed, pre-compressed names that browsers may cache for a year.
STATIC_COLLECTED = os.environ.get("HEARTH_STATIC", "") == "collected"
WHITENOISE_USE_FINDERS = not STATIC_COLLECTED
if STATIC_COLLECTED:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "hearth.core.static_files.CollectedStaticFilesStorage"},
    }
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security. Strict cookies always; HTTPS-only settings in production.
# Django's database sessions, read and written with plain statements (hearth/core/sessions.py).
SESSION_ENGINE = "hearth.core.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# A form refused for a missing cookie explains which cookie and why, in the site's design (PP-11).
CSRF_FAILURE_VIEW = "hearth.privacy.views.csrf_failure"
# A cookie outside hearth/privacy/data/cookies.toml, or not accepted: raise (DEBUG and tests) or
# drop and log (production).
COOKIE_POLICY_RAISE = env_bool("COOKIE_POLICY_RAISE", default=DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    # Probes and scrapes come over plain HTTP from inside the network (hearth/core/health.py).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs keep no full IP (PP-2): every handler truncates IPs to /24 (IPv4) or /48 (IPv6)
# (hearth/core/log_filters.py); retention: privacy/data/retention.toml ``server_logs``. Card numbers
# (PP-10) and email addresses are masked, personal ``extra=`` values removed, on every handler.
# HEARTH_LOG_FORMAT=json (always under ``hearth serve``): one JSON object per line with the
# request id (hearth/core/logjson.py). HEARTH_ACCESS_LOG=1: one line per request on
# ``hearth.request`` (hearth/core/observability.py).
HEARTH_LOG_FORMAT = os.environ.get("HEARTH_LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "truncate_ips": {"()": "hearth.core.log_filters.TruncateIPFilter"},
        "personal_data": {"()": "hearth.core.log_filters.PersonalDataFilter"},
        "card_numbers": {"()": "hearth.payments.reporting.CardNumberLogFilter"},
    },
    "formatters": {"json": {"()": "hearth.core.logjson.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["truncate_ips", "personal_data", "card_numbers"],
            **({"formatter": "json"} if HEARTH_LOG_FORMAT == "json" else {}),
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "hearth.request": {
            "level": "INFO" if env_bool("HEARTH_ACCESS_LOG", default=False) else "WARNING"
        },
        # Process-set events: scheduler leader/standby and what it enqueued, supervisor restarts.
        "hearth.core.scheduler": {"level": "INFO"},
        "hearth.core.leader": {"level": "INFO"},
    },
}
# /metrics (hearth/core/metrics.py): with a token, a scrape sends ``Authorization: Bearer
# <token>``; without one, only direct connections from the loopback address are answered.
HEARTH_METRICS_TOKEN = os.environ.get("HEARTH_METRICS_TOKEN", "")

# --- Hearth business settings.
# Where links in emails point (no request at hand when a task sends them).
HEARTH_SITE_URL = os.environ.get("HEARTH_SITE_URL", "http://localhost:8000").rstrip("/")
HEARTH_BRAND = {
    "name": "Ember & Oak Audio",
    "legal_name": "Ember & Oak Audio Inc.",
    "care_email": "care@example.com",
    "care_phone": "1-800-555-0199",
    # Seller details printed on tax invoices (TOS-11); invented for the demo brand.
    "legal_address": ["100 Example Street", "Toronto ON  M5V 0A1", "Canada"],
    "gst_hst_number": "123456789 RT0001",
    "qst_number": "1234567890 TQ0001",
}

# Periodic work: (task path, every N seconds); `manage.py scheduler` enqueues it when due.
HEARTH_PERIODIC_TASKS = [
    ("hearth.devices.tasks.roll_up", 300),
    ("hearth.devices.tasks.sweep_tiers", 86_400),
    ("hearth.devices.tasks.purge_telemetry_retention", 86_400),
    ("hearth.devices.tasks.ensure_telemetry_partitions", 86_400),
    ("hearth.privacy.tasks.purge_retention", 86_400),
    ("hearth.comms.tasks.sweep_outbox", 60),
    ("hearth.checkout.tasks.purge_abandoned_checkouts", 300),
    ("hearth.comms.tasks.purge_outbox", 86_400),
    ("hearth.comms.tasks.run_campaigns", 60),
    ("hearth.care.tasks.tell_delayed_cases", 900),
    ("hearth.care.tasks.absorb_sources", 60),
    ("hearth.care.tasks.purge_closed_cases", 86_400),
    ("hearth.aftersales.tasks.rma_deadlines", 3_600),
    ("hearth.stats.tasks.close_days", 600),
]

# Visitor statistics (PP-2; hearth/stats): the per-process buffer's flush size and bound (in
# distinct keys), its flush interval, and how long after midnight a day closes (salt destroyed).
HEARTH_STATS = {
    "ENABLED": env_bool("HEARTH_STATS_ENABLED", default=True),
    "FLUSH_SIZE": int(os.environ.get("HEARTH_STATS_FLUSH_SIZE", "2000")),
    "MAX_KEYS": int(os.environ.get("HEARTH_STATS_MAX_KEYS", "20000")),
    "FLUSH_SECONDS": float(os.environ.get("HEARTH_STATS_FLUSH_SECONDS", "10")),
    "CLOSE_GRACE_MINUTES": 15,
    "FLUSHER_THREAD": True,
}

# --- Carriers (issue #11): the configured carriers, keyed; each posts tracking events signed with
# its own webhook secret (HMAC-SHA256) to /carriers/<key>/events/. The sandbox is built in.
HEARTH_SITE_URL = os.environ.get("HEARTH_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
HEARTH_DEFAULT_CARRIER = "sandbox"
# --- Customer care (issue #14): answers come from this address and ask the customer to reply to
# care+<case token>@HEARTH_CARE_REPLY_DOMAIN, which the inbound mail side routes to the case.
HEARTH_CARE_FROM_EMAIL = os.environ.get(
    "HEARTH_CARE_FROM_EMAIL", "Ember & Oak Audio customer care <care@example.com>"
)
HEARTH_CARE_REPLY_DOMAIN = os.environ.get("HEARTH_CARE_REPLY_DOMAIN", "example.com")
# Without a secret in production the sandbox's webhook refuses every event (fails closed).
_sandbox_secret = os.environ.get("SANDBOX_CARRIER_WEBHOOK_SECRET", "")
if not _sandbox_secret and not PRODUCTION:
    _sandbox_secret = "dev-only-sandbox-carrier-webhook-secret"  # noqa: S105
HEARTH_CARRIERS = {
    "sandbox": {
        "class": "hearth.fulfilment.carriers.SandboxCarrier",
        "name": "Northern Parcel",
        "webhook_secret": _sandbox_secret,
        "tracking_url": HEARTH_SITE_URL + "/carriers/sandbox/track/{code}/",
    }
}

# --- Commercial email and inbound mail (issue #14; comms). CASL s.6(2): the sender identified
# in every campaign (name, mailing address, a way to reach them); the campaign is refused at save
# when any is blank.
HEARTH_CASL_SENDER = {
    "name": os.environ.get("HEARTH_CASL_SENDER_NAME", HEARTH_BRAND["legal_name"]),
    "mailing_address": os.environ.get(
        "HEARTH_CASL_MAILING_ADDRESS", ", ".join(HEARTH_BRAND["legal_address"])
    ),
    "contact": os.environ.get(
        "HEARTH_CASL_CONTACT", f"{HEARTH_BRAND['care_email']}, {HEARTH_BRAND['care_phone']}"
    ),
}
HEARTH_CAMPAIGN_FROM_EMAIL = os.environ.get(
    "HEARTH_CAMPAIGN_FROM_EMAIL", "Ember & Oak Audio <news@example.com>"
)
# The List-Unsubscribe mailto (and the address that unsubscribes whoever writes to it): the
# inbound receiver must get its mail.
HEARTH_UNSUBSCRIBE_MAILBOX = os.environ.get("HEARTH_UNSUBSCRIBE_MAILBOX", "unsubscribe@example.com")
# The provider's inbound-parse webhook signs each POST with this secret (core.signatures).
_inbound_secret = os.environ.get("HEARTH_INBOUND_SECRET", "")
if not _inbound_secret and not PRODUCTION:
    _inbound_secret = "dev-only-inbound-webhook-secret"  # noqa: S105
HEARTH_INBOUND_SECRET = _inbound_secret
# DKIM (dkimpy): every outgoing email is signed when a key is configured
# (`manage.py make_dkim_key` writes one and prints the DNS record).
HEARTH_DKIM_KEY_FILE = os.environ.get("HEARTH_DKIM_KEY_FILE", "")
HEARTH_DKIM_SELECTOR = os.environ.get("HEARTH_DKIM_SELECTOR", "hearth")
HEARTH_DKIM_DOMAIN = os.environ.get("HEARTH_DKIM_DOMAIN", "example.com")
