"""The health probe a load balancer polls: 200 only when the database and Redis both answer."""

import pytest


@pytest.mark.django_db
def test_healthy_when_database_and_redis_answer(client):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_unavailable_when_redis_does_not_answer(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/health/")

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["database"]) == ("unavailable", "ok")
    assert body["redis"].startswith("down: ")


@pytest.mark.django_db
def test_the_probe_needs_no_login_or_api_key(client):
    response = client.get("/health/", HTTP_AUTHORIZATION="Bearer not-a-key")

    assert response.status_code == 200
