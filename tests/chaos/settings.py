"""Settings of the platform's processes under the fault suite (tests/chaos).

Production's behaviour where it matters for faults (persistent connections with health checks,
catalogue rebuilds in the background, carrier webhooks on), development's secrets; the private
PostgreSQL and Redis, the site URL and the sandbox's delivery time come from the environment.
"""

from logistics.settings.base import *  # noqa: F403
from logistics.settings.base import env

# The sandbox carriers post their tracking webhooks to this platform, on 127.0.0.1.
WEBHOOKS_ALLOW_PRIVATE_URLS = env.bool("WEBHOOKS_ALLOW_PRIVATE_URLS", default=True)

# A message Redis lost is published again after this bound (docs/outbox.md; 60 s by default): the
# suite waits at most `stall_seconds` without progress, so it asks for a bound inside that window.
OUTBOX_REDELIVER_SECONDS = env.float("OUTBOX_REDELIVER_SECONDS", default=8.0)
