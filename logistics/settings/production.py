"""Production settings: secrets have no default, transport is HTTPS only."""

from apps.common.logs import logging_config
from logistics.settings.base import *  # noqa: F403
from logistics.settings.base import LOG_LEVEL, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
API_KEY_PEPPER = env("API_KEY_PEPPER")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
SITE_URL = env("SITE_URL")
SANDBOX_WEBHOOK_URL = env("SANDBOX_WEBHOOK_URL", default="")
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=False)
SANDBOX_WMS_WEBHOOK_URL = env("SANDBOX_WMS_WEBHOOK_URL", default="")
# No development credentials toward warehouses: without these every WMS webhook is refused.
WMS_API_KEY = env("WMS_API_KEY", default="")
WMS_WEBHOOK_SECRET = env("WMS_WEBHOOK_SECRET", default="")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Production runs behind one TLS-terminating proxy (see SECURE_PROXY_SSL_HEADER); set 0 without
# one (a client could then choose its own address) and 2 behind a CDN plus a load balancer.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Team invitations are mailed over SMTP (MAIL_OPTIONS: host, port, username, password, use_tls as
# JSON); the owner also sees each invitation's link, so a mail that does not go loses nothing.
MAILERS = {
    "default": {
        "BACKEND": env("MAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend"),
        "OPTIONS": env.json("MAIL_OPTIONS", default={}),
    }
}

# Webhook endpoints must resolve to public addresses (SSRF); no environment switch.
WEBHOOKS_ALLOW_PRIVATE_URLS = False

# Production logs are for machines: JSON lines unless LOG_FORMAT says otherwise.
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)
