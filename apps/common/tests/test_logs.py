"""The request id and the log lines: taken or made per request, returned, written into the outbox
events of the request, restored around tasks; JSON lines that hide secrets."""

import io
import json
import logging

import pytest
from django.db import transaction

from apps.common import logs, outbox
from apps.common.models import OutboxEvent


@pytest.fixture
def json_lines():
    """Every record logged meanwhile, as the JSON formatter writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous_level, root.level = root.level, logging.INFO
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.level = previous_level


@pytest.mark.django_db
def test_a_valid_incoming_request_id_is_kept_returned_and_on_the_request_line(client, json_lines):
    response = client.get("/health/", HTTP_X_REQUEST_ID="erp-7f3a:batch.12")

    assert response["X-Request-ID"] == "erp-7f3a:batch.12"
    request_lines = [line for line in json_lines() if line["logger"] == "logistics.requests"]
    assert len(request_lines) == 1
    line = request_lines[0]
    assert line["request_id"] == "erp-7f3a:batch.12"
    assert line["level"] == "INFO" and "GET /health/ health 200" in line["message"]
    assert logs.current_request_id() == ""  # nothing of the request outlives it


@pytest.mark.django_db
@pytest.mark.parametrize("given", ["", "has space", "x" * 65, '{"json": 1}', "line\nbreak", "-leading-dash"])
def test_an_unusable_request_id_is_replaced_by_a_new_one(client, given):
    first = client.get("/health/", HTTP_X_REQUEST_ID=given)["X-Request-ID"]
    second = client.get("/health/", HTTP_X_REQUEST_ID=given)["X-Request-ID"]

    assert first != given and second != given and first != second
    assert logs.valid_request_id(first) == first and len(first) == 32


@pytest.mark.django_db
def test_query_strings_stay_out_of_the_request_line(client, json_lines):
    client.get("/health/?q=anna@example.com")

    (line,) = [line for line in json_lines() if line["logger"] == "logistics.requests"]
    assert "anna" not in json.dumps(line) and "/health/" in line["message"]


@pytest.mark.django_db
def test_events_recorded_for_a_request_carry_its_id_and_their_tasks_get_it_back():
    with logs.bound(request_id="req-42"), transaction.atomic():
        row = outbox.record(
            event_type="test.thing.happened",
            aggregate_type="order",
            aggregate_id=7,
            merchant_id=None,
            payload={},
        )
    assert OutboxEvent.objects.get(pk=row.pk).request_id == "req-42"
    event = outbox.Event.from_row(OutboxEvent.objects.get(pk=row.pk))
    assert (event.request_id, event.order_id) == ("req-42", "7")

    with transaction.atomic():
        unrelated = outbox.record(
            event_type="test.thing.happened", aggregate_type="lane", aggregate_id=1, merchant_id=None, payload={}
        )
    assert OutboxEvent.objects.get(pk=unrelated.pk).request_id == ""


def test_the_context_reaches_every_line_and_a_task_starts_afresh(json_lines):
    logger = logging.getLogger("apps.test")
    with logs.bound(request_id="r-1", order_id=99):
        logger.info("inside")
        with logs.bound(order_id=""):  # empty leaves the field as it was
            logger.info("still order 99")
        token = logs.replace(request_id="r-2")
        logger.info("a task of another order")
        logs.reset(token)
    logger.info("outside")

    lines = [(line["message"], line["request_id"], line["order_id"]) for line in json_lines()]
    assert lines == [
        ("inside", "r-1", "99"),
        ("still order 99", "r-1", "99"),
        ("a task of another order", "r-2", ""),
        ("outside", "", ""),
    ]


def test_secrets_that_slip_into_a_message_or_a_traceback_are_redacted(json_lines):
    logger = logging.getLogger("apps.test")
    logger.warning("calling with Authorization: Bearer lgk_abc123DEF_456 and secret=hunter2")
    logger.warning("signing with whsec_QUJDREVGR0g= for %s", "https://shop.example/hook?token=s3cr3t&x=1")
    try:
        raise ValueError("password='pa55word!' rejected, api_key: lgk_zzz")
    except ValueError:
        logger.exception("login failed")

    text = json.dumps(json_lines())
    for secret in ("abc123DEF_456", "hunter2", "QUJDREVGR0g", "s3cr3t", "pa55word", "lgk_zzz"):
        assert secret not in text
    assert "Authorization: [redacted]" in text and "x=1" in text and "login failed" in text


def test_the_plain_format_shows_the_ids_and_redacts_too():
    formatter = logs.PlainFormatter()
    record = logging.LogRecord("apps.x", logging.INFO, __file__, 1, "key lgk_secret1 used", (), None)
    with logs.bound(request_id="r-9", order_id="5"):
        logs.ContextFilter().filter(record)
    line = formatter.format(record)
    assert "[r-9 5]" in line and "lgk_secret1" not in line


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logs.logging_config(log_format="xml", level="INFO")
