"""Development settings: debug on, everything on 127.0.0.1."""

from logistics.settings.base import *  # noqa: F403
from logistics.settings.base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

WEBHOOKS_ALLOW_PRIVATE_URLS = env.bool("WEBHOOKS_ALLOW_PRIVATE_URLS", default=True)
