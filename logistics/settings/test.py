"""Test settings: a separate Redis database, fast hashing, quick tracking polls."""

import os
import tempfile

from logistics.settings.base import *  # noqa: F403
from logistics.settings.base import CELERY_BEAT_SCHEDULE, env

# A run with its own test database (a second checkout, a parallel run) also gets its own Redis
# database, and so does each pytest-xdist worker (whose test database pytest-django suffixes), so
# that one's breaker resets and workers never meet another's queues.
_TEST_DB_NAME = env("TEST_DATABASE_NAME", default="")
_REDIS_KEY = _TEST_DB_NAME + os.environ.get("PYTEST_XDIST_WORKER", "")
_REDIS_DB = 1 + sum(map(ord, _REDIS_KEY)) % 12 if _REDIS_KEY else 15
REDIS_URL = env("REDIS_URL", default=f"redis://127.0.0.1:6379/{_REDIS_DB}")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
SANDBOX_WEBHOOK_URL = ""  # tests that want webhooks point a sandbox carrier at their live server
SANDBOX_WMS_WEBHOOK_URL = ""  # likewise for a sandbox warehouse
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TRACKING_POLL_SECONDS = env.int("TRACKING_POLL_SECONDS", default=1)
OUTBOX_RELAY_POLL_SECONDS = env.float("OUTBOX_RELAY_POLL_SECONDS", default=0.2)
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "enqueue-tracking": {"task": "apps.scheduling.tasks.enqueue_tracking", "schedule": 1.0},
}
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Parallel runs (several checkouts, several developers) each pick their own test database.
DATABASES["default"]["TEST"] = {"NAME": _TEST_DB_NAME or "test_logistics"}  # noqa: F405

WEBHOOKS_ALLOW_PRIVATE_URLS = env.bool("WEBHOOKS_ALLOW_PRIVATE_URLS", default=True)  # receivers run on 127.0.0.1
# Tests write the catalogue and route at once: look for changes on every decision.
ROUTING_CATALOGUE_CHECK_SECONDS = 0.0
ROUTING_USAGE_CHECK_SECONDS = 0.0
ROUTING_REBUILD_IN_BACKGROUND = False  # a thread would not see the test's transaction
# Tests run without collectstatic: static files are served from where they live, as in development.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = env("MEDIA_ROOT", default=tempfile.mkdtemp(prefix="logistics-test-media-"))  # uploads (logos) of this run
