"""Settings shared by every environment; values come from the environment."""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.csp import CSP

from apps.common.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-secret-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "logistics.apps.OperationsAdminConfig",  # django.contrib.admin, behind a second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",  # htmx itself, served from our static files (the portal's partial updates)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "apps.common",
    "apps.merchants",
    "apps.orders",
    "apps.resources",
    "apps.warehouse",
    "apps.distribution",
    "apps.fulfillment",
    "apps.scheduling",
    "apps.shipping",
    "apps.webhooks",
    "apps.imports",
    "apps.batches",
    "apps.erp_api",
    "apps.portal",
    "apps.backoffice",
    "apps.sandbox",
    "logistics",
]

MIDDLEWARE = [
    # First, so that everything below logs with the request's id and is counted.
    "apps.common.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "apps.erp_api.middleware.ApiJsonErrorsMiddleware",
    "apps.erp_api.middleware.ApiBodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Sessions, the user and messages serve the portal and admin; /api/ authenticates by key alone.
    "apps.erp_api.middleware.SessionMiddlewareOutsideApi",
    # After sessions, before CommonMiddleware: the language from the cookie set by the switcher
    # (set_language), else the browser's Accept-Language; the portal speaks PORTAL_LANGUAGES only.
    "apps.portal.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "apps.erp_api.middleware.AuthenticationMiddlewareOutsideApi",
    "apps.erp_api.middleware.MessageMiddlewareOutsideApi",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

# Every page may load only what this site serves: no inline script or style, no other origin, no
# framing (pages that need more, the API docs, say so with csp_override in logistics/urls.py).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

ROOT_URLCONF = "logistics.urls"
WSGI_APPLICATION = "logistics.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "apps.portal.context_processors.languages",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.portal.context_processors.portal_permissions",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/logistics"),
}
# Persistent connections: the web and worker processes are long-lived.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Parameters travel apart from the SQL (psycopg 3's server-side binding), and a statement a
# connection has run DB_PREPARE_THRESHOLD times is prepared: PostgreSQL then parses and plans it
# once per connection instead of on every execution, which halved its CPU per intake order
# (docs/performance.md). Django leaves preparing off for the sake of transaction-mode poolers;
# behind one that does not track prepared statements, set DB_PREPARE_THRESHOLD=off.
_prepare_threshold = env.str("DB_PREPARE_THRESHOLD", default="5").strip().lower()
DATABASES["default"]["OPTIONS"] = {
    "server_side_binding": True,
    "prepare_threshold": None if _prepare_threshold in {"", "off", "none"} else int(_prepare_threshold),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The buyer's tracking page speaks every language in LANGUAGES; the merchant portal (and its
# login) PORTAL_LANGUAGES, every string of it translated (docs/i18n.md; a test checks the catalogues).
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("zh-hans", "简体中文"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
]
PORTAL_LANGUAGES = ["en", "zh-hans"]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Each field's error tied to its input, each input named by its label (apps/common/forms.py).
FORM_RENDERER = "apps.common.forms.AccessibleFormRenderer"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploads (merchants' logos): on disk under MEDIA_ROOT, served only through the views that
# checked them (apps/portal/settings_views.py), never as a directory.
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))

# Failed password logins (portal and admin) per account and per client address before even the
# right password is refused; one failure is forgiven every LOGIN_FAILURE_REFILL_SECONDS.
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=10)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=50)
LOGIN_FAILURE_REFILL_SECONDS = env.float("LOGIN_FAILURE_REFILL_SECONDS", default=60.0)
# Two-factor login (docs/team.md): a second step after the password, throttled like it.
TWO_FACTOR_FAILURES_PER_ACCOUNT = env.int("TWO_FACTOR_FAILURES_PER_ACCOUNT", default=5)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Logistics portal")
# Team invitations: how long an invitation link works; mail goes through Django's email backend
# (the console unless MAIL_BACKEND says otherwise, memory in tests; Django 6.1's MAILERS).
TEAM_INVITATION_DAYS = env.int("TEAM_INVITATION_DAYS", default=7)
MAILERS = {
    "default": {
        "BACKEND": env("MAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"),
        "OPTIONS": env.json("MAIL_OPTIONS", default={}),
    }
}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="portal@localhost")
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:login"

