"""Logs and metrics of the real processes: gunicorn with two workers, the outbox relay, a Celery
worker and beat, on the test database, logging JSON (LOG_FORMAT=json) and counting into one
PROMETHEUS_MULTIPROC_DIR. An order goes in through the ERP API with a request id of ours and is
booked at a sandbox carrier over HTTP; a merchant webhook goes out; a portal user logs in."""

import json
import secrets
import socket
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import redis
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from apps.common.testing import CELERY, Processes, process_env, wait_for, worker_command
from apps.merchants.services import api_key_issue
from apps.merchants.tests.factories import MembershipFactory, MerchantFactory
from apps.orders.tests.factories import order_payload
from apps.resources.tests.factories import CoverageFactory
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import endpoint_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

METRICS_TOKEN = "metrics-" + secrets.token_hex(8)
RECIPIENT = {
    "name": "Zebediah Quillfeather",
    "line1": "Obscurastrasse 917",
    "city": "Berlin",
    "postal_code": "10115",
    "country": "DE",
    "email": "zebediah.quillfeather@example.org",
    "phone": "+4930998877661",
}
API = "erp_api:order-list"
PASSWORD = "secret-pass-123"  # noqa: S105 (the factory's password of every test user)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def platform(tmp_path):
    """The Procfile's processes on the test database: web is gunicorn with two single-threaded
    workers, so that two requests at once are served by two processes."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.flushdb()
    port = _free_port()
    multiproc_dir = tmp_path / "prometheus"
    multiproc_dir.mkdir()
    processes = Processes(
        {
            "web": [
                sys.executable,
                "-m",
                "gunicorn",
                "logistics.wsgi",
                "--config",
                "python:logistics.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "1",
            ],
            "relay": [sys.executable, "manage.py", "outbox_relay"],
            "worker": worker_command(queues="events,events_bulk,carriers,webhooks"),
            "beat": [sys.executable, *CELERY, "beat", "--schedule", str(tmp_path / "beat"), "--loglevel", "INFO"],
        },
        log_dir=tmp_path,
        env=process_env(
            LOG_FORMAT="json",
            METRICS_TOKEN=METRICS_TOKEN,
            PROMETHEUS_MULTIPROC_DIR=str(multiproc_dir),
            SANDBOX_DELIVERY_SECONDS="600",
        ),
    )
    processes.url = f"http://127.0.0.1:{port}"
    processes.multiproc_dir = multiproc_dir

    def web_up():
        try:
            return httpx.get(f"{processes.url}/health/", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(web_up, seconds=60, what="gunicorn to answer", processes=processes)
        yield processes
    finally:
        processes.stop()
        broker.flushdb()


def _scrape(url: str) -> dict[tuple[str, frozenset], float]:
    response = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10)
    assert response.status_code == 200, response.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(scraped, name: str, **labels) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


def _json_lines(text: str) -> list[dict]:
    lines = []
    for raw in text.splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


def test_one_request_id_follows_an_order_to_the_carrier_and_no_secret_or_recipient_is_logged(platform):
    code = "obs-post"
    CoverageFactory(
        service__carrier__code=code, service__carrier__endpoint_url=f"{platform.url}/sandbox/carriers/{code}/"
    )
    merchant = MerchantFactory()
    _, api_key = api_key_issue(merchant=merchant, name="erp")
    _, webhook_secret = endpoint_create(
        merchant_id=merchant.id, url=f"{platform.url}/sandbox/receivers/obs-shop/", event_types=["order.booked"]
    )
    user = MembershipFactory(merchant=merchant).user
    request_id = "obs-" + secrets.token_hex(6)

    # A portal login: the password goes through a form, and must not come out in a log line.
    portal = httpx.Client(base_url=platform.url, follow_redirects=True, timeout=10)
    login_page = portal.get("/login/")
    portal.post(
        "/login/",
        data={"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": login_page.cookies["csrftoken"]},
        headers={"Referer": f"{platform.url}/login/"},
    )
    assert portal.get("/orders/").status_code == 200

    api = httpx.Client(base_url=f"{platform.url}/api/v1", headers={"Authorization": f"Bearer {api_key}"}, timeout=10)
    created = api.post(
        "/orders/",
        json=order_payload(reference="OBS-1", recipient=RECIPIENT),
        headers={"X-Request-ID": request_id},
    )
    assert created.status_code == 201, created.text
    assert created.headers["X-Request-ID"] == request_id
    order_id = created.json()["id"]

    def booked():
        body = api.get(f"/orders/{order_id}/").json()
        return body["tracking_number"] or None

    wait_for(booked, seconds=60, what="the order to be booked", processes=platform)
    wait_for(
        lambda: WebhookDelivery.objects.filter(endpoint__merchant_id=merchant.id, state="succeeded").exists(),
        seconds=30,
        what="the booked webhook to be delivered",
        processes=platform,
    )

    # Metrics: every process counts into one directory; whichever worker answers sums them all.
    health = ("logistics_http_requests_total", {"view": "health", "method": "GET", "status": "200"})
    health_before = _value(_scrape(platform.url), health[0], **health[1])
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: httpx.get(f"{platform.url}/health/", timeout=10).status_code, range(40)))
    assert answers == [200] * 40
    unauthorised = [
        httpx.get(f"{platform.url}/metrics", timeout=10),
        httpx.get(f"{platform.url}/metrics", headers={"Authorization": "Bearer nope"}, timeout=10),
    ]
    assert [r.status_code for r in unauthorised] == [401, 401]
    first, second = _scrape(platform.url), _scrape(platform.url)
    for scraped in (first, second):
        assert _value(scraped, health[0], **health[1]) == health_before + 40
        assert _value(scraped, "logistics_http_requests_total", view=API, method="POST", status="201") == 1
        assert _value(scraped, "logistics_http_request_duration_seconds_count", view=API) == 1
        assert _value(scraped, "logistics_booking_attempts_total", carrier=code, outcome="ok") == 1
        assert _value(scraped, "logistics_booking_effects_total", carrier=code, effect="booked") == 1
        assert _value(scraped, "logistics_webhook_deliveries_total", outcome="succeeded") >= 1
        assert _value(scraped, "logistics_carrier_circuit_state", carrier=code, state="closed") == 1
        assert _value(scraped, "logistics_lane_work", lane=f"carrier:{code}", state="queued") == 0
        assert _value(scraped, "logistics_orders", state="in_fulfillment") == 1
    web_workers = set(platform.children_of("web"))
    counted_by = {int(path.stem.rsplit("_", 1)[1]) for path in platform.multiproc_dir.glob("counter_*.db")}
    assert len(web_workers & counted_by) == 2, "both gunicorn workers served and counted requests"
    assert counted_by - web_workers, "the Celery worker's processes counted too"

    platform.stop()
    outputs = {name: log.name for name, log in platform.logs.items()}
    texts = {name: open(path).read() for name, path in outputs.items()}  # noqa: SIM115
    lines = [dict(line, source=name) for name, text in texts.items() for line in _json_lines(text)]

    # The request id is on the API call, the intake, the relay, the handlers, the booking task
    # and the carrier call, and came in with the call at the (sandbox) carrier.
    ours = [line for line in lines if line["request_id"] == request_id]

    def said(source, logger, fragment):
        return any(
            line["source"] == source and line["logger"] == logger and fragment in line["message"] for line in ours
        )

    assert said("web", "logistics.requests", "POST /api/v1/orders/ erp_api:order-list 201"), ours
    assert said("web", "apps.orders.services", f"order {order_id} accepted"), ours
    assert said("relay", "apps.common.outbox", "relayed orders.order.accepted"), ours
    assert said("relay", "apps.common.outbox", "relayed scheduling.work.released"), ours
    assert said("worker", "apps.common.outbox", "handler apps.scheduling.handlers.enqueue_accepted_order ran"), ours
    assert said("worker", "apps.distribution.carrier_calls", f"carrier {code} book POST shipments/: ok 201"), ours
    assert said("worker", "apps.distribution.services.booking", "booked at obs-post"), ours
    assert said("web", "logistics.requests", "POST /sandbox/carriers/obs-post/shipments/ sandbox:shipments 201"), ours
    # Every line that names the order carries the request id, and the carrier call names the order.
    about_the_order = [line for line in lines if line["order_id"] == order_id]
    assert about_the_order and all(line["request_id"] == request_id for line in about_the_order), about_the_order
    carrier_call = next(line for line in ours if line["logger"] == "apps.distribution.carrier_calls")
    assert carrier_call["order_id"] == order_id

    # Nothing secret and nothing personal in any line of any process, JSON or not.
    everything = "\n".join(texts.values())
    for secret in (
        api_key,
        api_key.split("_", 1)[1],
        webhook_secret,
        webhook_secret.removeprefix("whsec_"),
        PASSWORD,
        METRICS_TOKEN,
        settings.SANDBOX_API_KEY,
        RECIPIENT["name"],
        "Quillfeather",
        RECIPIENT["line1"],
        "Obscurastrasse",
        RECIPIENT["email"],
        RECIPIENT["phone"],
        RECIPIENT["phone"][1:],
    ):
        assert secret not in everything, f"{secret!r} was logged"