# The base URL at which this platform is reachable; the demo's sandbox carriers live under it.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:" + env("PORT", default="8000"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["apps.erp_api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.erp_api.parsers.DepthLimitedJSONParser"],
    "EXCEPTION_HANDLER": "apps.erp_api.errors.exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": ["apps.erp_api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "apps.erp_api.schema.ErpAutoSchema",
}

# The ERP API's OpenAPI schema (/api/schema/) and docs (/api/docs/), served offline from the sidecar.
SPECTACULAR_SETTINGS = {
    "TITLE": "Logistics ERP API",
    "DESCRIPTION": "Ship cross-border parcels from your ERP. Guide: docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "PREPROCESSING_HOOKS": ["apps.erp_api.schema.only_the_api"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "OrderEventTypeEnum": "apps.erp_api.serializers.ORDER_EVENT_TYPES",
        "WebhookEventTypeEnum": "apps.erp_api.webhooks.EVENT_TYPE_CHOICES",
        "WebhookDeliveryStateEnum": "apps.erp_api.webhooks.DELIVERY_STATES",
    },
}

# ERP API limits: a token bucket per key, a body cap, and how long idempotency keys are kept.
API_RATE_LIMIT_PER_SECOND = env.float("API_RATE_LIMIT_PER_SECOND", default=20.0)
API_RATE_LIMIT_BURST = env.int("API_RATE_LIMIT_BURST", default=100)
# How many reverse proxies in front of the web process append to X-Forwarded-For; limits per
# client address read the address from there (apps/common/ratelimit.py). 0: no proxy, REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=5 * 1024 * 1024)
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=32)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
IDEMPOTENCY_LOCK_SECONDS = env.int("IDEMPOTENCY_LOCK_SECONDS", default=60)

# Celery: Redis is the broker; outcomes live in our own tables, so there is no result backend.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = "events"
CELERY_TASK_ROUTES = {
    # Every call to a carrier is lane work: its run goes to the carriers queue.
    "apps.scheduling.tasks.run_lane_work": {"queue": "carriers"},
    # Merchants' endpoints can be slow or down: their own queue, so they never hold up ours.
    "apps.webhooks.tasks.*": {"queue": "webhooks"},
    # A spreadsheet import runs for up to a minute: its own queue, so it never holds up events.
    "apps.imports.tasks.*": {"queue": "imports"},
}
# How often warehouses with orders at their WMS or ASNs arriving are polled (webhooks may be lost).
WMS_POLL_SECONDS = env.int("WMS_POLL_SECONDS", default=30)
CELERY_BEAT_SCHEDULE = {
    "release-lanes": {"task": "apps.scheduling.tasks.release_lanes", "schedule": 1.0},
    # Tracking polls are lane work too: beat only queues one per carrier with deliveries due.
    "enqueue-tracking": {"task": "apps.scheduling.tasks.enqueue_tracking", "schedule": 2.0},
    # Polls of warehouses with open orders or ASNs, and stock snapshots due: lane work too.
    "enqueue-warehouse-sweeps": {
        "task": "apps.scheduling.tasks.enqueue_warehouse_sweeps",
        "schedule": float(WMS_POLL_SECONDS),
    },
    "sweep-lanes": {"task": "apps.scheduling.tasks.sweep_lanes", "schedule": 5.0},
    "close-containers": {"task": "apps.fulfillment.tasks.close_containers", "schedule": 60.0},
    "retry-plan-steps": {"task": "apps.fulfillment.tasks.retry_plan_steps", "schedule": 60.0},
    # One round at a time (a lock in Redis); ticks that wait behind a busy worker expire.
    "sandbox-webhooks": {"task": "apps.sandbox.tasks.send_webhooks", "schedule": 2.0, "options": {"expires": 10}},
    # The sandbox WMS moves its orders, drifts its stock and sends its webhooks; one step at a time.
    "sandbox-wms": {"task": "apps.sandbox.tasks.run_wms", "schedule": 2.0, "options": {"expires": 10}},
    "resume-imports": {"task": "apps.imports.tasks.resume_imports", "schedule": 60.0},
    "purge-import-tables": {"task": "apps.imports.tasks.purge_import_tables", "schedule": crontab(hour=4, minute=23)},
    "prune-outbox": {"task": "apps.common.tasks.prune_outbox", "schedule": 3600.0},
    "archive-closed-orders": {"task": "apps.orders.tasks.archive_closed_orders", "schedule": 600.0},
    "purge-idempotency-records": {"task": "apps.erp_api.tasks.purge_idempotency_records", "schedule": 3600.0},
    # Sweeps that wait behind a busy worker expire rather than pile up; the next one takes over.
    "send-webhooks": {"task": "apps.webhooks.tasks.send_due_deliveries", "schedule": 2.0, "options": {"expires": 10}},
    # The warehouse center's nightly ledger check (docs/warehouse.md) and expired stock holds.
    "warehouse-stock-check": {"task": "apps.warehouse.tasks.check_stock", "schedule": crontab(hour=3, minute=17)},
    "warehouse-expire-reservations": {"task": "apps.warehouse.tasks.expire_reservations", "schedule": 60.0},
    "purge-webhook-deliveries": {"task": "apps.webhooks.tasks.purge_deliveries", "schedule": 3600.0},
}

# Platform knobs.
API_KEY_PEPPER = env("API_KEY_PEPPER", default="dev-only-api-key-pepper")
CARRIER_HTTP_TIMEOUT_SECONDS = env.float("CARRIER_HTTP_TIMEOUT_SECONDS", default=10.0)
# A carrier event dated further ahead than this (clock skew) is skipped, as is one without a zone.
CARRIER_EVENT_MAX_FUTURE_SECONDS = env.int("CARRIER_EVENT_MAX_FUTURE_SECONDS", default=15 * 60)
TRACKING_POLL_SECONDS = env.int("TRACKING_POLL_SECONDS", default=5)
OUTBOX_RELAY_POLL_SECONDS = env.float("OUTBOX_RELAY_POLL_SECONDS", default=0.2)
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=7)
# A published message whose subscriber has not finished within this is published again (it was
# lost, e.g. Redis restarted empty); each further time waits twice as long, up to the maximum.
OUTBOX_REDELIVER_SECONDS = env.float("OUTBOX_REDELIVER_SECONDS", default=60.0)
OUTBOX_REDELIVER_MAX_SECONDS = env.float("OUTBOX_REDELIVER_MAX_SECONDS", default=3600.0)
# Bulk news (apps.common.outbox.BULK) runs from a twin of its queue; workers consume both, and
# Celery's Redis transport takes from its queues in turn, so neither waits behind the other.
OUTBOX_BULK_QUEUES = {"events": "events_bulk"}
# How long the breaker's callers wait before asking again when Redis cannot say whether a
# carrier's circuit is open (they hold rather than call the carrier blind).
CARRIER_BREAKER_UNKNOWN_RETRY_SECONDS = env.float("CARRIER_BREAKER_UNKNOWN_RETRY_SECONDS", default=10.0)
# Reconciling a WMS stock snapshot (docs/warehouse.md): drift within this many units, or this
# percentage of on hand, is corrected automatically; more is held for operations. A snapshot that
# would zero more than this percentage of the stocked SKUs is refused.
WAREHOUSE_DRIFT_TOLERANCE_UNITS = env.int("WAREHOUSE_DRIFT_TOLERANCE_UNITS", default=2)
WAREHOUSE_DRIFT_TOLERANCE_PERCENT = env.float("WAREHOUSE_DRIFT_TOLERANCE_PERCENT", default=1.0)
WAREHOUSE_SNAPSHOT_MAX_ZEROED_PERCENT = env.float("WAREHOUSE_SNAPSHOT_MAX_ZEROED_PERCENT", default=5.0)
# Orders closed (delivered, cancelled, returned) longer than this move to the archive tables.
ORDER_ARCHIVE_AFTER_DAYS = env.float("ORDER_ARCHIVE_AFTER_DAYS", default=90)
ORDER_ARCHIVE_BATCH_SIZE = env.int("ORDER_ARCHIVE_BATCH_SIZE", default=1000)
ORDER_ARCHIVE_MAX_BATCHES = env.int("ORDER_ARCHIVE_MAX_BATCHES", default=100)
# The sandbox plays the outside carriers for development, tests and demos; production mounts it
# only when asked (its test-control endpoints must never face the internet by accident).
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=True)
SANDBOX_DELIVERY_SECONDS = env.int("SANDBOX_DELIVERY_SECONDS", default=180)
# Defaults for sandbox carriers created on their first request; the admin changes them per carrier.
SANDBOX_LATENCY_MS = env.int("SANDBOX_LATENCY_MS", default=0)
SANDBOX_ERROR_RATE = env.float("SANDBOX_ERROR_RATE", default=0.0)
SANDBOX_TIMEOUT_RATE = env.float("SANDBOX_TIMEOUT_RATE", default=0.0)
# Sandbox carriers send signed tracking webhooks here (with {code}); empty sends none.
SANDBOX_WEBHOOK_URL = env("SANDBOX_WEBHOOK_URL", default=SITE_URL + "/webhooks/carriers/{code}/")
SANDBOX_WEBHOOK_SECRET = env("SANDBOX_WEBHOOK_SECRET", default="dev-only-sandbox-webhook-secret")
# The API key every sandbox carrier asks for (`Authorization: Bearer`, as the gateway sends the
# carrier's `api_key`); staff sessions pass too. The demo's carriers are seeded with it.
SANDBOX_API_KEY = env("SANDBOX_API_KEY", default="dev-only-sandbox-api-key")
SANDBOX_HANG_SECONDS = env.float("SANDBOX_HANG_SECONDS", default=CARRIER_HTTP_TIMEOUT_SECONDS + 5)
# The sandbox WMS (apps/sandbox/wms.py): seconds an order spends in each stage before the next,
# and where its signed order and receipt webhooks go (with {code}; empty sends none).
SANDBOX_WMS_STAGE_SECONDS = env.int("SANDBOX_WMS_STAGE_SECONDS", default=20)
# Defaults of a new sandbox warehouse's own failure knobs (latency, errors and timeouts share the
# carriers' SANDBOX_* defaults); the admin or its behaviour/ endpoint changes them per warehouse.
SANDBOX_WMS_LOST_REPLY_RATE = env.float("SANDBOX_WMS_LOST_REPLY_RATE", default=0.0)
SANDBOX_WMS_SHORT_PICK_RATE = env.float("SANDBOX_WMS_SHORT_PICK_RATE", default=0.0)
SANDBOX_WMS_DRIFT_RATE = env.float("SANDBOX_WMS_DRIFT_RATE", default=0.0)
SANDBOX_WMS_WEBHOOK_URL = env("SANDBOX_WMS_WEBHOOK_URL", default=SITE_URL + "/warehouse/wms-webhooks/{code}/")
# Warehouses' WMS (apps/warehouse/wms/): the API key sent as bearer token and the secret their
# webhooks are signed with, each per warehouse code ("code=value,code=value") or the default for
# all; the development defaults are the sandbox's. Short timeouts: a slow WMS holds a worker.
WMS_API_KEY = env("WMS_API_KEY", default=SANDBOX_API_KEY)
WMS_API_KEYS = env.dict("WMS_API_KEYS", default={})
WMS_WEBHOOK_SECRET = env("WMS_WEBHOOK_SECRET", default=SANDBOX_WEBHOOK_SECRET)
WMS_WEBHOOK_SECRETS = env.dict("WMS_WEBHOOK_SECRETS", default={})
WMS_WEBHOOK_TOLERANCE_SECONDS = env.int("WMS_WEBHOOK_TOLERANCE_SECONDS", default=300)
WMS_HTTP_TIMEOUT_SECONDS = env.float("WMS_HTTP_TIMEOUT_SECONDS", default=5.0)
# A warehouse's lane (every call to its WMS) until operations set its own limits on the lane page.
WMS_REQUESTS_PER_SECOND = env.int("WMS_REQUESTS_PER_SECOND", default=5)
WMS_MAX_IN_FLIGHT = env.int("WMS_MAX_IN_FLIGHT", default=4)
# How often each warehouse's stock snapshot is reconciled (its changes: WMS_POLL_SECONDS, above).
WMS_SNAPSHOT_MINUTES = env.int("WMS_SNAPSHOT_MINUTES", default=60)
CARRIER_BREAKER_FAIL_MAX = env.int("CARRIER_BREAKER_FAIL_MAX", default=5)
CARRIER_BREAKER_RESET_SECONDS = env.float("CARRIER_BREAKER_RESET_SECONDS", default=30.0)
CARRIER_BREAKER_NAMESPACE = env("CARRIER_BREAKER_NAMESPACE", default="carrier-breaker")
MAX_BOOKING_ATTEMPTS = env.int("MAX_BOOKING_ATTEMPTS", default=6)
# Lanes (docs/operations.md#lanes): how long released work holds its slot without news, how long
# a run waits in-process for a rate token, when waiting work ages up a priority level, how many
# attempts a void gets, and the adaptive concurrency window (good calls per +1 of the limit).
LANE_LEASE_SECONDS = env.float("LANE_LEASE_SECONDS", default=CARRIER_HTTP_TIMEOUT_SECONDS + 20)
LANE_TOKEN_WAIT_SECONDS = env.float("LANE_TOKEN_WAIT_SECONDS", default=1.0)
LANE_AGING_SECONDS = env.int("LANE_AGING_SECONDS", default=300)
LANE_MAX_ATTEMPTS = env.int("LANE_MAX_ATTEMPTS", default=10)
LANE_ADAPTIVE_WINDOW = env.int("LANE_ADAPTIVE_WINDOW", default=20)
LANE_GATE_NAMESPACE = env("LANE_GATE_NAMESPACE", default="lane-gate")
TRACKING_BATCH_SIZE = env.int("TRACKING_BATCH_SIZE", default=50)
DISTRIBUTION_STUCK_MINUTES = env.int("DISTRIBUTION_STUCK_MINUTES", default=30)
# The back office (docs/operations.md#dashboard): work without progress this long is on the
# "Stuck work" page; the dashboard refreshes this often and watches these Celery queues; each
# worker writes its heartbeat to Redis this often.
STUCK_WORK_MINUTES = env.int("STUCK_WORK_MINUTES", default=30)
DASHBOARD_REFRESH_SECONDS = env.int("DASHBOARD_REFRESH_SECONDS", default=15)
OPERATIONS_QUEUES = env.list("OPERATIONS_QUEUES", default=["events", "events_bulk", "carriers", "webhooks", "imports"])
# Spreadsheet imports keep their rows (buyers' addresses) this long for the preview and the error file.
IMPORT_RETENTION_DAYS = env.int("IMPORT_RETENTION_DAYS", default=30)
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=10.0)
# Merchant webhooks: per-request timeout, how long failures are retried, and whether endpoints
# may point at loopback/private/link-local addresses (development only: see apps/webhooks/destinations.py).
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_RETRY_HOURS = env.int("WEBHOOK_RETRY_HOURS", default=24)
WEBHOOK_RETENTION_DAYS = env.int("WEBHOOK_RETENTION_DAYS", default=30)
WEBHOOKS_ALLOW_PRIVATE_URLS = env.bool("WEBHOOKS_ALLOW_PRIVATE_URLS", default=False)
# Declared value up to which a CN22 suffices (UPU: 300 SDR); above it a CN23 goes with the parcel.
CUSTOMS_CN22_MAX_VALUE = env("CUSTOMS_CN22_MAX_VALUE", default="300")

# Logs (docs/operations.md#logs): `json`, one object per line with the request id and order id,
# for machines (production's default), or `plain`, one readable line (development's).
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)
# The bearer token /metrics asks of every scraper (docs/operations.md#metrics); empty: /metrics
# refuses every request.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
# Routing reads an in-process catalogue (docs/routing.md): how often it looks for a newer version,
# and how old today's capacity counters may be.
ROUTING_CATALOGUE_CHECK_SECONDS = env.float("ROUTING_CATALOGUE_CHECK_SECONDS", default=1.0)
ROUTING_USAGE_CHECK_SECONDS = env.float("ROUTING_USAGE_CHECK_SECONDS", default=5.0)
# A catalogue of thousands of services takes seconds to compile: do it beside the requests.
ROUTING_REBUILD_IN_BACKGROUND = env.bool("ROUTING_REBUILD_IN_BACKGROUND", default=True)
